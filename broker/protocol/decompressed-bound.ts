/**
 * Upper bounds on what an LZ4 frame or a zstd frame decompresses to, found
 * by walking their block headers (no decompression, no allocation). The
 * native decoders rlog uses take no output limit, so compression.ts refuses
 * a frame whose bound is over `batchDecompressedBytesMax` before handing it
 * over: a decompression bomb is refused without its output being built.
 *
 * Each block of either format decompresses to at most its frame's block
 * maximum (LZ4: 64 KiB .. 4 MiB from the BD byte; zstd: min(window, 128
 * KiB)), and a stored block to its stated size, so the sum over the blocks
 * bounds the output. Encoders fill blocks, so for real data the bound is
 * the output size rounded up to a block. Concatenated frames are summed;
 * zstd skippable frames add nothing. Any structure that does not parse is
 * refused (the decoder would refuse it too).
 *
 * Formats: the LZ4 Frame Format Description 1.6.x, and RFC 8878
 * (Zstandard), sections 3.1.1 and 3.1.1.2.
 */

/** A bound in bytes, or why the frame does not parse. */
export type BoundResult = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly error: string };

const LZ4_MAGIC = 0x184d2204;
const ZSTD_MAGIC = 0xfd2fb528;
/** Skippable zstd frames: magic 0x184D2A50 .. 0x184D2A5F. */
const ZSTD_SKIPPABLE_MASK = 0xfffffff0;
const ZSTD_SKIPPABLE = 0x184d2a50;
const ZSTD_BLOCK_BYTES_MAX = 128 * 1024;

function fail(error: string): BoundResult {
  return { ok: false, error };
}

function u32le(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
}

/** Bound on the decompressed size of one or more concatenated LZ4 frames. */
export function lz4FrameBound(b: Uint8Array): BoundResult {
  let p = 0;
  let total = 0;
  if (b.byteLength === 0) return fail("empty lz4 data");
  while (p < b.byteLength) {
    if (b.byteLength - p < 7) return fail("truncated lz4 frame header");
    if (u32le(b, p) !== LZ4_MAGIC) return fail("not an lz4 frame (bad magic)");
    const flg = b[p + 4]!;
    const bd = b[p + 5]!;
    if (flg >> 6 !== 1) return fail(`lz4 frame version ${flg >> 6}`);
    if ((flg & 0x02) !== 0 || (bd & 0x8f) !== 0) return fail("lz4 frame reserved bits set");
    const blockBytesMax = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024][(bd >> 4) & 7]!;
    if (blockBytesMax === 0) return fail("lz4 frame block size code invalid");
    const blockChecksum = (flg & 0x10) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    p += 6 + ((flg & 0x08) !== 0 ? 8 : 0) + ((flg & 0x01) !== 0 ? 4 : 0) + 1; // descriptor, content size, dict id, header checksum
    for (;;) {
      if (b.byteLength - p < 4) return fail("truncated lz4 block header");
      const word = u32le(b, p);
      p += 4;
      if (word === 0) break; // EndMark
      const stored = word >= 0x80000000;
      const size = stored ? word - 0x80000000 : word;
      if (size > blockBytesMax) return fail("lz4 block larger than the frame's block maximum");
      p += size + (blockChecksum ? 4 : 0);
      if (p > b.byteLength) return fail("lz4 block runs past the data");
      total += stored ? size : blockBytesMax;
    }
    p += contentChecksum ? 4 : 0;
    if (p > b.byteLength) return fail("truncated lz4 content checksum");
  }
  return { ok: true, value: total };
}

/** Bound on the decompressed size of one or more concatenated zstd frames. */
export function zstdFrameBound(b: Uint8Array): BoundResult {
  let p = 0;
  let total = 0;
  if (b.byteLength === 0) return fail("empty zstd data");
  while (p < b.byteLength) {
    if (b.byteLength - p < 8) return fail("truncated zstd frame");
    const magic = u32le(b, p);
    if (((magic & ZSTD_SKIPPABLE_MASK) >>> 0) === ZSTD_SKIPPABLE) {
      p += 8 + u32le(b, p + 4);
      if (p > b.byteLength) return fail("zstd skippable frame runs past the data");
      continue;
    }
    if (magic !== ZSTD_MAGIC) return fail("not a zstd frame (bad magic)");
    const fhd = b[p + 4]!;
    p += 5;
    if ((fhd & 0x08) !== 0) return fail("zstd frame reserved bit set");
    const singleSegment = (fhd & 0x20) !== 0;
    const fcsFlag = fhd >> 6;
    const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
    const dictBytes = [0, 1, 2, 4][fhd & 3]!;
    let windowBytes = Number.POSITIVE_INFINITY;
    if (!singleSegment) {
      if (p >= b.byteLength) return fail("truncated zstd frame header");
      const wd = b[p]!;
      const windowLog = 10 + (wd >> 3);
      const base = 2 ** windowLog;
      windowBytes = base + (base / 8) * (wd & 7);
      p += 1;
    }
    p += dictBytes + fcsBytes;
    if (p > b.byteLength) return fail("truncated zstd frame header");
    if (singleSegment) {
      // The window is the content size (RFC 8878 3.1.1.1.2); read it little-endian.
      let fcs = 0;
      for (let i = fcsBytes - 1; i >= 0; i--) fcs = fcs * 256 + b[p - fcsBytes + i]!;
      if (fcsBytes === 2) fcs += 256;
      windowBytes = fcs;
    }
    const blockBytesMax = Math.min(windowBytes, ZSTD_BLOCK_BYTES_MAX);
    for (;;) {
      if (b.byteLength - p < 3) return fail("truncated zstd block header");
      const h = b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16);
      p += 3;
      const last = (h & 1) !== 0;
      const type = (h >> 1) & 3;
      const size = h >>> 3;
      if (type === 3) return fail("zstd block of reserved type");
      if (size > blockBytesMax && type !== 2) return fail("zstd block larger than the frame's block maximum");
      if (type === 2 && size > ZSTD_BLOCK_BYTES_MAX) return fail("zstd compressed block too large");
      p += type === 1 ? 1 : size; // RLE: one byte repeated `size` times
      if (p > b.byteLength) return fail("zstd block runs past the data");
      total += type === 2 ? blockBytesMax : size;
      if (last) break;
    }
    if ((fhd & 0x04) !== 0) p += 4; // content checksum
    if (p > b.byteLength) return fail("truncated zstd content checksum");
  }
  return { ok: true, value: total };
}
