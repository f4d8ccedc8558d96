import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { buildRecordBatch, decodeRecordBatch } from "../../broker/protocol/batch-codec.js";
import { compress, Compression, COMPRESSION_NAMES, compressionCode, decompress } from "../../broker/protocol/compression.js";
import { lz4FrameBound, zstdFrameBound } from "../../broker/protocol/decompressed-bound.js";
import { ErrorCode } from "../../broker/protocol/errors.js";
import { BatchField, recordBatchChecksum } from "../../broker/protocol/record-batch.js";
import { SeededRandom } from "../../broker/raft/random.js";

const NOW = 1_700_000_000_000;
const MiB = 1 << 20;
const json = (i: number): Uint8Array => new TextEncoder().encode(JSON.stringify({ id: i, user: `user-${i % 17}`, event: "page_view", path: "/products/42", ok: true }));

test("every codec round-trips a batch, and compressible records shrink", async () => {
  const records = Array.from({ length: 200 }, (_, i) => ({ key: json(i).subarray(0, 8), value: json(i), headers: [{ key: "n", value: new Uint8Array([i & 0xff]) }], timestampMs: NOW + i }));
  const plain = await buildRecordBatch(records, { timestampMs: NOW });
  for (const compression of COMPRESSION_NAMES) {
    const data = await buildRecordBatch(records, { timestampMs: NOW, compression });
    if (compression !== "none") assert.ok(data.byteLength < plain.byteLength / 3, `${compression}: ${data.byteLength} of ${plain.byteLength}`);
    const d = await decodeRecordBatch(data, MiB);
    assert.ok(d.ok, d.ok ? "" : `${compression}: ${d.error.message}`);
    assert.equal(d.value.compression, compressionCode(compression));
    assert.equal(d.value.records.length, 200);
    assert.deepEqual(new Uint8Array(d.value.records[199]!.value!), json(199));
    assert.equal(d.value.records[5]?.timestampMs, NOW + 5);
  }
});

