import { test } from "node:test";
import assert from "node:assert/strict";
import { crc32c as nativeCrc32c } from "../../broker/protocol/crc32c.js";
import { crc32c as jsCrc32c } from "../../broker/protocol/crc32c-browser.js";
import { SeededRandom } from "../../broker/raft/random.js";

test("the browser's CRC-32C gives the check value of RFC 3720 and of the empty input", () => {
  assert.equal(jsCrc32c(new TextEncoder().encode("123456789")), 0xe3069283);
  assert.equal(jsCrc32c(new Uint8Array(0)), 0);
  // RFC 3720 B.4: 32 bytes of zeros, and of 0xff.
  assert.equal(jsCrc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(jsCrc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
});

test("the browser's CRC-32C agrees with the native one on every length 0..300 and on unaligned views", () => {
  const random = new SeededRandom(15);
  const bytes = new Uint8Array(4096);
  for (let i = 0; i < bytes.length; i++) bytes[i] = random.int(256);
  for (let n = 0; n <= 300; n++) assert.equal(jsCrc32c(bytes.subarray(0, n)), nativeCrc32c(bytes.subarray(0, n)), `length ${n}`);
  for (let start = 1; start < 8; start++) assert.equal(jsCrc32c(bytes.subarray(start, 4000 + start)), nativeCrc32c(bytes.subarray(start, 4000 + start)), `offset ${start}`);
});
