// CreateTopics, DeleteTopics and DescribeConfigs against a fake context (no sockets, no cluster):
// request bytes in, response bytes out, and the rlog requests they make.
import { test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { createTopicsApi } from "../../broker/kafka/apis/create-topics.js";
import { deleteTopicsApi } from "../../broker/kafka/apis/delete-topics.js";
import { DESCRIBE_CONFIGS_RESOURCES_MAX, describeConfigsApi } from "../../broker/kafka/apis/describe-configs.js";
import type { HandlerRequest, KafkaApi, KafkaApiContext } from "../../broker/kafka/kafka-api.js";
import { KafkaError } from "../../broker/kafka/kafka-errors.js";
import { KafkaReader } from "../../broker/kafka/kafka-reader.js";
import { KafkaWriter } from "../../broker/kafka/kafka-writer.js";
import { RlogError } from "../../broker/protocol/errors.js";
import { DEFAULT_LIMITS } from "../../broker/protocol/limits.js";
import type { TopicConfig } from "../../broker/protocol/requests.js";

const DEFAULTS: TopicConfig = { retentionMs: 604_800_000, retentionBytes: -1, segmentBytes: 67_108_864, segmentMs: 604_800_000, compression: "producer" };

/** A context whose rlog calls go to `answer` (and are recorded). */
function context(answer: (r: HandlerRequest) => unknown, refuse?: (r: HandlerRequest) => RlogError | undefined): { ctx: KafkaApiContext; calls: HandlerRequest[] } {
  const calls: HandlerRequest[] = [];
  const ctx: KafkaApiContext = {
    header: { apiKey: 0, apiVersion: 0, correlationId: 1, clientId: "unit" },
    connectionId: 1,
    signal: new AbortController().signal,
    cluster: { brokerId: 1, clusterId: () => "c", kafkaBrokers: () => [], limits: DEFAULT_LIMITS, topicDefaults: { partitions: 3, replicationFactor: 2, config: () => DEFAULTS } },
    auth: { required: false, tls: false, mechanism: undefined, exchange: undefined, principal: "User:ANONYMOUS", lookupUser: () => undefined, failureDelayMs: 0, fakeSaltKey: new Uint8Array(32) },
    log: pino({ level: "silent" }),
    call: (async (r: HandlerRequest) => {
      const refusal = refuse?.(r);
      if (refusal !== undefined) throw refusal;
      calls.push(r);
      return answer(r);
    }) as KafkaApiContext["call"],
    authorize: (r) => {
      const refusal = refuse?.(r);
      if (refusal !== undefined) throw refusal;
    },
    closeAfterResponse: () => undefined,
    keepReserved: () => undefined,
  };
  return { ctx, calls };
}

async function run(api: KafkaApi, version: number, body: (w: KafkaWriter) => void, ctx: KafkaApiContext): Promise<KafkaReader> {
  const w = new KafkaWriter();
  body(w);
  const out = await api.handle(version, new KafkaReader(Buffer.concat(w.finish())), ctx);
  assert.ok(out !== null);
  return new KafkaReader(Buffer.concat(out.finish()));
}

type TopicSpec = { name: string; partitions: number; rf: number; configs?: [string, string | null][]; assignments?: number[][] };

function createBody(topics: TopicSpec[], version: number, validateOnly = false): (w: KafkaWriter) => void {
  return (w) => {
    w.array(topics, (x, t) =>
      x
        .string(t.name)
        .int32(t.partitions)
        .int16(t.rf)
        .array(t.assignments ?? [], (y, ids) => y.int32(0).array(ids, (z, id) => z.int32(id)))
        .array(t.configs ?? [], (y, [n, v]) => y.string(n).nullableString(v)),
    );
    w.int32(1000);
    if (version >= 1) w.bool(validateOnly);
  };
}

function createAnswers(r: KafkaReader, version: number): { name: string; code: number; message: string | null }[] {
  if (version >= 2) assert.equal(r.int32(), 0);
  const out = r.array((x) => ({ name: x.string(), code: x.int16(), message: version >= 1 ? x.nullableString() : null }));
  r.end();
  return out;
}

const created = (r: HandlerRequest) => ({ topic: { name: (r as { name: string }).name } });

test("CreateTopics maps configs, takes the defaults for -1 (v4) and sends one createTopic per topic", async () => {
  const { ctx, calls } = context(created);
  const r = await run(
    createTopicsApi,
    4,
    createBody(
      [
        { name: "a", partitions: 2, rf: 1, configs: [["retention.ms", "1000"], ["compression.type", "uncompressed"]] },
        { name: "b", partitions: -1, rf: -1 },
      ],
      4,
    ),
    ctx,
  );
  assert.deepEqual(
    createAnswers(r, 4).map((a) => [a.name, a.code, a.message]),
    [
      ["a", 0, null],
      ["b", 0, null],
    ],
  );
  assert.deepEqual(calls, [
    { op: "createTopic", name: "a", partitions: 2, replicationFactor: 1, config: { retentionMs: 1000, compression: "none" } },
    { op: "createTopic", name: "b", partitions: 3, replicationFactor: 2, config: {} },
  ]);
});

test("CreateTopics refusals: each topic answered with its own code; v0 without messages, v1+ with", async () => {
  const { ctx, calls } = context(created, (r) => (r.op === "createTopic" && r.name === "taken" ? new RlogError("TOPIC_ALREADY_EXISTS", "topic taken already exists") : undefined));
  const topics: TopicSpec[] = [
    { name: "unknown-config", partitions: 1, rf: 1, configs: [["flush.ms", "1"]] },
    { name: "small-segment", partitions: 1, rf: 1, configs: [["segment.bytes", "10"]] },
    { name: "assigned", partitions: 1, rf: 1, assignments: [[1]] },
    { name: "bad name!", partitions: 1, rf: 1 },
    { name: "zero", partitions: 0, rf: 1 },
    { name: "minus-one-v1", partitions: -1, rf: 1 },
    { name: "taken", partitions: 1, rf: 1 },
    { name: "dup", partitions: 1, rf: 1 },
    { name: "dup", partitions: 1, rf: 1 },
  ];
  const answers = createAnswers(await run(createTopicsApi, 1, createBody(topics, 1), ctx), 1);
  assert.deepEqual(
    answers.map((a) => [a.name, a.code]),
    [
      ["unknown-config", KafkaError.INVALID_CONFIG],
      ["small-segment", KafkaError.INVALID_CONFIG],
      ["assigned", KafkaError.INVALID_REPLICA_ASSIGNMENT],
      ["bad name!", KafkaError.INVALID_TOPIC_EXCEPTION],
      ["zero", KafkaError.INVALID_PARTITIONS],
      ["minus-one-v1", KafkaError.INVALID_PARTITIONS],
      ["taken", KafkaError.TOPIC_ALREADY_EXISTS],
      ["dup", KafkaError.INVALID_REQUEST],
      ["dup", KafkaError.INVALID_REQUEST],
    ],
  );
  assert.match(answers[0]!.message ?? "", /^flush\.ms: not a topic config/);
  assert.match(answers[1]!.message ?? "", /^segment\.bytes: /);
  assert.deepEqual(calls, [], "nothing was created");

  const v0 = createAnswers(await run(createTopicsApi, 0, createBody([topics[0]!], 0), ctx), 0);
  assert.deepEqual(v0, [{ name: "unknown-config", code: KafkaError.INVALID_CONFIG, message: null }]);
});

test("CreateTopics validate_only: checks the ACL and existence, creates nothing", async () => {
  const { ctx, calls } = context(
    (r) => {
      if (r.op === "describeTopic" && r.name === "exists") return { topic: {} };
      throw new RlogError("UNKNOWN_TOPIC", "no such topic");
    },
    (r) => (r.op === "createTopic" && r.name === "forbidden" ? new RlogError("AUTHORIZATION_FAILED", "no") : undefined),
  );
  const answers = createAnswers(
    await run(
      createTopicsApi,
      3,
      createBody(
        [
          { name: "fresh", partitions: 1, rf: 1 },
          { name: "exists", partitions: 1, rf: 1 },
          { name: "forbidden", partitions: 1, rf: 1 },
        ],
        3,
        true,
      ),
      ctx,
    ),
    3,
  );
  assert.deepEqual(
    answers.map((a) => [a.name, a.code]),
    [
      ["fresh", KafkaError.NONE],
      ["exists", KafkaError.TOPIC_ALREADY_EXISTS],
      ["forbidden", KafkaError.TOPIC_AUTHORIZATION_FAILED],
    ],
  );
  assert.ok(calls.every((c) => c.op === "describeTopic"));
});

test("DeleteTopics: one deleteTopic per distinct name, errors mapped, throttle from v1", async () => {
  const { ctx, calls } = context((r) => {
    if (r.op === "deleteTopic" && r.name === "missing") throw new RlogError("UNKNOWN_TOPIC", "no");
    if (r.op === "deleteTopic" && r.name === "elsewhere") throw new RlogError("NOT_CONTROLLER", "ask 2");
    return {};
  });
  const r = await run(deleteTopicsApi, 1, (w) => w.array(["a", "missing", "a", "elsewhere"], (x, n) => x.string(n)).int32(1000), ctx);
  assert.equal(r.int32(), 0);
  assert.deepEqual(
    r.array((x) => [x.string(), x.int16()]),
    [
      ["a", KafkaError.NONE],
      ["missing", KafkaError.UNKNOWN_TOPIC_OR_PARTITION],
      ["elsewhere", KafkaError.NOT_CONTROLLER],
    ],
  );
  r.end();
  assert.deepEqual(
    calls.map((c) => (c as { name: string }).name),
    ["a", "missing", "elsewhere"],
  );
});

interface Described {
  code: number;
  type: number;
  name: string;
  configs: { name: string; value: string | null; readOnly: boolean; defaultOrSource: number | boolean }[];
}

function describedOf(r: KafkaReader, version: number): Described[] {
  r.int32();
  const out = r.array((x) => {
    const code = x.int16();
    x.nullableString();
    const type = x.int8();
    const name = x.string();
    const configs = x.array((y) => {
      const e = { name: y.string(), value: y.nullableString(), readOnly: y.bool(), defaultOrSource: version === 0 ? y.bool() : y.int8() };
      y.bool();
      if (version >= 1) y.array(() => undefined);
      return e;
    });
    return { code, type, name, configs };
  });
  r.end();
  return out;
}

test("DescribeConfigs: topic entries in Kafka's names with defaults marked (v0 is_default, v1 config_source), keys filtered", async () => {
  const { ctx } = context(() => ({ topic: { config: { ...DEFAULTS, retentionMs: 5000 } } }));
  for (const version of [0, 1, 2]) {
    const body = (w: KafkaWriter) => {
      w.array(["t"], (x, n) => x.int8(2).string(n).array(["retention.ms", "retention.bytes", "nope"], (y, k) => y.string(k)));
      if (version >= 1) w.bool(false);
    };
    const [d] = describedOf(await run(describeConfigsApi, version, body, ctx), version);
    assert.equal(d?.code, 0);
    assert.deepEqual(d?.configs, [
      { name: "retention.ms", value: "5000", readOnly: false, defaultOrSource: version === 0 ? false : 1 },
      { name: "retention.bytes", value: "-1", readOnly: false, defaultOrSource: version === 0 ? true : 5 },
    ]);
  }
});

test("DescribeConfigs: unauthorized topics, unknown types and resources past the bound are refused one by one", async () => {
  const { ctx } = context(
    () => ({ topic: { config: DEFAULTS } }),
    (r) => (r.op === "describeTopic" && r.name === "secret" ? new RlogError("AUTHORIZATION_FAILED", "no") : undefined),
  );
  const resources: [number, string][] = [
    [2, "secret"],
    [7, "x"],
    [4, "2"],
    ...Array.from({ length: DESCRIBE_CONFIGS_RESOURCES_MAX }, (): [number, string] => [4, "1"]),
  ];
  const d = describedOf(
    await run(describeConfigsApi, 1, (w) => w.array(resources, (x, [t, n]) => x.int8(t).string(n).int32(-1)).bool(false), ctx),
    1,
  );
  assert.equal(d.length, resources.length);
  assert.deepEqual(
    d.slice(0, 4).map((x) => x.code),
    [KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.INVALID_REQUEST, KafkaError.INVALID_REQUEST, KafkaError.NONE],
  );
  assert.ok(d[3]!.configs.length > 0);
  assert.equal(d[DESCRIBE_CONFIGS_RESOURCES_MAX]!.code, KafkaError.INVALID_REQUEST, "past the bound");
  assert.equal(d[DESCRIBE_CONFIGS_RESOURCES_MAX]!.configs.length, 0);
});
