/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677): the message grammar, the key
 * derivation and the proofs, shared by the broker (which checks proofs) and
 * the SDK (which makes them). Pure: no sockets, no timers, no ambient
 * randomness (nonces and salts are handed in), so every exchange can be
 * replayed byte for byte in tests. It lives in broker/protocol because the
 * client may import nothing else of broker/.
 *
 * Choices (docs/PROTOCOL.md, "Authentication"):
 * - Channel binding: none. The only gs2 header accepted is "n,," (client
 *   does not support it). "y" (client supports it, thinks the server does
 *   not) and "p=" (client requires it) are refused: rlog offers no
 *   SCRAM-SHA-256-PLUS, and TLS (when on) protects the exchange instead.
 * - No authorization identity (the gs2 "a=" field must be empty).
 * - SASLprep (RFC 4013) is kept simple: names and passwords are used as
 *   their UTF-8 bytes, with no Unicode mapping or normalization; control
 *   characters (U+0000..U+001F, U+007F..U+009F) are refused in both. For
 *   ASCII this is exactly SASLprep; a non-ASCII password that normalizes
 *   differently must be typed the same way everywhere.
 * - Mandatory extensions ("m=") are refused; other extensions are ignored.
 *
 * Parsers never throw on bad input: they return `{ ok: false, reason }`.
 */
import { fromBase64, toBase64 } from "./base64.js";
import { hmac, saltedPassword, sameBytes, sha256 } from "./scram-crypto.js";
import {
  SCRAM_ITERATIONS_DEFAULT,
  SCRAM_ITERATIONS_MAX,
  SCRAM_ITERATIONS_MIN,
  SCRAM_KEY_BYTES,
  SCRAM_MESSAGE_BYTES_MAX,
  SCRAM_SALT_BYTES_MAX,
  SCRAM_SALT_BYTES_MIN,
  SCRAM_SHA_256,
  checkPassword,
  checkUserName,
  hasControl,
  type ScramCredential,
} from "./scram-limits.js";

export * from "./scram-limits.js";

export { hmac, saltedPassword, saltedPasswordSync, sameBytes, sha256 } from "./scram-crypto.js";

/** A parse or check outcome: the value, or why not (one sentence, safe to send and log). */
export type ScramResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const ok = <T>(value: T): ScramResult<T> => ({ ok: true, value });
const bad = (reason: string): ScramResult<never> => ({ ok: false, reason });

// ---------------------------------------------------------------- crypto

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0);
  return out;
}

/** The stored credential for a salted password. */
export function credentialFromSaltedPassword(salted: Uint8Array, salt: Uint8Array, iterations: number): ScramCredential {
  const clientKey = hmac(salted, "Client Key");
  return {
    mechanism: SCRAM_SHA_256,
    salt: Uint8Array.from(salt),
    iterations,
    storedKey: sha256(clientKey),
    serverKey: hmac(salted, "Server Key"),
  };
}

/**
 * The credential a client registers for a password (createUser). The salt is
 * handed in: SCRAM_SALT_BYTES_DEFAULT random bytes in real use.
 */
export async function scramCredential(password: string, salt: Uint8Array, iterations: number = SCRAM_ITERATIONS_DEFAULT): Promise<ScramCredential> {
  const problem = checkPassword(password) ?? checkCredentialShape({ salt, iterations });
  if (problem !== undefined) throw new RangeError(problem);
  return credentialFromSaltedPassword(await saltedPassword(password, salt, iterations), salt, iterations);
}

/** Why a salt and iteration count are out of range, or undefined. */
export function checkCredentialShape(c: { readonly salt: Uint8Array; readonly iterations: number }): string | undefined {
  if (c.salt.length < SCRAM_SALT_BYTES_MIN || c.salt.length > SCRAM_SALT_BYTES_MAX) {
    return `salt must have ${SCRAM_SALT_BYTES_MIN}..${SCRAM_SALT_BYTES_MAX} bytes, got ${c.salt.length}`;
  }
  if (!Number.isSafeInteger(c.iterations) || c.iterations < SCRAM_ITERATIONS_MIN || c.iterations > SCRAM_ITERATIONS_MAX) {
    return `iterations must be ${SCRAM_ITERATIONS_MIN}..${SCRAM_ITERATIONS_MAX}, got ${c.iterations}`;
  }
  return undefined;
}

// ---------------------------------------------------------------- proofs

