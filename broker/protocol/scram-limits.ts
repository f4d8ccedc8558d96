/**
 * The constants, credential shape and name and password checks of
 * SCRAM-SHA-256 (scram.ts), in a file of their own that needs no crypto:
 * request validation (validate-request.ts) uses them, and it is reached from
 * the SDK's browser build, which must not load node:crypto. scram.ts
 * re-exports everything here.
 */

/** The one mechanism rlog speaks (IANA name). */
export const SCRAM_SHA_256 = "SCRAM-SHA-256";
/** A value of `ScramCredential.mechanism`. */
export type ScramMechanism = typeof SCRAM_SHA_256;

/** Fewest PBKDF2 iterations accepted (RFC 7677 section 4: at least 4096). */
export const SCRAM_ITERATIONS_MIN = 4096;
/** Most PBKDF2 iterations accepted: bounds the work a hostile broker can make a client do. */
export const SCRAM_ITERATIONS_MAX = 1_000_000;
/** Iterations of a credential made without an explicit count (the CLI's and the SDK's default). */
export const SCRAM_ITERATIONS_DEFAULT = 8192;
/** Shortest salt accepted, in bytes. */
export const SCRAM_SALT_BYTES_MIN = 16;
/** Longest salt accepted, in bytes. */
export const SCRAM_SALT_BYTES_MAX = 64;
/** Salt length of new credentials; also the length of the fake salt of an unknown user. */
export const SCRAM_SALT_BYTES_DEFAULT = 32;
/** Length of StoredKey and ServerKey: the SHA-256 output (SHA256_BYTES of scram-crypto.ts). */
export const SCRAM_KEY_BYTES = 32;
/** Random bytes in a nonce (base64-encoded on the wire). */
export const SCRAM_NONCE_BYTES = 24;
/** Longest SCRAM message accepted, in bytes; real ones are about 200. */
export const SCRAM_MESSAGE_BYTES_MAX = 4096;
/** Longest password accepted, in characters (a bound on what is hashed). */
export const SCRAM_PASSWORD_LENGTH_MAX = 1024;

/** What the broker stores for a user: never the password (RFC 5802 section 3). */
export interface ScramCredential {
  readonly mechanism: ScramMechanism;
  readonly salt: Uint8Array;
  readonly iterations: number;
  /** H(ClientKey): checks a client's proof. */
  readonly storedKey: Uint8Array;
  /** HMAC(SaltedPassword, "Server Key"): signs the broker's final message. */
  readonly serverKey: Uint8Array;
}

/** Why a user name cannot be used, or undefined. */
export function checkUserName(name: string, lengthMax: number): string | undefined {
  if (name.length === 0) return "user name must not be empty";
  if (name.length > lengthMax) return `user name longer than ${lengthMax} characters (${name.length})`;
  if (hasControl(name)) return "user name has a control character";
  return undefined;
}

/** Why a password cannot be used, or undefined. */
export function checkPassword(password: string): string | undefined {
  if (password.length === 0) return "password must not be empty";
  if (password.length > SCRAM_PASSWORD_LENGTH_MAX) return `password longer than ${SCRAM_PASSWORD_LENGTH_MAX} characters`;
  if (hasControl(password)) return "password has a control character";
  return undefined;
}

/** U+0000..U+001F, U+007F..U+009F. */
export function hasControl(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f]/.test(s);
}

