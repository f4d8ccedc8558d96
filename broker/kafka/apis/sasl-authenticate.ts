/**
 * SaslAuthenticate (key 36), v0-v1: one message of the SASL exchange that
 * SaslHandshake started (sasl-exchange.ts).
 *
 * - Before a handshake, after login, or while the previous message of the
 *   exchange is still being checked (pipelined): ILLEGAL_SASL_STATE, then close.
 * - Success: the connection's principal becomes "User:<name>" (the listener
 *   then lets every API through) and the exchange state is cleared.
 * - Failure: answered after authentication.failureDelayMs with
 *   SASL_AUTHENTICATION_FAILED and a message that never tells an unknown
 *   user from a wrong password; then the connection closes.
 * session_lifetime_ms (v1) is 0: rlog does not ask clients to log in again.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ApiKey } from "../api-keys.js";
import type { KafkaApi, KafkaApiContext } from "../kafka-api.js";
import { KafkaError } from "../kafka-errors.js";
import type { KafkaReader } from "../kafka-reader.js";
import { KafkaWriter } from "../kafka-writer.js";
import { SCRAM_MESSAGE_BYTES_MAX } from "../../protocol/scram.js";
import { stepExchange, type SaslExchange } from "../sasl-exchange.js";

function answer(version: number, errorCode: number, message: string | null, bytes: Uint8Array): KafkaWriter {
  const w = new KafkaWriter().int16(errorCode).nullableString(message).bytes(bytes);
  if (version >= 1) w.int64(0); // session_lifetime_ms
  return w;
}

const EMPTY = new Uint8Array(0);

/** SaslAuthenticate: see the file comment. */
export const saslAuthenticateApi: KafkaApi = {
  key: ApiKey.SaslAuthenticate,
  name: "SaslAuthenticate",
  minVersion: 0,
  maxVersion: 1,
  async handle(version: number, body: KafkaReader, ctx: KafkaApiContext): Promise<KafkaWriter> {
    const bytes = body.bytes("auth_bytes");
    body.end("SaslAuthenticate");
    const { auth } = ctx;
    const exchange = auth.exchange as SaslExchange | undefined;
    if (exchange === undefined || auth.principal !== undefined) {
      ctx.log.info({ principal: auth.principal }, "kafka SaslAuthenticate without a SaslHandshake; closing");
      ctx.closeAfterResponse();
      return answer(version, KafkaError.ILLEGAL_SASL_STATE, "SaslHandshake first", EMPTY);
    }
    // One message at a time: a SaslAuthenticate pipelined behind this one finds no exchange (ILLEGAL_SASL_STATE).
    auth.exchange = undefined;
    const step =
      bytes.byteLength > SCRAM_MESSAGE_BYTES_MAX
        ? { kind: "failed" as const, reason: `SASL message over ${SCRAM_MESSAGE_BYTES_MAX} bytes`, username: undefined, userKnown: undefined }
        : await stepExchange(exchange, bytes, auth);
    if (step.kind === "continue") {
      auth.exchange = exchange;
      return answer(version, KafkaError.NONE, null, step.message);
    }
    auth.mechanism = undefined;
    if (step.kind === "done") {
      auth.principal = `User:${step.username}`;
      ctx.log.debug({ principal: auth.principal, mechanism: exchange.mechanism }, "kafka connection authenticated");
      return answer(version, KafkaError.NONE, null, step.message);
    }
    // The reason the client sees never tells an unknown user from a wrong password; the log may.
    ctx.log.info({ user: step.username, userKnown: step.userKnown, reason: step.reason, mechanism: exchange.mechanism }, "kafka authentication failed");
    ctx.closeAfterResponse();
    await sleep(auth.failureDelayMs, undefined, { signal: ctx.signal }).catch(() => undefined);
    return answer(version, KafkaError.SASL_AUTHENTICATION_FAILED, `authentication failed: ${step.reason}`, EMPTY);
  },
};
