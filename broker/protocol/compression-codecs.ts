/**
 * The codec implementations behind compression.ts, in Node: gzip through
 * node:zlib, lz4 through lz4-napi (the LZ4 frame format), zstd through
 * @mongodb-js/zstd. Each is loaded on first use by a dynamic import, so a
 * program that never compresses never loads node:zlib or a native module.
 *
 * The browser build of the SDK swaps this file for
 * compression-codecs-browser.ts (client/browser/bundle.ts): gzip there
 * is the page's CompressionStream, and lz4 and zstd are refused.
 */

/** One codec: compress a records section, and decompress one within a bound. */
export interface BlockCodec {
  compress(bytes: Uint8Array): Promise<Uint8Array>;
  /**
   * Decompress `bytes`; undefined when the output would pass `bytesMax`.
   * Codecs whose frames compression.ts bounds beforehand (lz4, zstd) may
   * ignore `bytesMax`. Throws on damaged input.
   */
  decompress(bytes: Uint8Array, bytesMax: number): Promise<Uint8Array | undefined>;
}

/** zstd level: the library default (3), fast with a good ratio. */
const ZSTD_LEVEL = 3;

let gzipLoaded: Promise<BlockCodec> | undefined;
let lz4Loaded: Promise<BlockCodec> | undefined;
let zstdLoaded: Promise<BlockCodec> | undefined;

const asNodeBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** gzip (codec 1) through node:zlib; the bound is zlib's own `maxOutputLength`. */
export function gzipCodec(): Promise<BlockCodec> {
  gzipLoaded ??= import("node:zlib").then(({ gzip, gunzip }) => ({
    compress: (b) => new Promise<Uint8Array>((resolve, reject) => gzip(b, (err, out) => (err ? reject(err) : resolve(out)))),
    decompress: (b, bytesMax) =>
      new Promise<Uint8Array | undefined>((resolve, reject) =>
        gunzip(b, { maxOutputLength: Math.max(1, bytesMax) }, (err, out) => {
          if (err === null) resolve(out);
          else if ((err as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") resolve(undefined);
          else reject(err);
        }),
      ),
  }));
  return gzipLoaded;
}

/** lz4 (codec 3), the LZ4 frame format, through lz4-napi. */
export function lz4Codec(): Promise<BlockCodec> {
  lz4Loaded ??= import("lz4-napi").then((lz4) => ({
    compress: (b) => lz4.compressFrame(asNodeBuffer(b)),
    decompress: (b) => lz4.decompressFrame(asNodeBuffer(b)),
  }));
  return lz4Loaded;
}

/** zstd (codec 4), one zstd frame, through @mongodb-js/zstd. */
export function zstdCodec(): Promise<BlockCodec> {
  zstdLoaded ??= import("@mongodb-js/zstd").then((zstd) => ({
    compress: (b) => zstd.compress(asNodeBuffer(b), ZSTD_LEVEL),
    decompress: (b) => zstd.decompress(asNodeBuffer(b)),
  }));
  return zstdLoaded;
}
