/** CRC-32C: known vectors, and agreement with a bitwise-table reference over random inputs and views. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { crc32c } from "../../broker/storage/checksum.js";
import { SeededRandom } from "../../broker/raft/random.js";

/** The reflected Castagnoli polynomial's byte table, built here (not from the library under test). */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function referenceCrc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

test("crc32c: known vectors", () => {
  assert.equal(crc32c(Buffer.from("123456789")), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
  // RFC 3720 (iSCSI) B.4: 32 bytes of zeros, of 0xff, ascending.
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, k) => k)), 0x46dd794e);
  assert.equal(referenceCrc32c(Buffer.from("123456789")), 0xe3069283, "the reference itself");
});

test("crc32c: matches the table reference on random inputs, subarray views and continued seeds", () => {
  const rnd = new SeededRandom(17);
  for (let round = 0; round < 200; round++) {
    const bytes = new Uint8Array(rnd.int(3000));
    for (let k = 0; k < bytes.length; k++) bytes[k] = rnd.int(256);
    const want = referenceCrc32c(bytes);
    assert.equal(crc32c(bytes), want, `round ${round}`);
    // A view into a larger buffer covers only its own bytes.
    const wide = new Uint8Array(bytes.length + 16).fill(0xa5);
    wide.set(bytes, 7);
    assert.equal(crc32c(wide.subarray(7, 7 + bytes.length)), want, `view, round ${round}`);
    const cut = rnd.int(bytes.length + 1);
    assert.equal(crc32c(bytes.subarray(cut), crc32c(bytes.subarray(0, cut))), want, `seeded, round ${round}`);
  }
});

test("crc32c: every single-bit flip of a 1 KiB value changes it", () => {
  const bytes = Uint8Array.from({ length: 1024 }, (_, k) => (k * 31) & 0xff);
  const base = crc32c(bytes);
  for (let bit = 0; bit < bytes.length * 8; bit++) {
    bytes[bit >> 3] = bytes[bit >> 3]! ^ (1 << (bit & 7));
    assert.notEqual(crc32c(bytes), base, `bit ${bit}`);
    bytes[bit >> 3] = bytes[bit >> 3]! ^ (1 << (bit & 7));
  }
});
