/**
 * The broker side of one SCRAM-SHA-256 exchange (RFC 5802 section 3, RFC
 * 7677): client-first -> server-first, client-final -> server-final. Pure:
 * the credentials, the server nonce and the fake-salt key are handed in.
 *
 * An unknown user gets a server-first message of the same shape as a known
 * one: a fake salt (HMAC of the name under a per-broker random key, so it is
 * the same every time for that name and SCRAM_SALT_BYTES_DEFAULT bytes long,
 * like a real one) and SCRAM_ITERATIONS_DEFAULT iterations. The exchange
 * then fails at client-final exactly as a wrong password does, so the
 * broker's answers do not reveal which user names exist.
 *
 * Nothing here can be replayed: the server nonce is fresh per exchange, and
 * the proof covers it (AuthMessage), so a recorded client-final message
 * fails on any other connection.
 */
import {
  SCRAM_ITERATIONS_DEFAULT,
  SCRAM_SALT_BYTES_DEFAULT,
  SCRAM_SHA_256,
  authMessage,
  buildServerFinal,
  buildServerFirst,
  hmac,
  messageText,
  parseClientFinal,
  parseClientFirst,
  serverSignature,
  verifyClientProof,
  type ScramCredential,
} from "../protocol/scram.js";

/** What an exchange needs from its broker. */
export interface ScramServerDeps {
  /** The stored credential of a user, or undefined when there is no such user. */
  readonly lookup: (name: string) => ScramCredential | undefined;
  /** The server's part of the nonce: fresh and unguessable per exchange (printable ASCII without ","). */
  readonly serverNonce: () => string;
  /** Per-broker random key for the fake salts of unknown users. */
  readonly fakeSaltKey: Uint8Array;
  /**
   * Also accept a client-final nonce that repeats the client's nonce before
   * the exchange's (client nonce + client nonce + server nonce): librdkafka
   * (2.0 and earlier) sends that, and Kafka's broker accepted it for years
   * (it checked the nonce with endsWith). The Kafka listener sets it; the
   * proof still covers the message as sent and the fresh server nonce.
   */
  readonly acceptRepeatedClientNonce?: boolean;
}

/** The outcome of one step: the message to send back, or why the exchange failed. */
export type ScramStep =
  | { readonly ok: true; readonly message: Uint8Array }
  | { readonly ok: false; readonly reason: string; readonly username: string | undefined };

/** The outcome of the last step: also who was authenticated. */
export type ScramFinish = { readonly ok: true; readonly message: Uint8Array; readonly username: string } | Extract<ScramStep, { ok: false }>;

/** The one reason a client sees for a wrong password or an unknown user (the same on purpose). */
export const BAD_CREDENTIALS = "unknown user or wrong password";

/** The salt an unknown user gets: stable per name, shaped like a real one. */
export function fakeSalt(key: Uint8Array, name: string): Uint8Array {
  return hmac(key, `rlog-scram-fake-salt:${name}`).subarray(0, SCRAM_SALT_BYTES_DEFAULT);
}

type Step = "clientFirst" | "clientFinal" | "done";

/** One exchange on one connection; see the file comment. */
export class ScramServerExchange {
  private step: Step = "clientFirst";
  private username: string | undefined;
  /** undefined for an unknown user: the exchange goes on with a fake salt and must fail. */
  private credential: ScramCredential | undefined;
  private nonce = "";
  private clientNonce = "";
  private clientFirstBare = "";
  private serverFirst = "";

  constructor(private readonly deps: ScramServerDeps) {}

  /** The user name the client gave, once its first message parsed. */
  get user(): string | undefined {
    return this.username;
  }

  /** The client-first message in, the server-first message out. */
  onClientFirst(bytes: Uint8Array): ScramStep {
    if (this.step !== "clientFirst") return this.fail("client-first message out of order");
    this.step = "done";
    const text = messageText(bytes, "client-first message");
    if (!text.ok) return this.fail(text.reason);
    const first = parseClientFirst(text.value);
    if (!first.ok) return this.fail(first.reason);
    this.username = first.value.username;
    this.clientFirstBare = first.value.bare;
    this.credential = this.deps.lookup(first.value.username);
    const salt = this.credential?.salt ?? fakeSalt(this.deps.fakeSaltKey, first.value.username);
    const iterations = this.credential?.iterations ?? SCRAM_ITERATIONS_DEFAULT;
    this.clientNonce = first.value.clientNonce;
    this.nonce = first.value.clientNonce + this.deps.serverNonce();
    this.serverFirst = buildServerFirst(this.nonce, salt, iterations);
    this.step = "clientFinal";
    return { ok: true, message: Buffer.from(this.serverFirst, "utf8") };
  }

  /** The client-final message in; the server-final message out when the proof is right. */
  onClientFinal(bytes: Uint8Array): ScramFinish {
    if (this.step !== "clientFinal") return this.fail("client-final message out of order");
    this.step = "done";
    const text = messageText(bytes, "client-final message");
    if (!text.ok) return this.fail(text.reason);
    const final = parseClientFinal(text.value);
    if (!final.ok) return this.fail(final.reason);
    const repeated = this.deps.acceptRepeatedClientNonce === true && final.value.nonce === this.clientNonce + this.nonce;
    if (final.value.nonce !== this.nonce && !repeated) return this.fail("client-final message: nonce is not the one of this exchange");
    const credential = this.credential;
    const auth = authMessage(this.clientFirstBare, this.serverFirst, final.value.withoutProof);
    if (credential === undefined || credential.mechanism !== SCRAM_SHA_256 || !verifyClientProof(credential, auth, final.value.proof)) {
      return this.fail(BAD_CREDENTIALS);
    }
    const username = this.username as string;
    return { ok: true, message: Buffer.from(buildServerFinal(serverSignature(credential.serverKey, auth)), "utf8"), username };
  }

  /** Whether the user named in client-first exists (for logs only: never told to the client). */
  get userKnown(): boolean {
    return this.credential !== undefined;
  }

  private fail(reason: string): { readonly ok: false; readonly reason: string; readonly username: string | undefined } {
    this.step = "done";
    return { ok: false, reason, username: this.username };
  }
}
