/**
 * The stored form of SCRAM users as JSON: what `rlog-cli user hash` prints
 * and what the broker setting `authentication.scramUsersFile` names, a JSON
 * array of
 *
 *     { "name": "admin", "mechanism": "SCRAM-SHA-256", "salt": "<base64>",
 *       "iterations": 8192, "storedKey": "<base64>", "serverKey": "<base64>" }
 *
 * Salted keys only, never a password (RFC 5802 section 3).
 */
import {
  SCRAM_KEY_BYTES,
  SCRAM_SHA_256,
  checkCredentialShape,
  checkUserName,
  type ScramCredential,
} from "./scram.js";

/** One user in the stored JSON form. */
export interface StoredUserJson {
  readonly name: string;
  readonly mechanism: string;
  readonly salt: string;
  readonly iterations: number;
  readonly storedKey: string;
  readonly serverKey: string;
}

/** A user and its credential. */
export interface StoredUser {
  readonly name: string;
  readonly credential: ScramCredential;
}

/** Most users in one users file (a bound on what is read at start). */
export const SCRAM_USERS_FILE_ENTRIES_MAX = 10_000;

/** The JSON form of one user. */
export function storedUserJson(name: string, c: ScramCredential): StoredUserJson {
  const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");
  return { name, mechanism: c.mechanism, salt: b64(c.salt), iterations: c.iterations, storedKey: b64(c.storedKey), serverKey: b64(c.serverKey) };
}

/**
 * Parse a users file's text.
 * @param nameLengthMax longest user name (the broker's stringLengthMax)
 * @throws Error whose message names the entry and field at fault
 */
export function parseStoredUsers(text: string, nameLengthMax: number): StoredUser[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(value)) throw new Error("must be a JSON array of users ({ name, mechanism, salt, iterations, storedKey, serverKey })");
  if (value.length > SCRAM_USERS_FILE_ENTRIES_MAX) throw new Error(`more than ${SCRAM_USERS_FILE_ENTRIES_MAX} users`);
  const seen = new Set<string>();
  return value.map((entry: unknown, i) => {
    const at = `[${i}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw new Error(`${at}: must be an object`);
    const e = entry as Record<string, unknown>;
    const str = (key: string): string => {
      const v = e[key];
      if (typeof v !== "string") throw new Error(`${at}.${key}: must be a string`);
      return v;
    };
    const bytes = (key: string): Buffer => {
      const v = str(key);
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) throw new Error(`${at}.${key}: must be base64`);
      return Buffer.from(v, "base64");
    };
    const name = str("name");
    const nameProblem = checkUserName(name, nameLengthMax);
    if (nameProblem !== undefined) throw new Error(`${at}.name: ${nameProblem}`);
    if (seen.has(name)) throw new Error(`${at}.name: user ${JSON.stringify(name)} is listed twice`);
    seen.add(name);
    if (e["mechanism"] !== SCRAM_SHA_256) throw new Error(`${at}.mechanism: must be "${SCRAM_SHA_256}"`);
    const iterations = e["iterations"];
    if (typeof iterations !== "number") throw new Error(`${at}.iterations: must be an integer`);
    const salt = bytes("salt");
    const shape = checkCredentialShape({ salt, iterations });
    if (shape !== undefined) throw new Error(`${at}: ${shape}`);
    const storedKey = bytes("storedKey");
    const serverKey = bytes("serverKey");
    for (const [key, b] of [["storedKey", storedKey], ["serverKey", serverKey]] as const) {
      if (b.length !== SCRAM_KEY_BYTES) throw new Error(`${at}.${key}: must be ${SCRAM_KEY_BYTES} bytes, got ${b.length}`);
    }
    return { name, credential: { mechanism: SCRAM_SHA_256, salt, iterations, storedKey, serverKey } };
  });
}
