/**
 * CreateTopics (key 19), v0-v4 -> rlog's createTopic, one topic at a time.
 *
 * Each topic is translated into an rlog createTopic request (config names:
 * topic-config-names.ts) and checked by rlog's own request parser, so both
 * protocols accept exactly the same topics:
 * - a config rlog does not know or cannot honour, or a value out of range,
 *   gets INVALID_CONFIG and a message naming the Kafka config;
 * - num_partitions / replication_factor -1 (v4+) take the broker's
 *   defaultPartitions / defaultReplicationFactor;
 * - manual replica assignments get INVALID_REPLICA_ASSIGNMENT: the
 *   controller places replicas (rlog-cli can reassign them afterwards);
 * - a name given twice in one request gets INVALID_REQUEST for both;
 * - validate_only (v1+) checks all of the above, that the principal may
 *   create the topic and that it does not exist yet, and creates nothing
 *   (the controller's own checks, such as the replication factor against
 *   the live brokers, are not run).
 * Only the controller leader creates topics: elsewhere rlog answers
 * NOT_CONTROLLER, which Kafka clients meet by refreshing metadata and
 * resending to the controller Metadata names. timeout_ms is not waited on:
 * the answer comes once the controller has placed the topic (leaders may
 * still be electing, as with Kafka).
 */
import { ApiKey } from "../api-keys.js";
import type { KafkaApi, KafkaApiContext } from "../kafka-api.js";
import { KafkaError, kafkaErrorCode } from "../kafka-errors.js";
import type { KafkaReader } from "../kafka-reader.js";
import { KafkaWriter } from "../kafka-writer.js";
import { kafkaNameOfField, topicConfigFromKafka } from "../topic-config-names.js";
import { RlogError } from "../../protocol/errors.js";
import { FieldReader } from "../../protocol/field-reader.js";
import type { RequestOf } from "../../protocol/ops.js";
import { validateRequestBody } from "../../protocol/validate-request.js";

/** Last version answered: v5 is flexible. */
const CREATE_TOPICS_VERSION_MAX = 4;
/** First version where -1 asks for the broker's default partitions / replication factor. */
const DEFAULTS_VERSION_MIN = 4;
/** Kafka's "let the broker choose" value of num_partitions and replication_factor. */
const BROKER_CHOOSES = -1;

/** One topic of the request, as read. */
interface TopicRequest {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly assignmentsCount: number;
  readonly configs: { readonly name: string; readonly value: string | null }[];
}

/** One topic's answer. */
interface TopicAnswer {
  readonly name: string;
  readonly errorCode: number;
  readonly message: string | null;
}

function readTopic(r: KafkaReader): TopicRequest {
  const name = r.string("topic name");
  const partitions = r.int32("num_partitions");
  const replicationFactor = r.int16("replication_factor");
  const assignments = r.array((a) => {
    a.int32("partition_index");
    return a.array((b) => b.int32("broker_id"), "broker_ids");
  }, "assignments");
  const configs = r.array((c) => ({ name: c.string("config name"), value: c.nullableString("config value") }), "configs");
  return { name, partitions, replicationFactor, assignmentsCount: assignments.length, configs };
}

/** The rlog request for one topic, checked by rlog's parser; or the Kafka error that refuses it. */
function rlogRequest(t: TopicRequest, version: number, ctx: KafkaApiContext): RequestOf<"createTopic"> | TopicAnswer {
  const refuse = (errorCode: number, message: string): TopicAnswer => ({ name: t.name, errorCode, message });
  if (t.assignmentsCount > 0) return refuse(KafkaError.INVALID_REPLICA_ASSIGNMENT, "manual replica assignment is not supported: rlog's controller places replicas");
  const translated = topicConfigFromKafka(t.configs);
  if (!translated.ok) return refuse(KafkaError.INVALID_CONFIG, translated.message);
  const defaults = ctx.cluster.topicDefaults;
  const brokerChooses = version >= DEFAULTS_VERSION_MIN;
  const request = {
    op: "createTopic",
    name: t.name,
    partitions: brokerChooses && t.partitions === BROKER_CHOOSES ? defaults.partitions : t.partitions,
    replicationFactor: brokerChooses && t.replicationFactor === BROKER_CHOOSES ? defaults.replicationFactor : t.replicationFactor,
    config: translated.config,
  };
  try {
    return validateRequestBody("createTopic", FieldReader.of(request, ""), ctx.cluster.limits) as RequestOf<"createTopic">;
  } catch (err) {
    if (!(err instanceof RlogError)) throw err;
    const field = err.details?.field;
    const configName = field === undefined ? undefined : kafkaNameOfField(field);
    if (configName !== undefined) return refuse(KafkaError.INVALID_CONFIG, `${configName}: ${err.message.replace(/^config\.\w+: /, "")}`);
    if (field === "name") return refuse(KafkaError.INVALID_TOPIC_EXCEPTION, err.message);
    return refuse(kafkaErrorCode(err), err.message);
  }
}

/** Whether a topic exists (validate_only), as far as this principal may see. */
async function exists(name: string, ctx: KafkaApiContext): Promise<boolean> {
  try {
    await ctx.call({ op: "describeTopic", name });
    return true;
  } catch (err) {
    if (err instanceof RlogError && err.is("UNKNOWN_TOPIC")) return false;
    throw err;
  }
}

async function createOne(t: TopicRequest, version: number, validateOnly: boolean, ctx: KafkaApiContext): Promise<TopicAnswer> {
  const request = rlogRequest(t, version, ctx);
  if (!("op" in request)) return request;
  try {
    if (validateOnly) {
      ctx.authorize(request);
      if (await exists(t.name, ctx)) return { name: t.name, errorCode: KafkaError.TOPIC_ALREADY_EXISTS, message: `topic ${t.name} already exists` };
    } else {
      await ctx.call(request);
      ctx.log.info({ topic: t.name, partitions: request.partitions, replicationFactor: request.replicationFactor }, "kafka CreateTopics created a topic");
    }
    return { name: t.name, errorCode: KafkaError.NONE, message: null };
  } catch (err) {
    const errorCode = kafkaErrorCode(err);
    if (errorCode === KafkaError.UNKNOWN_SERVER_ERROR) ctx.log.error({ err, topic: t.name }, "createTopic failed");
    return { name: t.name, errorCode, message: err instanceof Error ? err.message : String(err) };
  }
}

/** CreateTopics: see the file comment. */
export const createTopicsApi: KafkaApi = {
  key: ApiKey.CreateTopics,
  name: "CreateTopics",
  minVersion: 0,
  maxVersion: CREATE_TOPICS_VERSION_MAX,
  async handle(version: number, body: KafkaReader, ctx: KafkaApiContext): Promise<KafkaWriter> {
    const topics = body.array(readTopic, "topics");
    body.int32("timeout_ms");
    const validateOnly = version >= 1 ? body.bool("validate_only") : false;
    body.end("CreateTopics");
    const counts = new Map<string, number>();
    for (const t of topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const answers: TopicAnswer[] = [];
    for (const t of topics) {
      if (counts.get(t.name)! > 1) answers.push({ name: t.name, errorCode: KafkaError.INVALID_REQUEST, message: `topic ${t.name} is named more than once in this request` });
      else answers.push(await createOne(t, version, validateOnly, ctx));
    }
    const w = new KafkaWriter();
    if (version >= 2) w.int32(0); // throttle_time_ms
    w.array(answers, (x, a) => {
      x.string(a.name).int16(a.errorCode);
      if (version >= 1) x.nullableString(a.message);
    });
    return w;
  },
};
