/**
 * The SASL state of one Kafka connection, shared by SaslHandshake and
 * SaslAuthenticate (kept in KafkaConnectionAuth.exchange), and the two
 * mechanisms:
 * - SCRAM-SHA-256 (RFC 5802, RFC 7677): the WebSocket session's exchange,
 *   broker/security/scram-server.ts, with the broker's fake-salt key, so an
 *   unknown user fails exactly like a wrong password on both listeners
 *   (and librdkafka's client-final nonce, which repeats its own nonce, is
 *   accepted: ScramServerDeps.acceptRepeatedClientNonce);
 * - PLAIN (RFC 4616), offered only on TLS connections (the password travels
 *   in the clear inside the TLS stream): the password is salted with the
 *   user's stored salt and iterations and its stored key compared in
 *   constant time with the stored one. An unknown user costs the same
 *   derivation, with a fake salt, and fails with the same message.
 */
import { randomBytes } from "node:crypto";
import type { KafkaConnectionAuth } from "./kafka-api.js";
import {
  SCRAM_ITERATIONS_DEFAULT,
  SCRAM_NONCE_BYTES,
  SCRAM_PASSWORD_LENGTH_MAX,
  SCRAM_SHA_256,
  credentialFromSaltedPassword,
  saltedPassword,
  sameBytes,
} from "../protocol/scram.js";
import { BAD_CREDENTIALS, ScramServerExchange, fakeSalt } from "../security/scram-server.js";

/** Kafka's name of the PLAIN mechanism. */
export const SASL_PLAIN = "PLAIN";

/** The exchange after a successful SaslHandshake. */
export type SaslExchange =
  | { readonly mechanism: typeof SCRAM_SHA_256; readonly scram: ScramServerExchange; first: boolean }
  | { readonly mechanism: typeof SASL_PLAIN };

/** The outcome of one SaslAuthenticate. */
export type SaslStep =
  /** Send these bytes; the exchange goes on. */
  | { readonly kind: "continue"; readonly message: Uint8Array }
  /** Logged in as `username`; send these bytes. */
  | { readonly kind: "done"; readonly message: Uint8Array; readonly username: string }
  /** Failed: `reason` is what the client may be told (never whether the user exists). */
  | { readonly kind: "failed"; readonly reason: string; readonly username: string | undefined; readonly userKnown: boolean | undefined };

/** The mechanisms this connection may use: SCRAM-SHA-256, and PLAIN on TLS. Empty when authentication is off. */
export function enabledMechanisms(auth: KafkaConnectionAuth): string[] {
  if (!auth.required) return [];
  return auth.tls ? [SCRAM_SHA_256, SASL_PLAIN] : [SCRAM_SHA_256];
}

/** A new exchange for a mechanism enabledMechanisms() listed. */
export function startExchange(mechanism: string, auth: KafkaConnectionAuth): SaslExchange {
  if (mechanism === SASL_PLAIN) return { mechanism: SASL_PLAIN };
  const scram = new ScramServerExchange({
    lookup: (name) => auth.lookupUser(name),
    serverNonce: () => randomBytes(SCRAM_NONCE_BYTES).toString("base64"),
    fakeSaltKey: auth.fakeSaltKey,
    acceptRepeatedClientNonce: true,
  });
  return { mechanism: SCRAM_SHA_256, scram, first: true };
}

/** Feed one SaslAuthenticate's bytes to the exchange. */
export async function stepExchange(exchange: SaslExchange, bytes: Uint8Array, auth: KafkaConnectionAuth): Promise<SaslStep> {
  if (exchange.mechanism === SASL_PLAIN) return plain(bytes, auth);
  if (exchange.first) {
    exchange.first = false;
    const step = exchange.scram.onClientFirst(bytes);
    if (!step.ok) return { kind: "failed", reason: step.reason, username: step.username, userKnown: undefined };
    return { kind: "continue", message: step.message };
  }
  const done = exchange.scram.onClientFinal(bytes);
  if (!done.ok) return { kind: "failed", reason: done.reason, username: done.username, userKnown: exchange.scram.userKnown };
  return { kind: "done", message: done.message, username: done.username };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** RFC 4616: [authzid] NUL authcid NUL passwd. */
async function plain(bytes: Uint8Array, auth: KafkaConnectionAuth): Promise<SaslStep> {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { kind: "failed", reason: "PLAIN message is not valid UTF-8", username: undefined, userKnown: undefined };
  }
  const parts = text.split("\u0000");
  if (parts.length !== 3) return { kind: "failed", reason: "PLAIN message must be authzid NUL authcid NUL password", username: undefined, userKnown: undefined };
  const [authzid, username, password] = parts as [string, string, string];
  if (username === "" || password === "" || password.length > SCRAM_PASSWORD_LENGTH_MAX) {
    return { kind: "failed", reason: "PLAIN message needs a user name and a password", username, userKnown: undefined };
  }
  if (authzid !== "" && authzid !== username) return { kind: "failed", reason: "PLAIN: acting as another user (authzid) is not supported", username, userKnown: undefined };
  const credential = auth.lookupUser(username);
  const salt = credential?.salt ?? fakeSalt(auth.fakeSaltKey, username);
  const iterations = credential?.iterations ?? SCRAM_ITERATIONS_DEFAULT;
  const derived = credentialFromSaltedPassword(await saltedPassword(password, salt, iterations), salt, iterations);
  const expected = credential?.storedKey ?? randomBytes(derived.storedKey.byteLength);
  if (credential === undefined || !sameBytes(derived.storedKey, expected)) {
    return { kind: "failed", reason: BAD_CREDENTIALS, username, userKnown: credential !== undefined };
  }
  return { kind: "done", message: new Uint8Array(0), username };
}
