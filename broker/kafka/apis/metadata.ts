/**
 * Metadata (key 3), v0-v8: brokers (their Kafka listeners), the controller,
 * and each topic's partitions with leader, leader epoch (the Raft term),
 * replicas and in-sync replicas. rlog's replication is Raft, not Kafka's
 * ISR: a partition's ISR is reported as its replica list (every replica a
 * quorum commit may include). A partition without a leader gets
 * LEADER_NOT_AVAILABLE, a topic that is unknown, or that the principal may
 * not describe, UNKNOWN_TOPIC_OR_PARTITION. Topics are never created by a
 * Metadata request (allow_auto_topic_creation is ignored): create them with
 * CreateTopics or rlog-cli, as with Kafka's auto.create.topics.enable=false.
 * While no controller leader is known, the controller named is this broker.
 */
import { ApiKey } from "../api-keys.js";
import type { KafkaApi, KafkaApiContext } from "../kafka-api.js";
import { KafkaError, kafkaErrorCode } from "../kafka-errors.js";
import type { KafkaReader } from "../kafka-reader.js";
import { KafkaWriter } from "../kafka-writer.js";
import type { TopicMetadata } from "../../protocol/results.js";

const INT32_MAX = 2_147_483_647;

/** Kafka's "authorized operations not requested" value. */
const AUTHORIZED_OPERATIONS_OMITTED = -2_147_483_648;

export const metadataApi: KafkaApi = {
  key: ApiKey.Metadata,
  name: "Metadata",
  minVersion: 0,
  maxVersion: 8,
  async handle(version: number, body: KafkaReader, ctx: KafkaApiContext): Promise<KafkaWriter> {
    // v0: an empty list means every topic; v1+: null means every topic, empty means none.
    const requested = version === 0 ? body.array((r) => r.string("topic name")) : body.nullableArray((r) => r.string("topic name"));
    if (version >= 4) body.bool("allow_auto_topic_creation");
    if (version >= 8) {
      body.bool("include_cluster_authorized_operations");
      body.bool("include_topic_authorized_operations");
    }
    body.end("Metadata");
    const all = requested === null || (version === 0 && requested.length === 0);
    const names = all ? undefined : [...new Set(requested)];
    let topics: readonly TopicMetadata[] = [];
    let controllerId = 0;
    let failure: number | undefined;
    try {
      const result = await ctx.call({ op: "metadata", ...(names === undefined ? {} : { topics: names }) });
      topics = result.topics;
      controllerId = result.controllerId;
    } catch (err) {
      failure = kafkaErrorCode(err);
      if (failure === KafkaError.UNKNOWN_SERVER_ERROR) ctx.log.error({ err }, "metadata failed");
    }
    const w = new KafkaWriter();
    if (version >= 3) w.int32(0); // throttle_time_ms
    w.array(ctx.cluster.kafkaBrokers(), (x, b) => {
      x.int32(b.id).string(b.host).int32(b.port);
      if (version >= 1) x.nullableString(null); // rack
    });
    if (version >= 2) w.nullableString(ctx.cluster.clusterId());
    // While no controller leader is known (an election), name this broker: a Kafka client then sends its
    // controller requests here and gets a retriable answer (NOT_CONTROLLER; InitProducerId is forwarded),
    // where -1 makes kafkajs fail them outright.
    if (version >= 1) w.int32(controllerId === 0 ? ctx.cluster.brokerId : controllerId);
    const byName = new Map(topics.map((t) => [t.name, t]));
    const answered: { name: string; topic: TopicMetadata | undefined }[] = names === undefined ? topics.map((t) => ({ name: t.name, topic: t })) : names.map((n) => ({ name: n, topic: byName.get(n) }));
    w.array(answered, (x, { name, topic }) => {
      x.int16(topic === undefined ? (failure ?? KafkaError.UNKNOWN_TOPIC_OR_PARTITION) : KafkaError.NONE);
      x.string(name);
      if (version >= 1) x.bool(topic?.internal ?? false);
      x.array(topic?.partitions ?? [], (y, p) => {
        y.int16(p.leader === 0 ? KafkaError.LEADER_NOT_AVAILABLE : KafkaError.NONE);
        y.int32(p.partition);
        y.int32(p.leader === 0 ? -1 : p.leader);
        if (version >= 7) y.int32(Math.min(p.term, INT32_MAX));
        y.array(p.replicas, (z, id) => z.int32(id));
        y.array(p.replicas, (z, id) => z.int32(id)); // isr: see the file comment
        if (version >= 5) y.int32(0); // offline_replicas: none reported
      });
      if (version >= 8) x.int32(AUTHORIZED_OPERATIONS_OMITTED);
    });
    if (version >= 8) w.int32(AUTHORIZED_OPERATIONS_OMITTED);
    return w;
  },
};
