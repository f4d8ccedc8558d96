/**
 * The codec implementations behind compression.ts in a browser, swapped in
 * for compression-codecs.ts by the SDK's browser build
 * (client/browser/bundle.ts): gzip through the page's CompressionStream and
 * DecompressionStream (every current browser has them), lz4 and zstd
 * refused with UNSUPPORTED_COMPRESSION: their only well-kept
 * implementations are native modules. No node: module is reachable from here.
 */
import { RlogError } from "./errors.js";
import type { BlockCodec, gzipCodec as nodeGzip, lz4Codec as nodeLz4, zstdCodec as nodeZstd } from "./compression-codecs.js";

export type { BlockCodec } from "./compression-codecs.js";

/** Read a stream into one array, giving up (undefined) once it passes `bytesMax`. */
async function collect(stream: ReadableStream<Uint8Array>, bytesMax: number): Promise<Uint8Array | undefined> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > bytesMax) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** A stream of `bytes` through a compression transform. */
function through(bytes: Uint8Array, transform: CompressionStream | DecompressionStream): ReadableStream<Uint8Array> {
  return new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(transform) as ReadableStream<Uint8Array>;
}

const gzip: BlockCodec = Object.freeze({
  compress: async (b: Uint8Array) => (await collect(through(b, new CompressionStream("gzip")), Number.MAX_SAFE_INTEGER)) ?? new Uint8Array(0),
  decompress: (b: Uint8Array, bytesMax: number) => collect(through(b, new DecompressionStream("gzip")), bytesMax),
});

function missing(name: string): Promise<BlockCodec> {
  return Promise.reject(
    new RlogError("UNSUPPORTED_COMPRESSION", `${name} compression is not in the browser build of the SDK (its codecs are native modules); use gzip or none`),
  );
}

/** gzip (codec 1) through CompressionStream / DecompressionStream. */
export const gzipCodec: typeof nodeGzip = () => Promise.resolve(gzip);
/** lz4 (codec 3): refused in the browser. */
export const lz4Codec: typeof nodeLz4 = () => missing("lz4");
/** zstd (codec 4): refused in the browser. */
export const zstdCodec: typeof nodeZstd = () => missing("zstd");
