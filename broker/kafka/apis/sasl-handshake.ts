/**
 * SaslHandshake (key 17), v1: the client names its SASL mechanism and
 * learns which ones this connection offers (sasl-exchange.ts).
 *
 * v0 would make the rest of the exchange raw, unframed tokens, so a v0
 * request is refused: UNSUPPORTED_VERSION (the v0 and v1 answers have one
 * shape) and the connection closes. ApiVersions still lists v0-v1, because
 * librdkafka decides that a broker speaks SASL at all only when
 * SaslHandshake is listed from v0 (its "SASL Handshake not supported by
 * broker" otherwise); it then uses v1 and SaslAuthenticate, as kafkajs does.
 *
 * - authentication off (mechanism "none"): UNSUPPORTED_SASL_MECHANISM with
 *   an empty list, which kafkajs and librdkafka report as "mechanism not
 *   supported by the broker";
 * - a mechanism not offered: UNSUPPORTED_SASL_MECHANISM with the list;
 * - a second handshake (already logged in, or an exchange under way):
 *   ILLEGAL_SASL_STATE.
 */
import { ApiKey } from "../api-keys.js";
import type { KafkaApi, KafkaApiContext } from "../kafka-api.js";
import { KafkaError } from "../kafka-errors.js";
import type { KafkaReader } from "../kafka-reader.js";
import { KafkaWriter } from "../kafka-writer.js";
import { enabledMechanisms, startExchange } from "../sasl-exchange.js";

function answer(errorCode: number, mechanisms: readonly string[]): KafkaWriter {
  return new KafkaWriter().int16(errorCode).array(mechanisms, (w, m) => w.string(m));
}

/** SaslHandshake: see the file comment. */
export const saslHandshakeApi: KafkaApi = {
  key: ApiKey.SaslHandshake,
  name: "SaslHandshake",
  minVersion: 0,
  maxVersion: 1,
  handle(version: number, body: KafkaReader, ctx: KafkaApiContext): KafkaWriter {
    const mechanism = body.string("mechanism");
    body.end("SaslHandshake");
    const { auth } = ctx;
    const offered = enabledMechanisms(auth);
    if (version === 0) {
      ctx.log.info({ mechanism }, "kafka SaslHandshake v0 (unframed SASL) is not supported; closing");
      ctx.closeAfterResponse();
      return answer(KafkaError.UNSUPPORTED_VERSION, offered);
    }
    if (offered.length === 0) {
      ctx.log.info({ mechanism }, "kafka SaslHandshake: authentication is off on this broker");
      return answer(KafkaError.UNSUPPORTED_SASL_MECHANISM, offered);
    }
    if (auth.principal !== undefined || auth.mechanism !== undefined) {
      ctx.log.info({ mechanism, principal: auth.principal }, "kafka SaslHandshake out of order");
      return answer(KafkaError.ILLEGAL_SASL_STATE, offered);
    }
    if (!offered.includes(mechanism)) {
      ctx.log.info({ mechanism, offered, tls: auth.tls }, "kafka SaslHandshake: mechanism not offered");
      return answer(KafkaError.UNSUPPORTED_SASL_MECHANISM, offered);
    }
    auth.mechanism = mechanism;
    auth.exchange = startExchange(mechanism, auth);
    ctx.log.debug({ mechanism }, "kafka SASL mechanism chosen");
    return answer(KafkaError.NONE, offered);
  },
};
