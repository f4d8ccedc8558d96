import { test } from "node:test";
import assert from "node:assert/strict";
import { clientPackr } from "../../broker/protocol/msgpack.js";
import { decodeRequest } from "../../broker/protocol/frames.js";
import { ErrorCode, RlogError, type ErrorName } from "../../broker/protocol/errors.js";
import { DEFAULT_LIMITS, type Limits } from "../../broker/protocol/limits.js";
import type { OpName } from "../../broker/protocol/ops.js";
import { SAMPLE_REQUESTS } from "./samples.js";
import { mutable } from "./helpers.js";

type Patch = (frame: Record<string, unknown>) => void;

/** Path assignment on a mutable frame: set(f, "records.0.value", "x"). */
function set(frame: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let at: Record<string, unknown> = frame;
  for (const p of parts.slice(0, -1)) at = at[p] as Record<string, unknown>;
  const last = parts[parts.length - 1] as string;
  if (value === DELETE) delete at[last];
  else at[last] = value;
}
const DELETE = Symbol("delete");

interface Case {
  readonly name: string;
  readonly op: OpName;
  readonly patch: Patch;
  readonly code: ErrorName;
  /** Substring of the error message (usually the field path). */
  readonly mentions: string;
  readonly limits?: Limits;
}

const field = (op: OpName, path: string, value: unknown, code: ErrorName, mentions = path.replace(/\.(\d+)/g, "[$1]")): Case => ({
  name: `${op} ${path} = ${typeof value === "symbol" ? "(missing)" : describeValue(value)}`,
  op,
  patch: (f) => set(f, path, value),
  code,
  mentions,
});

