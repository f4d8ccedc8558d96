/**
 * Per-batch compression of a record batch's records section, with Kafka's
 * codec numbers (the low three bits of the batch attributes): 0 none, 1
 * gzip, 2 snappy, 3 lz4, 4 zstd. rlog speaks none, gzip (node:zlib), lz4
 * (the LZ4 *frame* format, as Kafka writes it since magic 1; lz4-napi) and
 * zstd (a zstd frame; @mongodb-js/zstd 1.x). Snappy is refused
 * (UNSUPPORTED_COMPRESSION): no well-kept native package without install
 * scripts, and Kafka's snappy is a framing of its own (xerial).
 *
 * The codecs themselves live in compression-codecs.ts, each loaded on first
 * use by a dynamic import, so a program that never compresses never loads
 * node:zlib or a native module. The two native packages ship prebuilt
 * binaries as optional dependencies and run no install script. The browser
 * build of the SDK swaps in compression-codecs-browser.ts: gzip through the
 * page's CompressionStream, lz4 and zstd refused (UNSUPPORTED_COMPRESSION).
 *
 * Decompression is bounded (`decompressedBytesMax`): before a native
 * decoder runs, the frame's block headers are walked to bound what it can
 * produce (decompressed-bound.ts), so a decompression bomb is refused
 * without allocating its output; gzip uses zlib's own `maxOutputLength`.
 * Damaged input gives CORRUPT_RECORD_BATCH, never a throw.
 */
import { RlogError, type Result } from "./errors.js";
import { lz4FrameBound, zstdFrameBound } from "./decompressed-bound.js";
import { gzipCodec, lz4Codec, zstdCodec } from "./compression-codecs.js";

/** Kafka's codec numbers, stored in the batch attributes (bits 0-2). Append-only. */
export const Compression = Object.freeze({
  None: 0,
  Gzip: 1,
  Snappy: 2,
  Lz4: 3,
  Zstd: 4,
});
/** A codec number of the batch attributes. */
export type CompressionCode = (typeof Compression)[keyof typeof Compression];

/** The codecs rlog speaks, by name (producer `compression`, CLI `--compression`). */
export const COMPRESSION_NAMES = ["none", "gzip", "lz4", "zstd"] as const;
/** A codec rlog speaks. */
export type CompressionName = (typeof COMPRESSION_NAMES)[number];

const CODE_BY_NAME: Readonly<Record<CompressionName, CompressionCode>> = { none: 0, gzip: 1, lz4: 3, zstd: 4 };

/** The attribute code of a codec name. */
export function compressionCode(name: CompressionName): CompressionCode {
  return CODE_BY_NAME[name];
}

/** The name of a codec code rlog speaks; undefined for snappy and unknown codes. */
export function compressionName(code: number): CompressionName | undefined {
  return COMPRESSION_NAMES.find((n) => CODE_BY_NAME[n] === code);
}

/** Whether `v` names a codec rlog speaks. */
export function isCompressionName(v: unknown): v is CompressionName {
  return typeof v === "string" && (COMPRESSION_NAMES as readonly string[]).includes(v);
}

function unsupported(code: number): RlogError {
  return new RlogError(
    "UNSUPPORTED_COMPRESSION",
    code === Compression.Snappy ? "snappy compression is not supported; use gzip, lz4 or zstd" : `unknown compression codec ${code}`,
  );
}

/**
 * Compress a records section with codec `code` (none returns the bytes as
 * they are). Throws UNSUPPORTED_COMPRESSION for snappy or an unknown code.
 */
export async function compress(code: number, bytes: Uint8Array): Promise<Uint8Array> {
  switch (code) {
    case Compression.None:
      return bytes;
    case Compression.Gzip:
      return (await gzipCodec()).compress(bytes);
    case Compression.Lz4:
      return (await lz4Codec()).compress(bytes);
    case Compression.Zstd:
      return (await zstdCodec()).compress(bytes);
    default:
      throw unsupported(code);
  }
}

/**
 * Decompress a records section compressed with codec `code`, producing at
 * most `bytesMax` bytes. Never throws: a codec rlog does not speak gives
 * UNSUPPORTED_COMPRESSION; damaged bytes, or output past `bytesMax`,
 * CORRUPT_RECORD_BATCH.
 */
export async function decompress(code: number, bytes: Uint8Array, bytesMax: number): Promise<Result<Uint8Array>> {
  const tooLarge = (n: number | string): Result<Uint8Array> => ({
    ok: false,
    error: new RlogError("CORRUPT_RECORD_BATCH", `compressed records would decompress to ${n} bytes, over the limit of ${bytesMax} (batchDecompressedBytesMax)`),
  });
  const damaged = (err: unknown): Result<Uint8Array> => ({
    ok: false,
    error: new RlogError("CORRUPT_RECORD_BATCH", `compressed records do not decompress: ${err instanceof Error ? err.message : String(err)}`),
  });
  try {
    let out: Uint8Array;
    switch (code) {
      case Compression.None:
        out = bytes;
        break;
      case Compression.Gzip: {
        const codec = await gzipCodec();
        let bounded: Uint8Array | undefined;
        try {
          bounded = await codec.decompress(bytes, bytesMax);
        } catch (err) {
          return damaged(err);
        }
        if (bounded === undefined) return tooLarge(`more than ${bytesMax}`);
        out = bounded;
        break;
      }
      case Compression.Lz4: {
        const bound = lz4FrameBound(bytes);
        if (!bound.ok) return damaged(bound.error);
        if (bound.value > bytesMax) return tooLarge(`up to ${bound.value}`);
        const decoded = await (await lz4Codec()).decompress(bytes, bytesMax);
        if (decoded === undefined) return tooLarge(`more than ${bytesMax}`);
        out = decoded;
        break;
      }
      case Compression.Zstd: {
        const bound = zstdFrameBound(bytes);
        if (!bound.ok) return damaged(bound.error);
        if (bound.value > bytesMax) return tooLarge(`up to ${bound.value}`);
        const decoded = await (await zstdCodec()).decompress(bytes, bytesMax);
        if (decoded === undefined) return tooLarge(`more than ${bytesMax}`);
        out = decoded;
        break;
      }
      default:
        return { ok: false, error: unsupported(code) };
    }
    // The walks above bound the output; this holds the bound even if a decoder did not.
    if (out.byteLength > bytesMax) return tooLarge(out.byteLength);
    return { ok: true, value: out };
  } catch (err) {
    // A codec this build lacks (lz4, zstd in the browser) is refused as such, not as damage.
    if (err instanceof RlogError && err.codeName === "UNSUPPORTED_COMPRESSION") return { ok: false, error: err };
    return damaged(err);
  }
}
