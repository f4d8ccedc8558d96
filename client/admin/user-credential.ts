/**
 * The SCRAM-SHA-256 credential Admin.createUser sends: derived here from
 * the password and a fresh random salt, so the password never leaves the
 * client. Node only (node:crypto through broker/protocol/scram.ts); the
 * browser build of the SDK swaps in user-credential-browser.ts, which
 * refuses (client/browser/bundle.ts).
 */
import { randomBytes } from "node:crypto";
import { SCRAM_ITERATIONS_DEFAULT, SCRAM_SALT_BYTES_DEFAULT, scramCredential, type ScramCredential } from "../../broker/protocol/scram.js";

/**
 * A new credential for `password` (a new salt every time).
 * @throws RangeError for a password or iteration count SCRAM cannot use
 */
export function newUserCredential(password: string, iterations: number = SCRAM_ITERATIONS_DEFAULT): Promise<ScramCredential> {
  return scramCredential(password, randomBytes(SCRAM_SALT_BYTES_DEFAULT), iterations);
}