/** AuthMessage of RFC 5802 section 3. */
export function authMessage(clientFirstBare: string, serverFirst: string, clientFinalWithoutProof: string): string {
  return `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
}

/** ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage). */
export function clientProof(salted: Uint8Array, auth: string): Uint8Array {
  const clientKey = hmac(salted, "Client Key");
  return xor(clientKey, hmac(sha256(clientKey), auth));
}

/** Whether a client's proof matches a stored key (constant time in the proof's content). */
export function verifyClientProof(credential: ScramCredential, auth: string, proof: Uint8Array): boolean {
  if (proof.length !== SCRAM_KEY_BYTES || credential.storedKey.length !== SCRAM_KEY_BYTES) return false;
  const clientKey = xor(proof, hmac(credential.storedKey, auth));
  return sameBytes(sha256(clientKey), credential.storedKey);
}

/** ServerSignature = HMAC(ServerKey, AuthMessage). */
export function serverSignature(serverKey: Uint8Array, auth: string): Uint8Array {
  return hmac(serverKey, auth);
}

// ---------------------------------------------------------------- text

/** saslname escaping (RFC 5802 section 5.1): "=" as "=3D", "," as "=2C". */
export function escapeSaslName(name: string): string {
  return name.replace(/=/g, "=3D").replace(/,/g, "=2C");
}

/** The inverse of escapeSaslName; a "=" not followed by 2C or 3D is refused. */
export function unescapeSaslName(text: string): ScramResult<string> {
  if (/=(?!2C|3D)/.test(text)) return bad("user name has a \"=\" that is not =2C or =3D");
  if (text.includes(",")) return bad("user name has an unescaped \",\"");
  return ok(text.replace(/=2C/g, ",").replace(/=3D/g, "="));
}

/** A nonce: printable ASCII but ",", at least one character (RFC 5802 section 7). */
function isNonce(s: string): boolean {
  return /^[\x21-\x2b\x2d-\x7e]+$/.test(s);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64(text: string, what: string): ScramResult<Uint8Array> {
  if (!BASE64.test(text)) return bad(`${what} is not base64`);
  return ok(fromBase64(text));
}

/** Bytes of a message as UTF-8 text, checked for size and valid UTF-8. */
export function messageText(bytes: Uint8Array, what: string): ScramResult<string> {
  if (bytes.length === 0) return bad(`${what} is empty`);
  if (bytes.length > SCRAM_MESSAGE_BYTES_MAX) return bad(`${what} is longer than ${SCRAM_MESSAGE_BYTES_MAX} bytes`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return bad(`${what} is not valid UTF-8`);
  }
  if (text.includes("\u0000")) return bad(`${what} has a NUL character`);
  return ok(text);
}

/** `k=value` attributes of a message, in order; refuses a malformed attribute. */
function attributes(text: string, what: string): ScramResult<{ key: string; value: string }[]> {
  const out: { key: string; value: string }[] = [];
  for (const part of text.split(",")) {
    if (!/^[A-Za-z]=/.test(part)) return bad(`${what}: malformed attribute ${JSON.stringify(part.slice(0, 16))}`);
    out.push({ key: part[0] as string, value: part.slice(2) });
  }
  return ok(out);
}

/** Attributes `keys` in that order, then optional extensions (refused when mandatory, "m="). */
function expect(text: string, what: string, keys: readonly string[]): ScramResult<string[]> {
  const attrs = attributes(text, what);
  if (!attrs.ok) return attrs;
  const list = attrs.value;
  if (list[0]?.key === "m") return bad(`${what}: mandatory extensions (m=) are not supported`);
  const values: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const a = list[i];
    if (a === undefined || a.key !== keys[i]) return bad(`${what}: expected attribute ${keys[i]}= at position ${i + 1}`);
    values.push(a.value);
  }
  return ok(values);
}

// ---------------------------------------------------------------- messages

/** The only gs2 header rlog speaks: no channel binding, no authorization identity. */
export const GS2_HEADER = "n,,";
/** base64 of GS2_HEADER: the c= attribute of every client-final message. */
export const CHANNEL_BINDING = toBase64(new TextEncoder().encode(GS2_HEADER));

/** A parsed client-first message. */
export interface ClientFirst {
  readonly username: string;
  readonly clientNonce: string;
  /** client-first-message-bare, part of AuthMessage. */
  readonly bare: string;
}

/** Build a client-first message. */
export function buildClientFirst(username: string, clientNonce: string): { message: string; bare: string } {
  const bare = `n=${escapeSaslName(username)},r=${clientNonce}`;
  return { message: GS2_HEADER + bare, bare };
}

/** Parse a client-first message (RFC 5802 section 7, client-first-message). */
export function parseClientFirst(text: string): ScramResult<ClientFirst> {
  const what = "client-first message";
  if (text.startsWith("p=")) return bad(`${what}: channel binding (p=) is not supported; use the gs2 header "n,,"`);
  if (text.startsWith("y,")) return bad(`${what}: gs2 flag "y" refused: this broker offers no channel binding, use "n,,"`);
  if (!text.startsWith("n,")) return bad(`${what}: must start with the gs2 header "n,,"`);
  const comma = text.indexOf(",", 2);
  if (comma < 0) return bad(`${what}: gs2 header is not terminated`);
  if (comma !== 2) return bad(`${what}: an authorization identity (a=) is not supported`);
  const bare = text.slice(3);
  const values = expect(bare, what, ["n", "r"]);
  if (!values.ok) return values;
  const [rawName, nonce] = values.value as [string, string];
  const name = unescapeSaslName(rawName);
  if (!name.ok) return bad(`${what}: ${name.reason}`);
  const problem = checkUserName(name.value, SCRAM_MESSAGE_BYTES_MAX);
  if (problem !== undefined) return bad(`${what}: ${problem}`);
  if (!isNonce(nonce)) return bad(`${what}: nonce must be printable ASCII without ","`);
  return ok({ username: name.value, clientNonce: nonce, bare });
}

/** A parsed server-first message. */
export interface ServerFirst {
  /** Client nonce followed by the server's part. */
  readonly nonce: string;
  readonly salt: Uint8Array;
  readonly iterations: number;
  readonly text: string;
}

/** Build a server-first message. */
export function buildServerFirst(nonce: string, salt: Uint8Array, iterations: number): string {
  return `r=${nonce},s=${toBase64(salt)},i=${iterations}`;
}

/**
 * Parse a server-first message and check it against the client's nonce: the
 * combined nonce must extend it, and the salt and iterations be in range
 * (a broker asking for 10^9 iterations would stall the client).
 */
export function parseServerFirst(text: string, clientNonce: string): ScramResult<ServerFirst> {
  const what = "server-first message";
  const values = expect(text, what, ["r", "s", "i"]);
  if (!values.ok) return values;
  const [nonce, saltText, iterText] = values.value as [string, string, string];
  if (!isNonce(nonce) || !nonce.startsWith(clientNonce) || nonce.length === clientNonce.length) {
    return bad(`${what}: nonce does not extend the client's nonce`);
  }
  const salt = base64(saltText, `${what}: salt`);
  if (!salt.ok) return salt;
  if (!/^[1-9][0-9]{0,9}$/.test(iterText)) return bad(`${what}: iteration count is not a positive integer`);
  const iterations = Number(iterText);
  const problem = checkCredentialShape({ salt: salt.value, iterations });
  if (problem !== undefined) return bad(`${what}: ${problem}`);
  return ok({ nonce, salt: salt.value, iterations, text });
}

