/**
 * The browser's codecs (compression-codecs-browser.ts), run in Node, which
 * has the same CompressionStream and DecompressionStream: gzip interoperates
 * with node:zlib both ways, stays within its bound, and refuses damage;
 * lz4 and zstd are refused with UNSUPPORTED_COMPRESSION.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { gunzipSync, gzipSync } from "node:zlib";
import { gzipCodec, lz4Codec, zstdCodec } from "../../broker/protocol/compression-codecs-browser.js";
import { RlogError } from "../../broker/protocol/errors.js";

const text = new TextEncoder().encode("rlog in a browser ".repeat(2000));

test("browser gzip round-trips, and interoperates with node:zlib both ways", async () => {
  const gzip = await gzipCodec();
  const packed = await gzip.compress(text);
  assert.ok(packed.byteLength < text.byteLength / 10, `${packed.byteLength} of ${text.byteLength}`);
  assert.deepEqual(new Uint8Array(gunzipSync(packed)), text);
  assert.deepEqual(await gzip.decompress(gzipSync(text), text.byteLength), text);
  assert.deepEqual(await gzip.decompress(packed, text.byteLength), text);
  assert.deepEqual(await gzip.compress(new Uint8Array(0)).then((b) => gunzipSync(b).byteLength), 0);
});

test("browser gunzip stops at its bound (undefined) and throws on damaged input", async () => {
  const gzip = await gzipCodec();
  assert.equal(await gzip.decompress(gzipSync(text), text.byteLength - 1), undefined);
  const damaged = new Uint8Array(gzipSync(text));
  damaged.fill(0x55, 20, 60);
  await assert.rejects(gzip.decompress(damaged, text.byteLength));
});

test("lz4 and zstd are refused in the browser build with UNSUPPORTED_COMPRESSION, naming the build", async () => {
  for (const codec of [lz4Codec, zstdCodec]) {
    await assert.rejects(codec(), (err: unknown) => err instanceof RlogError && err.codeName === "UNSUPPORTED_COMPRESSION" && /browser build/.test(err.message));
  }
});
