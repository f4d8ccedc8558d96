/**
 * DescribeConfigs (key 32), v0-v2.
 *
 * - Topic resources (type 2): the topic's effective settings under Kafka's
 *   names (topic-config-names.ts), through rlog's describeTopic, so the
 *   principal needs describe on the topic (TOPIC_AUTHORIZATION_FAILED
 *   otherwise) and an unknown topic gets UNKNOWN_TOPIC_OR_PARTITION. An
 *   entry whose value is the broker's default is marked so (is_default in
 *   v0, config_source DEFAULT_CONFIG in v1+); the others are
 *   DYNAMIC_TOPIC_CONFIG.
 * - Broker resources (type 4) named by this broker's id (or "", the
 *   cluster-wide defaults): a few read-only settings under Kafka's broker
 *   names, as STATIC_BROKER_CONFIG. They are not secret (rlog's own
 *   handshake tells every client its limits), so no ACL is checked. Another
 *   broker's id gets INVALID_REQUEST: ask that broker.
 * - Any other resource type gets INVALID_REQUEST for that resource, as does
 *   every resource past DESCRIBE_CONFIGS_RESOURCES_MAX.
 * Synonyms are never listed (include_synonyms is read and ignored).
 */
import { ApiKey } from "../api-keys.js";
import type { KafkaApi, KafkaApiContext } from "../kafka-api.js";
import { KafkaError, kafkaErrorCode } from "../kafka-errors.js";
import type { KafkaReader } from "../kafka-reader.js";
import { KafkaWriter } from "../kafka-writer.js";
import { describeTopicConfig, type DescribedConfig } from "../topic-config-names.js";

/**
 * Most resources described in one request; the rest get INVALID_REQUEST
 * without configs. Each described resource answers up to a few hundred
 * bytes, so this bounds the response a small request can ask for (real
 * clients name a handful).
 */
export const DESCRIBE_CONFIGS_RESOURCES_MAX = 1000;

/** Last version answered (v3 adds documentation and types, v4 is flexible). */
const DESCRIBE_CONFIGS_VERSION_MAX = 2;

/** Kafka's resource types (ConfigResource.Type), those rlog answers. */
export const ConfigResourceType = Object.freeze({ Topic: 2, Broker: 4 });

/** Kafka's config_source values (v1+), those rlog sends. */
const ConfigSource = Object.freeze({ DynamicTopic: 1, StaticBroker: 4, Default: 5 });

interface ResourceRequest {
  readonly type: number;
  readonly name: string;
  /** null: every config. */
  readonly keys: readonly string[] | null;
}

interface ResourceAnswer {
  readonly type: number;
  readonly name: string;
  readonly errorCode: number;
  readonly message: string | null;
  readonly configs: readonly DescribedConfig[];
  /** config_source of the non-default entries. */
  readonly source: number;
}

/** This broker's settings under Kafka's broker config names. */
function brokerConfigs(ctx: KafkaApiContext): DescribedConfig[] {
  const d = ctx.cluster.topicDefaults;
  const c = d.config();
  const entry = (name: string, value: number): DescribedConfig => ({ name, value: String(value), readOnly: true, isDefault: false });
  return [
    entry("broker.id", ctx.cluster.brokerId),
    entry("num.partitions", d.partitions),
    entry("default.replication.factor", d.replicationFactor),
    entry("log.retention.ms", c.retentionMs),
    entry("log.retention.bytes", c.retentionBytes),
    entry("log.segment.bytes", c.segmentBytes),
    entry("log.roll.ms", c.segmentMs),
    entry("message.max.bytes", ctx.cluster.limits.batchBytesMax),
  ];
}

async function describe(resource: ResourceRequest, ctx: KafkaApiContext): Promise<ResourceAnswer> {
  const { type, name } = resource;
  const answer = (errorCode: number, message: string | null, configs: readonly DescribedConfig[], source: number): ResourceAnswer => {
    const wanted = resource.keys === null ? configs : configs.filter((c) => resource.keys!.includes(c.name));
    return { type, name, errorCode, message, configs: wanted, source };
  };
  if (type === ConfigResourceType.Broker) {
    if (name !== "" && name !== String(ctx.cluster.brokerId)) return answer(KafkaError.INVALID_REQUEST, `this is broker ${ctx.cluster.brokerId}; ask broker ${name} for its configs`, [], 0);
    return answer(KafkaError.NONE, null, brokerConfigs(ctx), ConfigSource.StaticBroker);
  }
  if (type !== ConfigResourceType.Topic) return answer(KafkaError.INVALID_REQUEST, `resource type ${type} is not supported (topic 2, broker 4)`, [], 0);
  try {
    const { topic } = await ctx.call({ op: "describeTopic", name });
    return answer(KafkaError.NONE, null, describeTopicConfig(topic.config, ctx.cluster.topicDefaults.config(), ctx.cluster.limits), ConfigSource.DynamicTopic);
  } catch (err) {
    const code = kafkaErrorCode(err);
    if (code === KafkaError.UNKNOWN_SERVER_ERROR) ctx.log.error({ err, topic: name }, "describeTopic failed");
    return answer(code, err instanceof Error ? err.message : String(err), [], 0);
  }
}

/** DescribeConfigs: see the file comment. */
export const describeConfigsApi: KafkaApi = {
  key: ApiKey.DescribeConfigs,
  name: "DescribeConfigs",
  minVersion: 0,
  maxVersion: DESCRIBE_CONFIGS_VERSION_MAX,
  async handle(version: number, body: KafkaReader, ctx: KafkaApiContext): Promise<KafkaWriter> {
    const resources = body.array(
      (r): ResourceRequest => ({ type: r.int8("resource_type"), name: r.string("resource_name"), keys: r.nullableArray((k) => k.string("configuration key"), "configuration_keys") }),
      "resources",
    );
    if (version >= 1) body.bool("include_synonyms");
    body.end("DescribeConfigs");
    const answers: ResourceAnswer[] = [];
    for (const [i, r] of resources.entries()) {
      if (i < DESCRIBE_CONFIGS_RESOURCES_MAX) answers.push(await describe(r, ctx));
      else answers.push({ type: r.type, name: r.name, errorCode: KafkaError.INVALID_REQUEST, message: null, configs: [], source: 0 });
    }
    if (resources.length > DESCRIBE_CONFIGS_RESOURCES_MAX) ctx.log.info({ resources: resources.length, resourcesMax: DESCRIBE_CONFIGS_RESOURCES_MAX }, "kafka DescribeConfigs: too many resources; the rest refused");
    const w = new KafkaWriter();
    w.int32(0); // throttle_time_ms
    w.array(answers, (x, a) => {
      x.int16(a.errorCode).nullableString(a.message).int8(a.type).string(a.name);
      x.array(a.configs, (y, c) => {
        y.string(c.name).nullableString(c.value).bool(c.readOnly);
        if (version === 0) y.bool(c.isDefault);
        else y.int8(c.isDefault ? ConfigSource.Default : a.source);
        y.bool(false); // is_sensitive
        if (version >= 1) y.int32(0); // synonyms
      });
    });
    return w;
  },
};
