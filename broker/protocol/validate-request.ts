/**
 * Turns an untrusted decoded request map into a typed request body, or
 * throws an RlogError naming the bad field. One parser per op. The typed
 * request is built fresh from the checked fields: unknown fields are ignored
 * (newer clients may send optional extras), nothing else is carried over.
 */
import { RlogError, invalidField } from "./errors.js";
import { ASSIGNMENT_STRATEGIES, OffsetSpec, ACKS, type Acks } from "./enums.js";
import { BROKER_ID, FieldReader, NON_NEGATIVE, TIMESTAMP_MS, checkInt, checkString, type IntRange } from "./field-reader.js";
import { CONTROLLER_VOTERS_MAX, FIXED_LIMITS, type Limits } from "./limits.js";
import type { OpName, Request, RequestOf } from "./ops.js";
import { TOPIC_COMPRESSIONS, type CommitOffset, type ReassignmentMove, type TopicCompression, type TopicConfig, type TopicPartition } from "./requests.js";
import { checkTopicName } from "./topic-name.js";
import {
  ACL_OPERATIONS,
  CLUSTER_RESOURCE_NAME,
  PATTERN_TYPES,
  PERMISSIONS,
  PRINCIPAL_PREFIX,
  RESOURCE_TYPES,
  WILDCARD_NAME,
  principalProblem,
  type Acl,
  type AclFilter,
} from "./acls.js";
import {
  SCRAM_ITERATIONS_MAX,
  SCRAM_ITERATIONS_MIN,
  SCRAM_KEY_BYTES,
  SCRAM_MESSAGE_BYTES_MAX,
  SCRAM_SALT_BYTES_MAX,
  SCRAM_SALT_BYTES_MIN,
  SCRAM_SHA_256,
  checkUserName,
  type ScramCredential,
} from "./scram-limits.js";

/**
 * Check the fields of a request whose `op` is already known to be valid.
 * @param r reader over the whole frame map
 * @throws RlogError only
 */
export function validateRequestBody(op: OpName, r: FieldReader, limits: Limits): Request {
  const parse = parsers[op] as (r: FieldReader, limits: Limits) => Request;
  return parse(r, limits);
}

/** Range of a listener port. */
const PORT: IntRange = Object.freeze({ min: 1, max: 65_535 });
/** Longest advertised host name of registerBroker (DNS names are at most 253 characters). */
const BROKER_HOST_LENGTH_MAX = 253;

type Parsers = { readonly [O in OpName]: (r: FieldReader, limits: Limits) => RequestOf<O> };

/** T with its optional fields allowed to be undefined (they are dropped by `compact`). */
type Loose<T> = { [K in keyof T]-?: object extends Pick<T, K> ? T[K] | undefined : T[K] };