/** A parsed client-final message. */
export interface ClientFinal {
  readonly nonce: string;
  readonly proof: Uint8Array;
  /** client-final-message-without-proof, part of AuthMessage. */
  readonly withoutProof: string;
}

/** Build a client-final message. */
export function buildClientFinal(nonce: string, salted: Uint8Array, clientFirstBare: string, serverFirst: string): { message: string; auth: string } {
  const withoutProof = `c=${CHANNEL_BINDING},r=${nonce}`;
  const auth = authMessage(clientFirstBare, serverFirst, withoutProof);
  return { message: `${withoutProof},p=${toBase64(clientProof(salted, auth))}`, auth };
}

/** Parse a client-final message; the nonce and channel binding are checked by the caller's exchange. */
export function parseClientFinal(text: string): ScramResult<ClientFinal> {
  const what = "client-final message";
  const at = text.lastIndexOf(",p=");
  if (at < 0) return bad(`${what}: no proof (p=) at the end`);
  const withoutProof = text.slice(0, at);
  const values = expect(withoutProof, what, ["c", "r"]);
  if (!values.ok) return values;
  const [binding, nonce] = values.value as [string, string];
  if (binding !== CHANNEL_BINDING) return bad(`${what}: channel binding must be ${CHANNEL_BINDING} (the gs2 header "n,,")`);
  const proof = base64(text.slice(at + 3), `${what}: proof`);
  if (!proof.ok) return proof;
  if (proof.value.length !== SCRAM_KEY_BYTES) return bad(`${what}: proof must have ${SCRAM_KEY_BYTES} bytes, got ${proof.value.length}`);
  return ok({ nonce, proof: proof.value, withoutProof });
}

/** Build a server-final message. */
export function buildServerFinal(signature: Uint8Array): string {
  return `v=${toBase64(signature)}`;
}

/** Parse a server-final message: its signature, or the server's error (e=). */
export function parseServerFinal(text: string): ScramResult<Uint8Array> {
  const what = "server-final message";
  if (text.startsWith("e=")) return bad(`broker reported ${JSON.stringify(text.slice(2, 66))}`);
  const values = expect(text, what, ["v"]);
  if (!values.ok) return values;
  return base64(values.value[0] as string, `${what}: signature`);
}
