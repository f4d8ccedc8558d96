// Kafka topic config names and values <-> rlog's TopicConfig (broker/kafka/topic-config-names.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { describeTopicConfig, kafkaNameOfField, SETTABLE_TOPIC_CONFIGS, topicConfigFromKafka } from "../../broker/kafka/topic-config-names.js";
import { DEFAULT_LIMITS } from "../../broker/protocol/limits.js";
import type { TopicConfig } from "../../broker/protocol/requests.js";

const DEFAULTS: TopicConfig = { retentionMs: 604_800_000, retentionBytes: -1, segmentBytes: 67_108_864, segmentMs: 604_800_000, compression: "producer" };

function failure(entries: { name: string; value: string | null }[]): string {
  const r = topicConfigFromKafka(entries);
  assert.equal(r.ok, false, JSON.stringify(entries));
  return r.ok ? "" : r.message;
}

test("each settable Kafka name maps to its TopicConfig field", () => {
  const r = topicConfigFromKafka([
    { name: "retention.ms", value: "3600000" },
    { name: "retention.bytes", value: "-1" },
    { name: "segment.bytes", value: "1048576" },
    { name: "segment.ms", value: "60000" },
    { name: "compression.type", value: "uncompressed" },
    { name: "cleanup.policy", value: "delete" },
  ]);
  assert.deepEqual(r, { ok: true, config: { retentionMs: 3_600_000, retentionBytes: -1, segmentBytes: 1_048_576, segmentMs: 60_000, compression: "none" } });
  for (const c of ["producer", "gzip", "lz4", "zstd"]) assert.deepEqual(topicConfigFromKafka([{ name: "compression.type", value: c }]), { ok: true, config: { compression: c } });
});

test("unknown names, unsupported values, nulls, repeats and non-integers are refused, naming the config", () => {
  assert.match(failure([{ name: "min.insync.replicas", value: "2" }]), /^min\.insync\.replicas: not a topic config/);
  assert.match(failure([{ name: "cleanup.policy", value: "compact" }]), /^cleanup\.policy: only "delete"/);
  assert.match(failure([{ name: "compression.type", value: "snappy" }]), /^compression\.type: "snappy" is not one of/);
  assert.match(failure([{ name: "compression.type", value: "none" }]), /^compression\.type/);
  assert.match(failure([{ name: "retention.ms", value: null }]), /^retention\.ms: null value/);
  assert.match(failure([{ name: "retention.ms", value: "1e6" }]), /^retention\.ms: "1e6" is not an integer/);
  assert.match(failure([{ name: "retention.ms", value: " 5" }]), /not an integer/);
  assert.match(failure([{ name: "retention.ms", value: "" }]), /not an integer/);
  assert.match(failure([{ name: "segment.bytes", value: "99999999999999999999" }]), /out of range/);
  assert.match(failure([{ name: "retention.ms", value: "1".repeat(40) }]), /not an integer/);
  assert.match(
    failure([
      { name: "retention.ms", value: "1" },
      { name: "retention.ms", value: "2" },
    ]),
    /given twice/,
  );
});

test("rlog's parser field names lead back to the Kafka name", () => {
  for (const { name, field } of SETTABLE_TOPIC_CONFIGS) assert.equal(kafkaNameOfField(`config.${field}`), name);
  assert.equal(kafkaNameOfField("partitions"), undefined);
});

test("describeTopicConfig spells values as Kafka does and marks defaults", () => {
  const config: TopicConfig = { ...DEFAULTS, retentionMs: 1000, compression: "none" };
  const entries = describeTopicConfig(config, DEFAULTS, DEFAULT_LIMITS);
  const byName = new Map(entries.map((e) => [e.name, e]));
  assert.deepEqual(byName.get("retention.ms"), { name: "retention.ms", value: "1000", readOnly: false, isDefault: false });
  assert.deepEqual(byName.get("retention.bytes"), { name: "retention.bytes", value: "-1", readOnly: false, isDefault: true });
  assert.deepEqual(byName.get("compression.type"), { name: "compression.type", value: "uncompressed", readOnly: false, isDefault: false });
  assert.deepEqual(byName.get("cleanup.policy"), { name: "cleanup.policy", value: "delete", readOnly: true, isDefault: true });
  assert.equal(byName.get("max.message.bytes")?.value, String(DEFAULT_LIMITS.batchBytesMax));
  assert.equal(byName.get("max.message.bytes")?.readOnly, true);
  // What DescribeConfigs reports, CreateTopics accepts back unchanged.
  const settable = entries.filter((e) => !e.readOnly || e.name === "cleanup.policy");
  const back = topicConfigFromKafka(settable.map((e) => ({ name: e.name, value: e.value })));
  assert.deepEqual(back, { ok: true, config });
});
