/**
 * FindCoordinator (key 10), v0-v2: the broker that coordinates a consumer
 * group, found as rlog's SDK finds it (broker/protocol/group-routing.ts):
 * the leader of the group's partition of the offsets topic, named by its
 * Kafka endpoint. While that topic is missing, its partition has no
 * leader, or the leader has no Kafka listener: COORDINATOR_NOT_AVAILABLE
 * (retriable: the client asks again). A transaction coordinator (key_type
 * 1) is COORDINATOR_NOT_AVAILABLE with a message: rlog has no transactions.
 * The answer may be one election stale; the group APIs then answer
 * NOT_COORDINATOR and the client asks again.
 */
import { ApiKey } from "../api-keys.js";
import type { KafkaApi, KafkaApiContext, KafkaBrokerEndpoint } from "../kafka-api.js";
import { KafkaError } from "../kafka-errors.js";
import type { KafkaReader } from "../kafka-reader.js";
import { KafkaWriter } from "../kafka-writer.js";
import { coordinatorPartition, OFFSETS_TOPIC } from "../../protocol/group-routing.js";
import { apiErrorCode } from "./api-error.js";

/** FindCoordinator's key_type of a consumer group (1 is a transactional id). */
export const KEY_TYPE_GROUP = 0;

/** The coordinator of `group`, or the error code and message to answer. */
async function coordinatorOf(group: string, ctx: KafkaApiContext): Promise<KafkaBrokerEndpoint | { code: number; message: string }> {
  let leader: number | undefined;
  try {
    const md = await ctx.call({ op: "metadata", topics: [OFFSETS_TOPIC] });
    const partitions = md.topics.find((t) => t.name === OFFSETS_TOPIC)?.partitions;
    if (partitions === undefined || partitions.length === 0) return { code: KafkaError.COORDINATOR_NOT_AVAILABLE, message: `the ${OFFSETS_TOPIC} topic is being created` };
    leader = partitions.find((p) => p.partition === coordinatorPartition(group, partitions.length))?.leader;
  } catch (err) {
    return { code: apiErrorCode(ctx, err, `find coordinator of ${group}`), message: err instanceof Error ? err.message : String(err) };
  }
  if (leader === undefined || leader === 0) return { code: KafkaError.COORDINATOR_NOT_AVAILABLE, message: "the group's coordinator is being elected" };
  const endpoint = ctx.cluster.kafkaBrokers().find((b) => b.id === leader);
  if (endpoint === undefined) return { code: KafkaError.COORDINATOR_NOT_AVAILABLE, message: `broker ${leader}, the group's coordinator, has no Kafka listener` };
  return endpoint;
}

/** The FindCoordinator API: see the file comment. */
export const findCoordinatorApi: KafkaApi = {
  key: ApiKey.FindCoordinator,
  name: "FindCoordinator",
  minVersion: 0,
  maxVersion: 2,
  async handle(version: number, body: KafkaReader, ctx: KafkaApiContext): Promise<KafkaWriter> {
    const key = body.string("key");
    const keyType = version >= 1 ? body.int8("key_type") : KEY_TYPE_GROUP;
    body.end("FindCoordinator");
    const found =
      keyType === KEY_TYPE_GROUP ? await coordinatorOf(key, ctx) : { code: KafkaError.COORDINATOR_NOT_AVAILABLE, message: "rlog has no transactions: there is no transaction coordinator" };
    const w = new KafkaWriter();
    if (version >= 1) w.int32(0); // throttle_time_ms
    if ("code" in found) {
      w.int16(found.code);
      if (version >= 1) w.nullableString(found.message);
      w.int32(-1).string("").int32(-1);
    } else {
      w.int16(KafkaError.NONE);
      if (version >= 1) w.nullableString(null);
      w.int32(found.id).string(found.host).int32(found.port);
    }
    return w;
  },
};