test("lz4 is the LZ4 frame format and zstd a zstd frame, as Kafka writes them", async () => {
  const bytes = new Uint8Array(10_000).fill(65);
  const lz4 = await compress(Compression.Lz4, bytes);
  assert.deepEqual([...lz4.subarray(0, 4)], [0x04, 0x22, 0x4d, 0x18]);
  // Kafka's LZ4 frame settings: version 01, independent blocks, no block or content checksum,
  // no content size, no dictionary (FLG 0x60); 64 KiB blocks (BD 0x40).
  assert.deepEqual([lz4[4], lz4[5]], [0x60, 0x40]);
  const zstd = await compress(Compression.Zstd, bytes);
  assert.deepEqual([...zstd.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
  const gzip = await compress(Compression.Gzip, bytes);
  assert.deepEqual([...gzip.subarray(0, 2)], [0x1f, 0x8b]);
  for (const [code, c] of [[Compression.Lz4, lz4], [Compression.Zstd, zstd], [Compression.Gzip, gzip]] as const) {
    const bound = code === Compression.Lz4 ? lz4FrameBound(c) : code === Compression.Zstd ? zstdFrameBound(c) : undefined;
    if (bound) {
      assert.ok(bound.ok);
      assert.ok(bound.value >= 10_000 && bound.value <= 10_000 + 128 * 1024, `bound ${bound.value}`);
    }
    // The bound is rounded up to a whole block (64 KiB here for lz4, 128 KiB for zstd): the limit allows that much.
    const d = await decompress(code, c, 256 * 1024);
    assert.ok(d.ok);
    assert.equal(d.value.byteLength, 10_000);
  }
  const exact = await decompress(Compression.Gzip, gzip, 10_000);
  assert.ok(exact.ok, "gzip's limit is exact");
  const under = await decompress(Compression.Gzip, gzip, 9_999);
  assert.ok(!under.ok);
});

test("decompression bombs are refused at batchDecompressedBytesMax without building their output", async () => {
  const big = new Uint8Array(64 * MiB); // zeros: each codec shrinks them to a tiny fraction
  for (const code of [Compression.Gzip, Compression.Lz4, Compression.Zstd]) {
    const bomb = await compress(code, big);
    assert.ok(bomb.byteLength < 1 * MiB, `bomb of ${bomb.byteLength} bytes`);
    const rssBefore = process.memoryUsage().rss;
    const d = await decompress(code, bomb, 4 * MiB);
    assert.ok(!d.ok, `codec ${code}`);
    assert.equal(d.error.code, ErrorCode.CORRUPT_RECORD_BATCH);
    assert.match(d.error.message, /batchDecompressedBytesMax/);
    if (code !== Compression.Gzip) assert.ok(process.memoryUsage().rss - rssBefore < 32 * MiB, "the walk refuses before decompressing");
  }
});

test("damaged compressed sections give CORRUPT_RECORD_BATCH, never a throw; snappy gives UNSUPPORTED_COMPRESSION", async () => {
  const rnd = new SeededRandom(11);
  const records = Array.from({ length: 30 }, (_, i) => ({ value: json(i), timestampMs: NOW }));
  for (const compression of ["gzip", "lz4", "zstd"] as const) {
    const data = await buildRecordBatch(records, { timestampMs: NOW, compression });
    for (let i = 0; i < 300; i++) {
      const copy = new Uint8Array(data.subarray(0, BatchField.recordCount + 4 + rnd.int(data.byteLength - 61 + 8)));
      if (copy.byteLength > 61) for (let m = 0; m < 1 + rnd.int(3); m++) copy[61 + rnd.int(copy.byteLength - 61)] = rnd.int(256);
      const v = new DataView(copy.buffer);
      v.setInt32(BatchField.batchLength, copy.byteLength - 12);
      v.setUint32(BatchField.crc, recordBatchChecksum(copy));
      const d = await decodeRecordBatch(copy, MiB);
      if (!d.ok) assert.equal(d.error.code, ErrorCode.CORRUPT_RECORD_BATCH, `${compression}: ${d.error.message}`);
    }
  }
  const snappy = await buildRecordBatch(records, { timestampMs: NOW });
  const v = new DataView(snappy.buffer, snappy.byteOffset);
  v.setInt16(BatchField.attributes, Compression.Snappy);
  v.setUint32(BatchField.crc, recordBatchChecksum(snappy));
  const d = await decodeRecordBatch(snappy, MiB);
  assert.ok(!d.ok);
  assert.equal(d.error.code, ErrorCode.UNSUPPORTED_COMPRESSION);
  await assert.rejects(compress(Compression.Snappy, new Uint8Array(1)), (err: { code?: unknown }) => err.code === ErrorCode.UNSUPPORTED_COMPRESSION);
  // A gzip stream that is not one.
  const notGzip = await decompress(Compression.Gzip, gzipSync(new Uint8Array(10)).subarray(0, 12), MiB);
  assert.ok(!notGzip.ok);
  assert.equal(notGzip.error.code, ErrorCode.CORRUPT_RECORD_BATCH);
});

test("code that does not compress never loads a codec module", () => {
  const codec = new URL("../../broker/protocol/batch-codec.js", import.meta.url).href;
  const script = `
    import { createRequire } from "node:module";
    const { buildRecordBatch, decodeRecordBatch } = await import(${JSON.stringify(codec)});
    const require = createRequire(import.meta.url);
    const loaded = () => Object.keys(require.cache).filter((k) => /lz4-napi|zstd/.test(k)).length;
    const b = await buildRecordBatch([{ value: new Uint8Array(3) }], { timestampMs: 1 });
    const d = await decodeRecordBatch(b, 1000);
    const before = loaded();
    await buildRecordBatch([{ value: new Uint8Array(3) }], { timestampMs: 1, compression: "zstd" });
    console.log(JSON.stringify({ ok: d.ok, before, after: loaded() }));
  `;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: fileURLToPath(new URL(".", import.meta.url)), encoding: "utf8" });
  const r = JSON.parse(out) as { ok: boolean; before: number; after: number };
  assert.equal(r.ok, true);
  assert.equal(r.before, 0, "no codec module before compression is asked for");
  assert.ok(r.after > 0, "zstd loaded on first use (the check can see a load)");
});
