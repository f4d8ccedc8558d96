/**
 * Kafka's topic config names and string values <-> rlog's TopicConfig
 * (broker/protocol/requests.ts), for CreateTopics and DescribeConfigs.
 *
 * Settable (each maps to one TopicConfig field):
 *   retention.ms     retentionMs     -1: no time limit
 *   retention.bytes  retentionBytes  -1: no size limit
 *   segment.bytes    segmentBytes
 *   segment.ms       segmentMs
 *   compression.type compression     Kafka's "uncompressed" is rlog's "none"; snappy is refused
 *   cleanup.policy   (none)          only "delete", rlog's one policy (no compaction)
 *
 * Read-only, reported by DescribeConfigs because clients read them and rlog
 * can answer truthfully: cleanup.policy "delete" and max.message.bytes (the
 * broker's limits.batchBytesMax, the largest record batch a produce may carry).
 *
 * This file only translates names and spells values: the ranges are
 * checked by rlog's own request parser (validate-request.ts), which
 * CreateTopics runs on the translated request.
 */
import type { Limits } from "../protocol/limits.js";
import type { TopicCompression, TopicConfig } from "../protocol/requests.js";

/** A settable Kafka config name and the TopicConfig field it sets. */
interface SettableName {
  readonly name: string;
  readonly field: keyof TopicConfig;
}

/** The Kafka names CreateTopics may set, in DescribeConfigs order. */
export const SETTABLE_TOPIC_CONFIGS: readonly SettableName[] = Object.freeze([
  { name: "retention.ms", field: "retentionMs" },
  { name: "retention.bytes", field: "retentionBytes" },
  { name: "segment.bytes", field: "segmentBytes" },
  { name: "segment.ms", field: "segmentMs" },
  { name: "compression.type", field: "compression" },
]);

/** Kafka's cleanup.policy: rlog only deletes old segments. */
export const CLEANUP_POLICY_NAME = "cleanup.policy";
const CLEANUP_POLICY_DELETE = "delete";
/** Kafka's max.message.bytes: the largest record batch (limits.batchBytesMax). */
export const MAX_MESSAGE_BYTES_NAME = "max.message.bytes";

/** Kafka compression.type value <-> rlog compression value (where they differ). */
const KAFKA_UNCOMPRESSED = "uncompressed";
const KAFKA_COMPRESSIONS: ReadonlyMap<string, TopicCompression> = new Map<string, TopicCompression>([
  ["producer", "producer"],
  [KAFKA_UNCOMPRESSED, "none"],
  ["gzip", "gzip"],
  ["lz4", "lz4"],
  ["zstd", "zstd"],
]);

/** Longest integer text accepted (an int64 has at most 19 digits and a sign). */
const INTEGER_TEXT_LENGTH_MAX = 20;

/** The field name rlog's parser reports for a TopicConfig field (`config.<field>`) -> the Kafka name. */
export function kafkaNameOfField(field: string): string | undefined {
  const bare = field.startsWith("config.") ? field.slice("config.".length) : field;
  return SETTABLE_TOPIC_CONFIGS.find((s) => s.field === bare)?.name;
}

/** The outcome of translating CreateTopics configs. */
export type TopicConfigTranslation = { readonly ok: true; readonly config: Partial<TopicConfig> } | { readonly ok: false; readonly message: string };

/**
 * Translate CreateTopics' [name, value] pairs into a partial TopicConfig
 * (unranged: the caller runs rlog's parser on it). An unknown or read-only
 * name, a null value, a repeated name or a value that is not a number (or
 * not a known compression) fails with a message naming the config.
 */
export function topicConfigFromKafka(entries: readonly { readonly name: string; readonly value: string | null }[]): TopicConfigTranslation {
  const config: Record<string, number | string> = {};
  const seen = new Set<string>();
  for (const { name, value } of entries) {
    if (seen.has(name)) return { ok: false, message: `${name}: given twice` };
    seen.add(name);
    if (value === null) return { ok: false, message: `${name}: null value` };
    if (name === CLEANUP_POLICY_NAME) {
      if (value !== CLEANUP_POLICY_DELETE) return { ok: false, message: `${name}: only "${CLEANUP_POLICY_DELETE}" is supported (rlog does not compact), got "${value}"` };
      continue;
    }
    const settable = SETTABLE_TOPIC_CONFIGS.find((s) => s.name === name);
    if (settable === undefined) {
      return { ok: false, message: `${name}: not a topic config rlog supports (${[...SETTABLE_TOPIC_CONFIGS.map((s) => s.name), CLEANUP_POLICY_NAME].join(", ")})` };
    }
    if (settable.field === "compression") {
      const c = KAFKA_COMPRESSIONS.get(value);
      if (c === undefined) return { ok: false, message: `${name}: "${value}" is not one of ${[...KAFKA_COMPRESSIONS.keys()].join(", ")}` };
      config[settable.field] = c;
      continue;
    }
    if (value.length > INTEGER_TEXT_LENGTH_MAX || !/^-?[0-9]+$/.test(value)) return { ok: false, message: `${name}: "${value}" is not an integer` };
    const n = Number(value);
    if (!Number.isSafeInteger(n)) return { ok: false, message: `${name}: ${value} is out of range` };
    config[settable.field] = n;
  }
  return { ok: true, config: config as Partial<TopicConfig> };
}

/** One entry of a DescribeConfigs answer. */
export interface DescribedConfig {
  readonly name: string;
  readonly value: string;
  readonly readOnly: boolean;
  /** The value is the broker's default (the topic did not override it, or set it to the same value). */
  readonly isDefault: boolean;
}

/** A TopicConfig value as Kafka spells it. */
function kafkaValue(field: keyof TopicConfig, config: TopicConfig): string {
  if (field !== "compression") return String(config[field]);
  return config.compression === "none" ? KAFKA_UNCOMPRESSED : config.compression;
}

/**
 * A topic's effective settings as Kafka config entries. rlog stores each
 * topic's full settings, not which of them were overridden, so an entry is
 * reported as a default when its value equals the broker's default now.
 */
export function describeTopicConfig(config: TopicConfig, defaults: TopicConfig, limits: Limits): DescribedConfig[] {
  const out: DescribedConfig[] = SETTABLE_TOPIC_CONFIGS.map(({ name, field }) => ({
    name,
    value: kafkaValue(field, config),
    readOnly: false,
    isDefault: config[field] === defaults[field],
  }));
  out.push({ name: CLEANUP_POLICY_NAME, value: CLEANUP_POLICY_DELETE, readOnly: true, isDefault: true });
  out.push({ name: MAX_MESSAGE_BYTES_NAME, value: String(limits.batchBytesMax), readOnly: true, isDefault: true });
  return out;
}