function describeValue(v: unknown): string {
  if (v instanceof Uint8Array) return `bytes(${v.length})`;
  if (typeof v === "string") return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}...` : v);
  if (Array.isArray(v)) return `array(${v.length})`;
  return String(v);
}

const longName = "t".repeat(DEFAULT_LIMITS.topicNameLengthMax + 1);

const CASES: Case[] = [
  // wrong types and missing fields
  field("produce", "topic", DELETE, "INVALID_REQUEST", "topic"),
  field("produce", "topic", 7, "INVALID_REQUEST"),
  field("produce", "partition", "0", "INVALID_REQUEST"),
  field("produce", "partition", -1, "INVALID_REQUEST"),
  field("produce", "partition", 1.5, "INVALID_REQUEST"),
  field("produce", "partition", Number.NaN, "INVALID_REQUEST"),
  field("produce", "partition", Number.POSITIVE_INFINITY, "INVALID_REQUEST"),
  field("produce", "partition", DEFAULT_LIMITS.partitionsMax, "INVALID_REQUEST"),
  field("produce", "batch", DELETE, "INVALID_REQUEST"),
  field("produce", "batch", "abc", "INVALID_REQUEST"),
  field("produce", "batch", [1, 2], "INVALID_REQUEST"),
  field("produce", "batch", new Uint8Array(DEFAULT_LIMITS.batchBytesMax + 1), "REQUEST_TOO_LARGE", "batchBytesMax"),
  field("produce", "acks", "some", "INVALID_REQUEST"),
  field("produce", "acks", 1, "INVALID_REQUEST"),
  field("produce", "timeoutMs", DEFAULT_LIMITS.requestTimeoutMsMax + 1, "INVALID_REQUEST"),
  // topic names
  field("produce", "topic", "", "INVALID_TOPIC", "topic: must not be empty"),
  field("produce", "topic", longName, "INVALID_TOPIC", `longer than ${DEFAULT_LIMITS.topicNameLengthMax}`),
  field("produce", "topic", "a/b", "INVALID_TOPIC", "may only contain"),
  field("produce", "topic", "naïve", "INVALID_TOPIC", "may only contain"),
  field("produce", "topic", "has space", "INVALID_TOPIC", "may only contain"),
  field("produce", "topic", "..", "INVALID_TOPIC", "not a valid topic name"),
  field("produce", "topic", "__consumer_offsets", "INVALID_TOPIC", "reserved"),
  field("createTopic", "name", "__internal", "INVALID_TOPIC", "reserved"),
  field("deleteTopic", "name", "__internal", "INVALID_TOPIC", "reserved"),
  field("metadata", "topics.1", "bad name!", "INVALID_TOPIC", "topics[1]"),
  field("metadata", "topics", Array.from({ length: DEFAULT_LIMITS.arrayLengthMax + 1 }, () => "t"), "REQUEST_TOO_LARGE"),
  // createTopic
  field("createTopic", "partitions", 0, "INVALID_PARTITIONS"),
  field("createTopic", "partitions", DEFAULT_LIMITS.partitionsMax + 1, "INVALID_PARTITIONS"),
  field("createTopic", "partitions", 2 ** 53, "INVALID_PARTITIONS"),
  field("createTopic", "replicationFactor", 0, "INVALID_REPLICATION_FACTOR"),
  field("createTopic", "replicationFactor", DEFAULT_LIMITS.replicationFactorMax + 1, "INVALID_REPLICATION_FACTOR"),
  field("createTopic", "replicationFactor", 1.5, "INVALID_REQUEST"),
  field("createTopic", "config", [1], "INVALID_REQUEST"),
  field("createTopic", "config.retentionMs", -2, "INVALID_REQUEST"),
  field("createTopic", "config.segmentBytes", 1, "INVALID_REQUEST"),
  field("createTopic", "config.segmentMs", 10, "INVALID_REQUEST"),
  field("createTopic", "config.compression", "snappy", "INVALID_REQUEST"),
  field("createTopic", "config.compression", 3, "INVALID_REQUEST"),
  // alterTopic: createTopic's checks; internal names pass here (the controller refuses them with a reason)
  field("alterTopic", "partitions", 0, "INVALID_PARTITIONS"),
  field("alterTopic", "partitions", DEFAULT_LIMITS.partitionsMax + 1, "INVALID_PARTITIONS"),
  field("alterTopic", "partitions", "4", "INVALID_REQUEST"),
  field("alterTopic", "config.retentionMs", -2, "INVALID_REQUEST"),
  field("alterTopic", "config.segmentBytes", 1, "INVALID_REQUEST"),
  field("alterTopic", "config.compression", "snappy", "INVALID_REQUEST"),
  field("alterTopic", "name", "a/b", "INVALID_TOPIC"),
  { name: "alterTopic asking nothing", op: "alterTopic", patch: (f) => (delete f["partitions"], delete f["config"]), code: "INVALID_REQUEST", mentions: "nothing to change" },
  { name: "alterTopic with an empty config only", op: "alterTopic", patch: (f) => (delete f["partitions"], (f["config"] = {})), code: "INVALID_REQUEST", mentions: "nothing to change" },
  // fetch and offsets
  field("fetch", "offset", -1, "INVALID_REQUEST"),
  field("fetch", "offset", 2 ** 53, "INVALID_REQUEST"),
  field("fetch", "maxBytes", 0, "INVALID_REQUEST"),
  field("fetch", "maxBytes", DEFAULT_LIMITS.fetchBytesMax + 1, "INVALID_REQUEST"),
  field("fetch", "maxWaitMs", DEFAULT_LIMITS.fetchWaitMsMax + 1, "INVALID_REQUEST"),
  field("listOffsets", "spec", 3, "INVALID_REQUEST"),
  field("listOffsets", "spec", "latest", "INVALID_REQUEST"),
  field("listOffsets", "timestampMs", DELETE, "INVALID_REQUEST"),
  field("resetOffsets", "offset", DELETE, "INVALID_REQUEST"),
  field("resetOffsets", "partitions.0", -1, "INVALID_REQUEST"),
  // handshake, admin, groups
  field("handshake", "version", "1", "INVALID_REQUEST"),
  field("handshake", "clientId", "x".repeat(DEFAULT_LIMITS.stringLengthMax + 1), "INVALID_REQUEST"),
  field("transferLeader", "toBrokerId", 0, "INVALID_REQUEST"),
  field("initProducerId", "producerEpoch", DELETE, "INVALID_REQUEST"),
  field("joinGroup", "group", "", "INVALID_REQUEST"),
  field("joinGroup", "topics", [], "INVALID_REQUEST"),
  field("joinGroup", "sessionTimeoutMs", 1, "INVALID_REQUEST"),
  field("joinGroup", "memberId", null, "INVALID_REQUEST"),
  field("heartbeat", "memberId", "", "INVALID_REQUEST"),
  field("heartbeat", "generation", -1, "INVALID_REQUEST"),
  field("commitOffsets", "memberId", DELETE, "INVALID_REQUEST"),
  field("commitOffsets", "offsets.0.offset", "17", "INVALID_REQUEST"),
  field("fetchOffsets", "partitions.0", null, "INVALID_REQUEST"),
  field("listTopics", "includeInternal", 1, "INVALID_REQUEST"),
  // frame level
  { name: "id missing", op: "listGroups", patch: (f) => delete f["id"], code: "INVALID_REQUEST", mentions: "id" },
  { name: "id zero", op: "listGroups", patch: (f) => (f["id"] = 0), code: "INVALID_REQUEST", mentions: "id" },
  { name: "id too big", op: "listGroups", patch: (f) => (f["id"] = 2 ** 32), code: "INVALID_REQUEST", mentions: "id" },
  { name: "op missing", op: "listGroups", patch: (f) => delete f["op"], code: "INVALID_REQUEST", mentions: "op" },
  { name: "op not a string", op: "listGroups", patch: (f) => (f["op"] = 3), code: "INVALID_REQUEST", mentions: "op" },
  { name: "op unknown", op: "listGroups", patch: (f) => (f["op"] = "dropAll"), code: "UNKNOWN_OPERATION", mentions: "dropAll" },
  { name: "op from Object.prototype", op: "listGroups", patch: (f) => (f["op"] = "toString"), code: "UNKNOWN_OPERATION", mentions: "toString" },
  { name: "op __proto__", op: "listGroups", patch: (f) => (f["op"] = "__proto__"), code: "UNKNOWN_OPERATION", mentions: "__proto__" },
  // limits come from the broker's config
  {
    name: "lower partitionsMax from config",
    op: "createTopic",
    patch: () => undefined,
    code: "INVALID_PARTITIONS",
    mentions: "partitions",
    limits: { ...DEFAULT_LIMITS, partitionsMax: 2 },
  },
];

for (const c of CASES) {
  test(`rejects ${c.name}: ${c.code}`, () => {
    const frame = mutable({ id: 11, ...SAMPLE_REQUESTS[c.op] });
    c.patch(frame);
    const d = decodeRequest(clientPackr.pack(frame), c.limits);
    assert.equal(d.ok, false, "expected a rejection");
    if (d.ok) return;
    assert.ok(d.error instanceof RlogError);
    assert.equal(d.error.codeName, c.code, d.error.message);
    assert.equal(d.error.code, ErrorCode[c.code]);
    assert.ok(d.error.message.includes(c.mentions), `message "${d.error.message}" should mention "${c.mentions}"`);
    // The id is echoed whenever it could be read.
    const idReadable = typeof frame["id"] === "number" && frame["id"] >= 1 && frame["id"] < 2 ** 32;
    assert.equal(d.id, idReadable ? 11 : 0);
  });
}

test("frame-level garbage gets INVALID_REQUEST or REQUEST_TOO_LARGE with id 0", () => {
  const cases: [Uint8Array, ErrorName][] = [
    [new Uint8Array(0), "INVALID_REQUEST"],
    [new Uint8Array([0xc1]), "INVALID_REQUEST"],
    [clientPackr.pack([1, 2, 3]), "INVALID_REQUEST"],
    [clientPackr.pack("hello"), "INVALID_REQUEST"],
    [clientPackr.pack(null), "INVALID_REQUEST"],
    [new Uint8Array([0x81, 0xa1, 0x61]), "INVALID_REQUEST"], // truncated map
    [Buffer.concat([clientPackr.pack({ id: 1, op: "listGroups" }), Buffer.from([0])]), "INVALID_REQUEST"], // trailing bytes
    [new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff]), "INVALID_REQUEST"], // array of 2^32-1 elements, no data
    [new Uint8Array([0xdf, 0x7f, 0xff, 0xff, 0xff]), "INVALID_REQUEST"], // huge map, no data
    [new Uint8Array(DEFAULT_LIMITS.frameBytesMax + 1), "REQUEST_TOO_LARGE"],
    [new Uint8Array(20_000).fill(0x91), "INVALID_REQUEST"], // deep nesting
  ];
  for (const [bytes, code] of cases) {
    const d = decodeRequest(bytes);
    assert.ok(!d.ok);
    assert.equal(d.error.codeName, code, d.error.message);
    assert.equal(d.id, 0);
  }
});

test("msgpackr extension values (Date, Set, RegExp, Error, typed arrays) are rejected as wrong types", () => {
  const values = [new Date(0), new Set([1]), /x+/, new Error("e"), new Float64Array(2), new Map([["a", 1]])];
  const packr = new (clientPackr.constructor as new (o: object) => typeof clientPackr)({ moreTypes: true, useRecords: false, structuredClone: false });
  for (const v of values) {
    const d = decodeRequest(packr.pack({ id: 1, op: "fetch", topic: "t", partition: 0, offset: v, maxBytes: 1, maxWaitMs: 0 }));
    assert.ok(!d.ok, `accepted ${String(v)}`);
    assert.equal(d.error.codeName, "INVALID_REQUEST");
    assert.match(d.error.message, /^offset: expected an integer/);
  }
});

test("a __proto__ key in a frame does not reach the prototype", () => {
  // msgpack map { id: 1, op: "listGroups", "__proto__": { polluted: true } } built by hand.
  const str = (s: string): Buffer => Buffer.concat([Buffer.from([0xa0 | s.length]), Buffer.from(s)]);
  const bytes = Buffer.concat([
    Buffer.from([0x83]),
    str("id"),
    Buffer.from([0x01]),
    str("op"),
    str("listGroups"),
    str("__proto__"),
    Buffer.from([0x81]),
    str("polluted"),
    Buffer.from([0xc3]),
  ]);
  const d = decodeRequest(bytes);
  assert.ok(d.ok);
  assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
});
