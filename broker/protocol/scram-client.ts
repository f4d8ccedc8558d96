/**
 * The client side of one SCRAM-SHA-256 exchange (RFC 5802 section 3), as a
 * small state machine: first() -> onServerFirst() -> final(saltedPassword)
 * -> onServerFinal(). Pure: the nonce is handed in and the salted password
 * (PBKDF2, the slow part) is computed by the caller, who may cache it per
 * (salt, iterations) so reconnects do not hash again.
 */
import {
  buildClientFinal,
  buildClientFirst,
  messageText,
  parseServerFinal,
  parseServerFirst,
  sameBytes,
  serverSignature,
  hmac,
  type ScramResult,
} from "./scram.js";

type Step = "first" | "serverFirst" | "final" | "serverFinal" | "done" | "failed";

/** One exchange; see the file comment. A step out of order is a bug (throws). */
export class ScramClientExchange {
  private step: Step = "first";
  private readonly bare: string;
  private readonly firstMessage: string;
  private readonly clientNonce: string;
  private nonce = "";
  private serverFirst = "";
  private auth = "";
  private saltedPassword: Uint8Array = new Uint8Array(0);

  /** @param clientNonce printable ASCII without ","; random (base64 of SCRAM_NONCE_BYTES bytes) in real use */
  constructor(
    readonly username: string,
    clientNonce: string,
  ) {
    const first = buildClientFirst(username, clientNonce);
    this.bare = first.bare;
    this.firstMessage = first.message;
    this.clientNonce = clientNonce;
  }

  /** The client-first message. */
  first(): Uint8Array {
    this.advance("first", "serverFirst");
    return new TextEncoder().encode(this.firstMessage);
  }

  /** Read the server-first message: the salt and iteration count to hash the password with. */
  onServerFirst(bytes: Uint8Array): ScramResult<{ salt: Uint8Array; iterations: number }> {
    this.advance("serverFirst", "final");
    const text = messageText(bytes, "server-first message");
    if (!text.ok) return this.fail(text.reason);
    const parsed = parseServerFirst(text.value, this.clientNonce);
    if (!parsed.ok) return this.fail(parsed.reason);
    this.nonce = parsed.value.nonce;
    this.serverFirst = parsed.value.text;
    return { ok: true, value: { salt: parsed.value.salt, iterations: parsed.value.iterations } };
  }

  /** The client-final message, proving knowledge of the salted password. */
  final(saltedPassword: Uint8Array): Uint8Array {
    this.advance("final", "serverFinal");
    this.saltedPassword = saltedPassword;
    const built = buildClientFinal(this.nonce, saltedPassword, this.bare, this.serverFirst);
    this.auth = built.auth;
    return new TextEncoder().encode(built.message);
  }

  /** Check the server's signature: a broker that does not know the user's ServerKey is refused. */
  onServerFinal(bytes: Uint8Array): ScramResult<void> {
    this.advance("serverFinal", "done");
    const text = messageText(bytes, "server-final message");
    if (!text.ok) return this.fail(text.reason);
    const signature = parseServerFinal(text.value);
    if (!signature.ok) return this.fail(signature.reason);
    const expected = serverSignature(hmac(this.saltedPassword, "Server Key"), this.auth);
    if (!sameBytes(signature.value, expected)) return this.fail("the broker's signature is wrong: it does not know this user's key");
    return { ok: true, value: undefined };
  }

  private advance(from: Step, to: Step): void {
    if (this.step !== from) throw new Error(`SCRAM client: ${from} called in step ${this.step}`);
    this.step = to;
  }

  private fail(reason: string): ScramResult<never> {
    this.step = "failed";
    return { ok: false, reason };
  }
}
