/**
 * The SCRAM-SHA-256 credential Admin.createUser sends: derived here from
 * the password and a fresh random salt, so the password never leaves the
 * client. The salt comes from the Web Crypto API's getRandomValues (Node
 * and browsers alike); PBKDF2 is node:crypto's in Node and WebCrypto's in
 * the browser build (broker/protocol/scram-crypto-browser.ts).
 */
import { SCRAM_ITERATIONS_DEFAULT, SCRAM_SALT_BYTES_DEFAULT, scramCredential, type ScramCredential } from "../../broker/protocol/scram.js";

/**
 * A new credential for `password` (a new salt every time).
 * @throws RangeError for a password or iteration count SCRAM cannot use
 */
export function newUserCredential(password: string, iterations: number = SCRAM_ITERATIONS_DEFAULT): Promise<ScramCredential> {
  return scramCredential(password, crypto.getRandomValues(new Uint8Array(SCRAM_SALT_BYTES_DEFAULT)), iterations);
}
