/**
 * One valid request per op (the type makes a missing op a compile error),
 * used by round-trip, validation and fuzz tests.
 */
import { OffsetSpec } from "../../broker/protocol/enums.js";
import type { OpName, RequestOf } from "../../broker/protocol/ops.js";
import { batchOf } from "./batches.js";

const bytes = (...xs: number[]): Uint8Array => new Uint8Array(xs);

/** A valid request body for every op. */
export const SAMPLE_REQUESTS: { readonly [O in OpName]: RequestOf<O> } = {
  handshake: { op: "handshake", version: 1, clientId: "test-client" },
  metadata: { op: "metadata", topics: ["orders", "__consumer_offsets"] },
  createTopic: {
    op: "createTopic",
    name: "orders",
    partitions: 3,
    replicationFactor: 3,
    config: { retentionBytes: -1, retentionMs: 86_400_000, segmentBytes: 1 << 20, segmentMs: 3_600_000, compression: "zstd" },
  },
  alterTopic: { op: "alterTopic", name: "orders", partitions: 6, config: { retentionMs: 3_600_000, compression: "lz4" } },
  deleteTopic: { op: "deleteTopic", name: "orders" },
  reassignPartitions: { op: "reassignPartitions", moves: [{ topic: "orders", partition: 0, replicas: [2, 3, 4] }, { topic: "__consumer_offsets", partition: 7, replicas: [4, 1, 2] }] },
  listReassignments: { op: "listReassignments" },
  cancelReassignment: { op: "cancelReassignment", partitions: [{ topic: "orders", partition: 0 }] },
  decommissionBroker: { op: "decommissionBroker", brokerId: 3 },
  describeTopic: { op: "describeTopic", name: "orders" },
  listTopics: { op: "listTopics", includeInternal: true },
  produce: {
    op: "produce",
    topic: "orders",
    partition: 2,
    batch: batchOf(
      [{ value: bytes(1, 2, 3) }, { key: bytes(9), value: bytes(), headers: [{ key: "trace", value: bytes(7, 7) }], timestampMs: 1_700_000_000_000 }],
      1_700_000_000_000,
      { producerId: 42, producerEpoch: 1, baseSequence: 100 },
    ),
    acks: "all",
    timeoutMs: 5000,
  },
  fetch: { op: "fetch", topic: "orders", partition: 0, offset: 2 ** 40, maxBytes: 1 << 20, maxWaitMs: 500, minBytes: 1 },
  listOffsets: { op: "listOffsets", topic: "orders", partition: 1, spec: OffsetSpec.Timestamp, timestampMs: 1_700_000_000_000 },
  initProducerId: { op: "initProducerId", producerId: 42, producerEpoch: 0 },
  transferLeader: { op: "transferLeader", topic: "orders", partition: 1, toBrokerId: 3, timeoutMs: 10_000 },
  rebalanceLeaders: { op: "rebalanceLeaders", topic: "orders" },
  clusterStatus: { op: "clusterStatus" },
  registerBroker: { op: "registerBroker", brokerId: 4, host: "10.0.0.14", clientPort: 9092, peerPort: 9192 },
  unregisterBroker: { op: "unregisterBroker", brokerId: 4 },
  listBrokers: { op: "listBrokers" },
  alterControllerVoters: { op: "alterControllerVoters", voters: [1, 2, 4] },
  joinGroup: { op: "joinGroup", group: "billing", memberId: "", topics: ["orders"], sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 30_000 },
  syncGroup: { op: "syncGroup", group: "billing", generation: 3, memberId: "m-1" },
  heartbeat: { op: "heartbeat", group: "billing", generation: 3, memberId: "m-1" },
  leaveGroup: { op: "leaveGroup", group: "billing", memberId: "m-1" },
  commitOffsets: {
    op: "commitOffsets",
    group: "billing",
    generation: 3,
    memberId: "m-1",
    offsets: [{ topic: "orders", partition: 0, offset: 17, metadata: "host-a" }],
  },
  fetchOffsets: { op: "fetchOffsets", group: "billing", partitions: [{ topic: "orders", partition: 0 }] },
  listGroups: { op: "listGroups" },
  describeGroup: { op: "describeGroup", group: "billing" },
  resetOffsets: { op: "resetOffsets", group: "billing", topic: "orders", partitions: [0, 2], spec: OffsetSpec.Exact, offset: 5 },
  createAcls: {
    op: "createAcls",
    acls: [
      { principal: "User:alice", resourceType: "topic", patternType: "prefixed", name: "orders-", operation: "read", permission: "allow" },
      { principal: "User:*", resourceType: "cluster", patternType: "literal", name: "rlog-cluster", operation: "alter", permission: "deny" },
    ],
  },
  deleteAcls: { op: "deleteAcls", filters: [{ principal: "User:alice", resourceType: "topic" }, {}] },
  listAcls: { op: "listAcls", filter: { resourceType: "group", operation: "all" } },
  authenticate: { op: "authenticate", mechanism: "SCRAM-SHA-256", message: new TextEncoder().encode("n,,n=user,r=rOprNGfwEbeRWgbNEkqO") },
  createUser: {
    op: "createUser",
    name: "alice",
    credential: { mechanism: "SCRAM-SHA-256", salt: new Uint8Array(16).fill(7), iterations: 4096, storedKey: new Uint8Array(32).fill(1), serverKey: new Uint8Array(32).fill(2) },
  },
  deleteUser: { op: "deleteUser", name: "alice" },
  listUsers: { op: "listUsers" },
};
