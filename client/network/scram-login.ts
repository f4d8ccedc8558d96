/**
 * A client's SCRAM-SHA-256 login (RFC 5802, RFC 7677), run by each
 * connection right after its handshake when the broker asks for it. One per
 * RlogClient: it holds the credentials and caches the salted password per
 * (salt, iterations), so a reconnect costs two HMACs, not another PBKDF2.
 * The broker's final signature is checked: a broker that cannot prove it
 * knows the user's key is refused (AUTHENTICATION_FAILED).
 *
 * No node: imports: randomness is the Web Crypto API's getRandomValues (in
 * Node and browsers alike), and in the browser build the hashes are
 * scram-crypto-browser.ts (PBKDF2 through WebCrypto).
 */
import { RlogError } from "../../broker/protocol/errors.js";
import { SCRAM_NONCE_BYTES, SCRAM_SHA_256, checkPassword, saltedPassword } from "../../broker/protocol/scram.js";
import { ScramClientExchange } from "../../broker/protocol/scram-client.js";
import { toBase64 } from "../../broker/protocol/base64.js";

/** Node's util.inspect.custom, a registered symbol: named here without importing node:util (the browser build has none). */
const INSPECT_CUSTOM = Symbol.for("nodejs.util.inspect.custom");

/** The SDK option `sasl` (kafkajs naming). */
export interface SaslOptions {
  readonly mechanism: "scram-sha-256";
  readonly username: string;
  readonly password: string;
}

/** Most (salt, iterations) pairs whose salted password is kept: brokers of one cluster share one per user. */
const SALTED_PASSWORDS_MAX = 8;

/** Sends one authenticate message and returns the broker's result map. */
export type AuthenticateSend = (message: Uint8Array) => Promise<Readonly<Record<string, unknown>>>;

/** See the file comment. */
export class ScramLogin {
  private readonly salted = new Map<string, Promise<Uint8Array>>();

  /** @throws TypeError for an empty user name or a password SCRAM cannot use */
  constructor(private readonly options: SaslOptions) {
    if (options.mechanism !== "scram-sha-256") throw new TypeError(`sasl.mechanism: only "scram-sha-256" is supported, got ${JSON.stringify(options.mechanism)}`);
    if (typeof options.username !== "string" || options.username === "") throw new TypeError("sasl.username: give a user name");
    const problem = typeof options.password === "string" ? checkPassword(options.password) : "give a password";
    if (problem !== undefined) throw new TypeError(`sasl.password: ${problem}`);
  }

  /** What logs and JSON show: never the password. */
  toJSON(): { mechanism: string; username: string } {
    return { mechanism: this.options.mechanism, username: this.options.username };
  }

  /** console.log and util.inspect show what toJSON does. */
  [INSPECT_CUSTOM](): string {
    return `ScramLogin ${JSON.stringify(this.toJSON())}`;
  }

  /** The user name logged in with. */
  get username(): string {
    return this.options.username;
  }

  /**
   * Run one exchange over `send`.
   * @returns the principal the broker names ("User:<name>")
   * @throws RlogError AUTHENTICATION_FAILED (not retriable) when the broker or its answers are refused
   */
  async login(send: AuthenticateSend, url: string): Promise<string> {
    const exchange = new ScramClientExchange(this.options.username, toBase64(crypto.getRandomValues(new Uint8Array(SCRAM_NONCE_BYTES))));
    const first = await send(exchange.first());
    const params = exchange.onServerFirst(messageOf(first));
    if (!params.ok) throw refused(url, params.reason);
    const salted = await this.saltedPassword(params.value.salt, params.value.iterations);
    const final = await send(exchange.final(salted));
    const verified = exchange.onServerFinal(messageOf(final));
    if (!verified.ok) throw refused(url, verified.reason);
    const principal = final["principal"];
    return typeof principal === "string" ? principal : `User:${this.options.username}`;
  }

  private saltedPassword(salt: Uint8Array, iterations: number): Promise<Uint8Array> {
    const key = `${toBase64(salt)}:${iterations}`;
    let p = this.salted.get(key);
    if (p === undefined) {
      if (this.salted.size >= SALTED_PASSWORDS_MAX) this.salted.delete(this.salted.keys().next().value as string);
      p = saltedPassword(this.options.password, salt, iterations);
      this.salted.set(key, p);
      p.catch(() => this.salted.delete(key));
    }
    return p;
  }
}

/** The mechanism name on the wire. */
export const SASL_MECHANISM = SCRAM_SHA_256;

function messageOf(result: Readonly<Record<string, unknown>>): Uint8Array {
  const m = result["message"];
  return m instanceof Uint8Array ? m : new Uint8Array(0);
}

function refused(url: string, reason: string): RlogError {
  return new RlogError("AUTHENTICATION_FAILED", `${url}: ${reason}`);
}