/** Drop undefined optional fields, so exactOptionalPropertyTypes holds at run time too. */
function compact<T>(o: Loose<T>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

function topic(r: FieldReader, name: string, limits: Limits, allowInternal: boolean): string {
  return checkTopicName(r.str(name, Number.MAX_SAFE_INTEGER), r.at(name), limits.topicNameLengthMax, allowInternal);
}

function topicValue(v: unknown, path: string, limits: Limits, allowInternal: boolean): string {
  return checkTopicName(checkString(v, path, Number.MAX_SAFE_INTEGER), path, limits.topicNameLengthMax, allowInternal);
}

function partitionRange(limits: Limits): IntRange {
  return { min: 0, max: limits.partitionsMax - 1 };
}

function groupId(r: FieldReader, limits: Limits): string {
  return r.str("group", limits.stringLengthMax, 1);
}

function memberId(r: FieldReader, limits: Limits): string {
  return r.str("memberId", limits.stringLengthMax, 1);
}

const GENERATION: IntRange = { min: 0, max: 0x7fff_ffff };

/** Both fields present or both absent, else INVALID_REQUEST naming the missing one. */
function together(r: FieldReader, names: readonly string[]): void {
  const present = names.filter((n) => r.has(n));
  if (present.length !== 0 && present.length !== names.length) {
    const missing = names.filter((n) => !r.has(n));
    const field = r.at(missing[0] ?? "");
    throw new RlogError("INVALID_REQUEST", `${field}: required together with ${present.join(", ")}`, { field });
  }
}

function topicConfig(r: FieldReader, limits: Limits): Partial<TopicConfig> {
  const retention: IntRange = { min: -1, max: FIXED_LIMITS.integerMax };
  return compact<Partial<TopicConfig>>({
    retentionBytes: r.optInt("retentionBytes", retention),
    retentionMs: r.optInt("retentionMs", retention),
    segmentBytes: r.optInt("segmentBytes", { min: limits.segmentBytesMin, max: limits.segmentBytesMax }),
    segmentMs: r.optInt("segmentMs", { min: limits.segmentMsMin, max: FIXED_LIMITS.integerMax }),
    compression: r.has("compression") ? r.oneOf<TopicCompression>("compression", TOPIC_COMPRESSIONS) : undefined,
  });
}

function topicPartition(v: unknown, path: string, limits: Limits): TopicPartition {
  const r = FieldReader.of(v, path);
  return { topic: topic(r, "topic", limits, true), partition: r.int("partition", partitionRange(limits)) };
}

/** One move of reassignPartitions; the replica list's shape here, the brokers themselves at the controller. */
function reassignmentMove(v: unknown, path: string, limits: Limits): ReassignmentMove {
  const r = FieldReader.of(v, path);
  const replicas = r.array("replicas", limits.replicationFactorMax, (id, p) => checkInt(id, p, BROKER_ID), 1);
  if (new Set(replicas).size !== replicas.length) throw invalidField(`${path}.replicas`, `names a broker twice (${replicas.join(",")})`);
  return { topic: topic(r, "topic", limits, true), partition: r.int("partition", partitionRange(limits)), replicas };
}

function commitOffset(v: unknown, path: string, limits: Limits): CommitOffset {
  const r = FieldReader.of(v, path);
  return compact<CommitOffset>({
    topic: topic(r, "topic", limits, true),
    partition: r.int("partition", partitionRange(limits)),
    offset: r.int("offset", NON_NEGATIVE),
    metadata: r.optStr("metadata", limits.stringLengthMax),
  });
}

/** spec, plus the field the spec needs (timestampMs for Timestamp, offset for Exact); undefined for the others. */
function offsetSpec(
  r: FieldReader,
  allowed: readonly OffsetSpec[],
): { spec: OffsetSpec; timestampMs: number | undefined; offset: number | undefined } {
  const spec = r.oneOf("spec", allowed);
  const timestampMs = spec === OffsetSpec.Timestamp ? r.int("timestampMs", TIMESTAMP_MS) : undefined;
  const offset = spec === OffsetSpec.Exact ? r.int("offset", NON_NEGATIVE) : undefined;
  return { spec, timestampMs, offset };
}

function principal(r: FieldReader, limits: Limits): string {
  const value = r.str("principal", PRINCIPAL_PREFIX.length + limits.stringLengthMax, 1);
  const problem = principalProblem(value, limits.stringLengthMax);
  if (problem !== undefined) throw new RlogError("INVALID_REQUEST", `${r.at("principal")}: ${problem}`, { field: r.at("principal") });
  return value;
}

/** A cluster ACL names the one cluster: literally "rlog-cluster" or "*". */
function checkClusterPattern(r: FieldReader, acl: AclFilter): void {
  if (acl.resourceType !== "cluster") return;
  if (acl.patternType === "prefixed") {
    throw new RlogError("INVALID_REQUEST", `${r.at("patternType")}: a cluster ACL is literal (there is one cluster, ${CLUSTER_RESOURCE_NAME})`, { field: r.at("patternType") });
  }
  if (acl.name !== undefined && acl.name !== CLUSTER_RESOURCE_NAME && acl.name !== WILDCARD_NAME) {
    throw new RlogError("INVALID_REQUEST", `${r.at("name")}: a cluster ACL names ${CLUSTER_RESOURCE_NAME} (or ${WILDCARD_NAME})`, { field: r.at("name") });
  }
}

function acl(v: unknown, path: string, limits: Limits): Acl {
  const r = FieldReader.of(v, path);
  const out: Acl = {
    principal: principal(r, limits),
    resourceType: r.oneOf("resourceType", RESOURCE_TYPES),
    patternType: r.oneOf("patternType", PATTERN_TYPES),
    name: r.str("name", limits.stringLengthMax, 1),
    operation: r.oneOf("operation", ACL_OPERATIONS),
    permission: r.oneOf("permission", PERMISSIONS),
  };
  checkClusterPattern(r, out);
  return out;
}

function aclFilter(v: unknown, path: string, limits: Limits): AclFilter {
  const r = FieldReader.of(v, path);
  const out = compact<AclFilter>({
    principal: r.has("principal") ? principal(r, limits) : undefined,
    resourceType: r.has("resourceType") ? r.oneOf("resourceType", RESOURCE_TYPES) : undefined,
    patternType: r.has("patternType") ? r.oneOf("patternType", PATTERN_TYPES) : undefined,
    name: r.optStr("name", limits.stringLengthMax, 1),
    operation: r.has("operation") ? r.oneOf("operation", ACL_OPERATIONS) : undefined,
    permission: r.has("permission") ? r.oneOf("permission", PERMISSIONS) : undefined,
  });
  checkClusterPattern(r, out);
  return out;
}

const LIST_SPECS: readonly OffsetSpec[] = [OffsetSpec.Earliest, OffsetSpec.Latest, OffsetSpec.Timestamp];
const RESET_SPECS: readonly OffsetSpec[] = [...LIST_SPECS, OffsetSpec.Exact];

/** A user name: 1 .. stringLengthMax characters, no control characters. */
function userName(r: FieldReader, l: Limits): string {
  const name = r.str("name", l.stringLengthMax, 1);
  const problem = checkUserName(name, l.stringLengthMax);
  if (problem !== undefined) throw invalidField(r.at("name"), problem);
  return name;
}

/** Bytes of a length in [min, max]. */
function sizedBytes(r: FieldReader, name: string, min: number, max: number): Uint8Array {
  const b = r.bytes(name);
  if (b.length < min || b.length > max) {
    throw invalidField(r.at(name), min === max ? `expected ${min} bytes, got ${b.length}` : `expected ${min}..${max} bytes, got ${b.length}`);
  }
  return b;
}

function scramCredential(r: FieldReader): ScramCredential {
  return {
    mechanism: r.oneOf("mechanism", [SCRAM_SHA_256] as const),
    salt: sizedBytes(r, "salt", SCRAM_SALT_BYTES_MIN, SCRAM_SALT_BYTES_MAX),
    iterations: r.int("iterations", { min: SCRAM_ITERATIONS_MIN, max: SCRAM_ITERATIONS_MAX }),
    storedKey: sizedBytes(r, "storedKey", SCRAM_KEY_BYTES, SCRAM_KEY_BYTES),
    serverKey: sizedBytes(r, "serverKey", SCRAM_KEY_BYTES, SCRAM_KEY_BYTES),
  };
}

const parsers: Parsers = {
  handshake: (r, l) => ({
    op: "handshake",
    version: r.int("version", { min: 0, max: 0xffff }),
    clientId: r.str("clientId", l.stringLengthMax),
  }),

  metadata: (r, l) =>
    compact<RequestOf<"metadata">>({
      op: "metadata",
      topics: r.optArray("topics", l.arrayLengthMax, (v, p) => topicValue(v, p, l, true)),
    }),

  createTopic: (r, l) =>
    compact<RequestOf<"createTopic">>({
      op: "createTopic",
      name: topic(r, "name", l, false),
      partitions: r.int("partitions", { min: 1, max: l.partitionsMax, code: "INVALID_PARTITIONS" }),
      replicationFactor: r.int("replicationFactor", { min: 1, max: l.replicationFactorMax, code: "INVALID_REPLICATION_FACTOR" }),
      config: r.has("config") ? topicConfig(r.child("config"), l) : undefined,
    }),

  deleteTopic: (r, l) => ({ op: "deleteTopic", name: topic(r, "name", l, false) }),

  // Internal names are accepted here so that the controller can say why it refuses them.
  alterTopic: (r, l) => {
    const req = compact<RequestOf<"alterTopic">>({
      op: "alterTopic",
      name: topic(r, "name", l, true),
      partitions: r.optInt("partitions", { min: 1, max: l.partitionsMax, code: "INVALID_PARTITIONS" }),
      config: r.has("config") ? topicConfig(r.child("config"), l) : undefined,
    });
    if (req.partitions === undefined && (req.config === undefined || Object.keys(req.config).length === 0)) {
      throw new RlogError("INVALID_REQUEST", "alterTopic: name partitions, config or both (nothing to change)", { field: "partitions" });
    }
    return req;
  },

  describeTopic: (r, l) => ({ op: "describeTopic", name: topic(r, "name", l, true) }),

  listTopics: (r) => compact<RequestOf<"listTopics">>({ op: "listTopics", includeInternal: r.optBool("includeInternal") }),

  // The batch is checked here for its size only; the partition leader checks
  // its header and CRC (broker/partition/produced-batch.ts), without decoding records.
  produce: (r, l) => {
    const batch = r.bytes("batch");
    if (batch.byteLength > l.batchBytesMax) {
      throw new RlogError("REQUEST_TOO_LARGE", `batch: ${batch.byteLength} bytes, more than batchBytesMax ${l.batchBytesMax}`, { field: "batch" });
    }
    return compact<RequestOf<"produce">>({
      op: "produce",
      topic: topic(r, "topic", l, false),
      partition: r.int("partition", partitionRange(l)),
      batch,
      acks: r.oneOf<Acks>("acks", ACKS),
      timeoutMs: r.optInt("timeoutMs", { min: 0, max: l.requestTimeoutMsMax }),
    });
  },

  fetch: (r, l) =>
    compact<RequestOf<"fetch">>({
      op: "fetch",
      topic: topic(r, "topic", l, true),
      partition: r.int("partition", partitionRange(l)),
      offset: r.int("offset", NON_NEGATIVE),
      maxBytes: r.int("maxBytes", { min: 1, max: l.fetchBytesMax }),
      maxWaitMs: r.int("maxWaitMs", { min: 0, max: l.fetchWaitMsMax }),
      minBytes: r.optInt("minBytes", { min: 1, max: l.fetchBytesMax }),
    }),

  listOffsets: (r, l) => {
    const { spec, timestampMs } = offsetSpec(r, LIST_SPECS);
    return compact<RequestOf<"listOffsets">>({
      op: "listOffsets",
      topic: topic(r, "topic", l, true),
      partition: r.int("partition", partitionRange(l)),
      spec,
      timestampMs,
    });
  },

  initProducerId: (r) => {
    together(r, ["producerId", "producerEpoch"]);
    return compact<RequestOf<"initProducerId">>({
      op: "initProducerId",
      producerId: r.optInt("producerId", NON_NEGATIVE),
      producerEpoch: r.optInt("producerEpoch", { min: 0, max: FIXED_LIMITS.producerEpochMax }),
    });
  },

  transferLeader: (r, l) =>
    compact<RequestOf<"transferLeader">>({
      op: "transferLeader",
      topic: topic(r, "topic", l, true),
      partition: r.int("partition", partitionRange(l)),
      toBrokerId: r.optInt("toBrokerId", BROKER_ID),
      timeoutMs: r.optInt("timeoutMs", { min: 0, max: l.requestTimeoutMsMax }),
    }),

  rebalanceLeaders: (r, l) =>
    compact<RequestOf<"rebalanceLeaders">>({ op: "rebalanceLeaders", topic: r.has("topic") ? topic(r, "topic", l, true) : undefined }),

  clusterStatus: () => ({ op: "clusterStatus" }),

  registerBroker: (r) => {
    const host = r.str("host", BROKER_HOST_LENGTH_MAX, 1);
    if (host === "0.0.0.0" || host === "::") throw invalidField("host", `${host} is where a listener binds, not an address peers and clients can reach: give the broker's own address or host name`);
    return compact<RequestOf<"registerBroker">>({
      op: "registerBroker",
      brokerId: r.int("brokerId", BROKER_ID),
      host,
      clientPort: r.int("clientPort", PORT),
      peerPort: r.int("peerPort", PORT),
      kafkaPort: r.optInt("kafkaPort", PORT),
    });
  },

  unregisterBroker: (r) => ({ op: "unregisterBroker", brokerId: r.int("brokerId", BROKER_ID) }),

  listBrokers: () => ({ op: "listBrokers" }),

  // Distinct, known and live voters are checked by the controller (INVALID_CONTROLLER_VOTERS).
  alterControllerVoters: (r) => ({
    op: "alterControllerVoters",
    voters: r.array("voters", CONTROLLER_VOTERS_MAX, (v, p) => checkInt(v, p, BROKER_ID), 1),
  }),

  // Internal topics are accepted here so that the controller can say why it refuses them.
  reassignPartitions: (r, l) => ({ op: "reassignPartitions", moves: r.array("moves", l.arrayLengthMax, (v, p) => reassignmentMove(v, p, l), 1) }),

  listReassignments: () => ({ op: "listReassignments" }),

  cancelReassignment: (r, l) => ({
    op: "cancelReassignment",
    partitions: r.array("partitions", l.arrayLengthMax, (v, path) => {
      const p = FieldReader.of(v, path);
      return { topic: topic(p, "topic", l, true), partition: p.int("partition", partitionRange(l)) };
    }, 1),
  }),

  decommissionBroker: (r) => ({ op: "decommissionBroker", brokerId: r.int("brokerId", BROKER_ID) }),

  joinGroup: (r, l) =>
    compact<RequestOf<"joinGroup">>({
      op: "joinGroup",
      group: groupId(r, l),
      memberId: r.str("memberId", l.stringLengthMax),
      topics: r.array("topics", l.arrayLengthMax, (v, p) => topicValue(v, p, l, false), 1),
      sessionTimeoutMs: r.int("sessionTimeoutMs", { min: l.sessionTimeoutMsMin, max: l.sessionTimeoutMsMax }),
      rebalanceTimeoutMs: r.int("rebalanceTimeoutMs", { min: 1, max: l.rebalanceTimeoutMsMax }),
      assignmentStrategy: r.has("assignmentStrategy") ? r.oneOf("assignmentStrategy", ASSIGNMENT_STRATEGIES) : undefined,
    }),

  syncGroup: (r, l) => ({
    op: "syncGroup",
    group: groupId(r, l),
    generation: r.int("generation", GENERATION),
    memberId: memberId(r, l),
  }),

  heartbeat: (r, l) => ({
    op: "heartbeat",
    group: groupId(r, l),
    generation: r.int("generation", GENERATION),
    memberId: memberId(r, l),
  }),

  leaveGroup: (r, l) => ({ op: "leaveGroup", group: groupId(r, l), memberId: memberId(r, l) }),

  commitOffsets: (r, l) => {
    together(r, ["generation", "memberId"]);
    return compact<RequestOf<"commitOffsets">>({
      op: "commitOffsets",
      group: groupId(r, l),
      generation: r.optInt("generation", GENERATION),
      memberId: r.has("memberId") ? memberId(r, l) : undefined,
      offsets: r.array("offsets", l.arrayLengthMax, (v, p) => commitOffset(v, p, l), 1),
    });
  },

  fetchOffsets: (r, l) =>
    compact<RequestOf<"fetchOffsets">>({
      op: "fetchOffsets",
      group: groupId(r, l),
      partitions: r.optArray("partitions", l.arrayLengthMax, (v, p) => topicPartition(v, p, l)),
    }),

  listGroups: () => ({ op: "listGroups" }),

  describeGroup: (r, l) => ({ op: "describeGroup", group: groupId(r, l) }),

  authenticate: (r) => ({
    op: "authenticate",
    mechanism: r.oneOf("mechanism", [SCRAM_SHA_256] as const),
    message: sizedBytes(r, "message", 1, SCRAM_MESSAGE_BYTES_MAX),
  }),

  createUser: (r, l) => ({ op: "createUser", name: userName(r, l), credential: scramCredential(r.child("credential")) }),

  deleteUser: (r, l) => ({ op: "deleteUser", name: userName(r, l) }),

  listUsers: () => ({ op: "listUsers" }),

  resetOffsets: (r, l) =>
    compact<RequestOf<"resetOffsets">>({
      op: "resetOffsets",
      group: groupId(r, l),
      topic: topic(r, "topic", l, true),
      partitions: r.optArray("partitions", l.partitionsMax, (v, p) => checkInt(v, p, partitionRange(l))),
      ...offsetSpec(r, RESET_SPECS),
    }),

  createAcls: (r, l) => ({ op: "createAcls", acls: r.array("acls", l.arrayLengthMax, (v, p) => acl(v, p, l), 1) }),

  deleteAcls: (r, l) => ({ op: "deleteAcls", filters: r.array("filters", l.arrayLengthMax, (v, p) => aclFilter(v, p, l), 1) }),

  listAcls: (r, l) => compact<RequestOf<"listAcls">>({ op: "listAcls", filter: r.has("filter") ? aclFilter(r.raw("filter"), r.at("filter"), l) : undefined }),
};
