/**
 * SCRAM-SHA-256's primitives in a browser, swapped in for scram-crypto.ts
 * (node:crypto) by the SDK's browser build (client/browser/bundle.ts):
 *
 * - Hi() (PBKDF2-HMAC-SHA-256), the slow part, through the page's WebCrypto
 *   (SubtleCrypto.deriveBits): native speed, off the page's main work.
 *   WebCrypto exists only in secure contexts (https pages, and
 *   http://localhost or 127.0.0.1).
 * - HMAC-SHA-256 and SHA-256 in plain JavaScript (FIPS 180-4, RFC 2104):
 *   scram.ts calls them synchronously, and WebCrypto is asynchronous only.
 *   A login makes four of them on short inputs, so speed does not matter.
 * - the blocking Hi() is the broker's (it checks file users at start-up)
 *   and is refused here.
 *
 * test/protocol/scram-crypto-browser.test.ts checks every function against
 * node:crypto.
 */
import type {
  SHA256_BYTES as NODE_SHA256_BYTES,
  hmac as nodeHmac,
  saltedPassword as nodeSaltedPassword,
  saltedPasswordSync as nodeSaltedPasswordSync,
  sameBytes as nodeSameBytes,
  sha256 as nodeSha256,
} from "./scram-crypto.js";

/** Bytes of SHA-256 output: the length of SaltedPassword, StoredKey and ServerKey. */
export const SHA256_BYTES: typeof NODE_SHA256_BYTES = 32;

/** SHA-256's block: 64 bytes. */
const BLOCK_BYTES = 64;

/** The round constants of FIPS 180-4 section 4.2.2. */
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** The initial hash value of FIPS 180-4 section 5.3.3. */
const H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));

/** SHA-256 (FIPS 180-4 section 6.2). */
export const sha256: typeof nodeSha256 = (data: Uint8Array): Uint8Array => {
  // The message, a 1 bit, zeros, and the 64-bit big-endian bit length, to a whole number of blocks.
  const blocks = Math.ceil((data.length + 9) / BLOCK_BYTES);
  const padded = new Uint8Array(blocks * BLOCK_BYTES);
  padded.set(data);
  padded[data.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(data.length / 0x20000000));
  view.setUint32(padded.length - 4, (data.length * 8) >>> 0);
  const h = H0.slice();
  const w = new Uint32Array(64);
  for (let block = 0; block < padded.length; block += BLOCK_BYTES) {
    for (let t = 0; t < 16; t++) w[t] = view.getUint32(block + t * 4);
    for (let t = 16; t < 64; t++) {
      const w15 = w[t - 15]!;
      const w2 = w[t - 2]!;
      const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
      const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
      w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h as [number, number, number, number, number, number, number, number];
    for (let t = 0; t < 64; t++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t]! + w[t]!) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    h[0] = (h[0]! + a) >>> 0;
    h[1] = (h[1]! + b) >>> 0;
    h[2] = (h[2]! + c) >>> 0;
    h[3] = (h[3]! + d) >>> 0;
    h[4] = (h[4]! + e) >>> 0;
    h[5] = (h[5]! + f) >>> 0;
    h[6] = (h[6]! + g) >>> 0;
    h[7] = (h[7]! + hh) >>> 0;
  }
  const out = new Uint8Array(SHA256_BYTES);
  const outView = new DataView(out.buffer);
  h.forEach((word, i) => outView.setUint32(i * 4, word));
  return out;
};

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** HMAC-SHA-256 (RFC 2104). */
export const hmac: typeof nodeHmac = (key: Uint8Array, data: Uint8Array | string): Uint8Array => {
  const block = new Uint8Array(BLOCK_BYTES);
  block.set(key.length > BLOCK_BYTES ? sha256(key) : key);
  const message = typeof data === "string" ? utf8(data) : data;
  const inner = new Uint8Array(BLOCK_BYTES + message.length);
  const outer = new Uint8Array(BLOCK_BYTES + SHA256_BYTES);
  for (let i = 0; i < BLOCK_BYTES; i++) {
    inner[i] = block[i]! ^ 0x36;
    outer[i] = block[i]! ^ 0x5c;
  }
  inner.set(message, BLOCK_BYTES);
  outer.set(sha256(inner), BLOCK_BYTES);
  return sha256(outer);
};

/** Refused in a browser: the blocking Hi() is the broker's. */
export const saltedPasswordSync: typeof nodeSaltedPasswordSync = () => {
  throw new Error("saltedPasswordSync is not in the browser build of the SDK; use saltedPassword");
};

/** Hi() through WebCrypto's PBKDF2 (secure contexts only). */
export const saltedPassword: typeof nodeSaltedPassword = async (password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> => {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) throw new Error("WebCrypto (crypto.subtle) is missing: SCRAM in a browser needs a secure context (an https page, or localhost)");
  const key = await subtle.importKey("raw", utf8(password) as Uint8Array<ArrayBuffer>, "PBKDF2", false, ["deriveBits"]);
  const bits = await subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, iterations }, key, SHA256_BYTES * 8);
  return new Uint8Array(bits);
};

/** Whether two byte strings are equal, in time independent of their content (lengths may differ: then false). */
export const sameBytes: typeof nodeSameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
};
