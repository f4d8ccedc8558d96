/**
 * The browser's SCRAM primitives (scram-crypto-browser.ts: JavaScript
 * SHA-256 and HMAC, WebCrypto PBKDF2), run in Node, which has the same
 * WebCrypto: each agrees with node:crypto (scram-crypto.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as browser from "../../broker/protocol/scram-crypto-browser.js";
import * as node from "../../broker/protocol/scram-crypto.js";
import { SeededRandom } from "../../broker/raft/random.js";

const bytes = (n: number, random: SeededRandom): Uint8Array => Uint8Array.from({ length: n }, () => random.int(256));

test("the browser's SHA-256 and HMAC agree with node:crypto on every length 0..200 and on long keys", () => {
  const random = new SeededRandom(256);
  assert.equal(Buffer.from(browser.sha256(new TextEncoder().encode("abc"))).toString("hex"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  for (let n = 0; n <= 200; n++) {
    const data = bytes(n, random);
    assert.deepEqual(browser.sha256(data), new Uint8Array(node.sha256(data)), `sha256, ${n} bytes`);
    const key = bytes(n % 100, random);
    assert.deepEqual(browser.hmac(key, data), new Uint8Array(node.hmac(key, data)), `hmac, ${n} bytes, key ${key.length}`);
  }
  const salted = bytes(32, random);
  assert.deepEqual(browser.hmac(salted, "Client Key"), new Uint8Array(node.hmac(salted, "Client Key")), "hmac of a string (UTF-8)");
  assert.deepEqual(browser.hmac(bytes(150, random).fill(7), "é"), new Uint8Array(node.hmac(new Uint8Array(150).fill(7), "é")), "a key longer than a block is hashed first");
});

test("the browser's PBKDF2 (WebCrypto) agrees with node:crypto, and sameBytes compares", async () => {
  const salt = bytes(32, new SeededRandom(7));
  for (const password of ["pencil", "correct horse battery staple", "pässwörd"]) {
    assert.deepEqual(await browser.saltedPassword(password, salt, 4096), new Uint8Array(await node.saltedPassword(password, salt, 4096)), password);
  }
  assert.equal(browser.sameBytes(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3])), true);
  assert.equal(browser.sameBytes(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4])), false);
  assert.equal(browser.sameBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3])), false);
  assert.throws(() => browser.saltedPasswordSync("pencil", salt, 4096), /browser build/);
});
