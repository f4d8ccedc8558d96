/**
 * The cryptographic primitives of SCRAM-SHA-256 (RFC 5802 section 2.2):
 * HMAC-SHA-256, SHA-256, PBKDF2 (Hi) and a constant-time comparison. The one
 * file of broker/protocol that imports node:crypto; the SDK's browser build
 * swaps it for scram-crypto-browser.ts (WebCrypto PBKDF2, JavaScript HMAC).
 * Results are typed Uint8Array (they are Buffers here) so both agree.
 */
import { createHash, createHmac, pbkdf2, pbkdf2Sync, timingSafeEqual } from "node:crypto";

/** Bytes of SHA-256 output: the length of SaltedPassword, StoredKey and ServerKey. */
export const SHA256_BYTES = 32;

/** HMAC-SHA-256. */
export function hmac(key: Uint8Array, data: Uint8Array | string): Uint8Array {
  return createHmac("sha256", key).update(data).digest();
}

/** SHA-256. */
export function sha256(data: Uint8Array): Uint8Array {
  return createHash("sha256").update(data).digest();
}

/** Hi(password, salt, i) of RFC 5802: PBKDF2-HMAC-SHA-256, 32 bytes. Blocks for the whole computation. */
export function saltedPasswordSync(password: string, salt: Uint8Array, iterations: number): Uint8Array {
  return pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, SHA256_BYTES, "sha256");
}

/** Hi() on the libuv thread pool: what a client calls so its event loop keeps running. */
export function saltedPassword(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    pbkdf2(Buffer.from(password, "utf8"), salt, iterations, SHA256_BYTES, "sha256", (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Whether two byte strings are equal, in time independent of their content (lengths may differ: then false). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
