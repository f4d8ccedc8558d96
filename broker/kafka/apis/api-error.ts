/**
 * The Kafka error code an API answers for a failed rlog op, shared by the
 * consume-side APIs: kafkaErrorCode's mapping, and a log line at error for
 * anything that is not an RlogError (a bug: UNKNOWN_SERVER_ERROR).
 */
import type { KafkaApiContext } from "../kafka-api.js";
import { type AuthorizationCode, KafkaError, kafkaErrorCode, type KafkaErrorCode } from "../kafka-errors.js";

/** Kafka's code for `err`, thrown by an op run for `what` ("fetch t/0"). */
export function apiErrorCode(ctx: KafkaApiContext, err: unknown, what: string, authorization?: AuthorizationCode): KafkaErrorCode {
  const code = kafkaErrorCode(err, authorization);
  if (code === KafkaError.UNKNOWN_SERVER_ERROR) ctx.log.error({ err, what }, "kafka API: op failed");
  else ctx.log.debug({ what, code, err: err instanceof Error ? err.message : String(err) }, "kafka API: op refused");
  return code;
}

/** The group authorization code, for group APIs. */
export const GROUP_AUTHORIZATION = KafkaError.GROUP_AUTHORIZATION_FAILED;
