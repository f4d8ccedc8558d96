/**
 * InitProducerId (key 22), v0-v1 (v2 is flexible): a producer id and epoch
 * for an idempotent producer, from rlog's `initProducerId` op (a fresh id
 * from the controller leader's block, epoch 0).
 *
 * Choices (docs/KAFKA.md, "Idempotent producers"):
 * - Any broker answers. Only the controller leader hands out ids, and Kafka
 *   clients do not follow NOT_CONTROLLER here (librdkafka asks any broker,
 *   kafkajs the controller of its cached metadata), so a broker that does
 *   not lead the controller forwards the request to the one that does
 *   (init-producer-id-forward.ts). Not when this listener uses TLS or SASL:
 *   the broker has no credentials of its own there; the client then gets
 *   the retriable code below and tries again (librdkafka on another broker,
 *   kafkajs once its metadata names the new controller).
 * - Every retriable failure (no controller leader yet, a commit timeout,
 *   a failed forward) is COORDINATOR_LOAD_IN_PROGRESS, as Kafka's own
 *   broker answers while it has no block of ids: the one retriable code
 *   kafkajs, librdkafka and the Java client all retry InitProducerId on.
 * - A non-null transactional_id gets TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
 *   rlog has no transactions, and that code is fatal in every client.
 * - A refused ACL check is CLUSTER_AUTHORIZATION_FAILED (Kafka's
 *   IdempotentWrite is a cluster permission).
 */
import { ApiKey } from "../api-keys.js";
import { FORWARDED_CLIENT_ID, forwardInitProducerId } from "../init-producer-id-forward.js";
import type { KafkaApi, KafkaApiContext } from "../kafka-api.js";
import { KafkaError, kafkaErrorCode } from "../kafka-errors.js";
import type { KafkaReader } from "../kafka-reader.js";
import { KafkaWriter } from "../kafka-writer.js";
import { RlogError } from "../../protocol/errors.js";

/** An answer's body fields. */
interface ProducerIdAnswer {
  readonly errorCode: number;
  readonly producerId: number;
  readonly producerEpoch: number;
}

function refused(errorCode: number): ProducerIdAnswer {
  return { errorCode, producerId: -1, producerEpoch: -1 };
}

/** The InitProducerId API. */
export const initProducerIdApi: KafkaApi = {
  key: ApiKey.InitProducerId,
  name: "InitProducerId",
  minVersion: 0,
  maxVersion: 1,
  async handle(_version: number, body: KafkaReader, ctx: KafkaApiContext): Promise<KafkaWriter> {
    const transactionalId = body.nullableString("transactional_id");
    const transactionTimeoutMs = body.int32("transaction_timeout_ms");
    body.end("InitProducerId");
    let answer: ProducerIdAnswer;
    if (transactionalId !== null) {
      ctx.log.info({ transactionalId, clientId: ctx.header.clientId }, "InitProducerId with a transactional id refused: rlog has no transactions");
      answer = refused(KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    } else {
      answer = await producerId(transactionTimeoutMs, ctx);
    }
    return new KafkaWriter().int32(0).int16(answer.errorCode).int64(answer.producerId).int16(answer.producerEpoch);
  },
};

/** A producer id from this broker's controller, or forwarded to the controller leader. */
async function producerId(transactionTimeoutMs: number, ctx: KafkaApiContext): Promise<ProducerIdAnswer> {
  try {
    const r = await ctx.call({ op: "initProducerId" });
    return { errorCode: KafkaError.NONE, producerId: r.producerId, producerEpoch: r.producerEpoch };
  } catch (err) {
    if (err instanceof RlogError && err.is("NOT_CONTROLLER")) {
      const forwarded = await forward(err, transactionTimeoutMs, ctx);
      if (forwarded !== undefined) return forwarded;
    }
    if (err instanceof RlogError && err.retriable) return refused(KafkaError.COORDINATOR_LOAD_IN_PROGRESS);
    const code = kafkaErrorCode(err, KafkaError.CLUSTER_AUTHORIZATION_FAILED);
    if (code === KafkaError.UNKNOWN_SERVER_ERROR) ctx.log.error({ err }, "InitProducerId failed");
    return refused(code);
  }
}

/** Ask the controller leader named by `notController`; undefined when this broker cannot. */
async function forward(notController: RlogError, transactionTimeoutMs: number, ctx: KafkaApiContext): Promise<ProducerIdAnswer | undefined> {
  if (ctx.auth.tls || ctx.auth.required || ctx.header.clientId === FORWARDED_CLIENT_ID) return undefined;
  const leader = notController.details?.leader?.brokerId;
  const endpoint = ctx.cluster.kafkaBrokers().find((b) => b.id === leader);
  if (endpoint === undefined || endpoint.id === ctx.cluster.brokerId) return undefined;
  try {
    const answer = await forwardInitProducerId(endpoint.host, endpoint.port, transactionTimeoutMs, ctx.signal);
    ctx.log.debug({ controller: endpoint.id, errorCode: answer.errorCode, producerId: answer.producerId }, "InitProducerId forwarded to the controller leader");
    return answer;
  } catch (err) {
    ctx.log.info({ controller: endpoint.id, err: (err as Error).message }, "InitProducerId forward to the controller leader failed");
    return undefined;
  }
}
