/**
 * The consumer-group APIs and ListOffsets (broker/kafka/apis/) against a
 * fake context, through kafkajs's own codecs at the versions kafkajs sends
 * (and a few later versions written by hand): which rlog ops they run with
 * which fields, and what the client reads back. JoinGroup names no leader
 * and picks the client's first assignor rlog serves (the next when the
 * group runs another); SyncGroup carries the coordinator's assignment;
 * standalone commits; null topics in OffsetFetch; Kafka's error codes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describeGroupsApi } from "../../broker/kafka/apis/describe-groups.js";
import { findCoordinatorApi } from "../../broker/kafka/apis/find-coordinator.js";
import { heartbeatApi } from "../../broker/kafka/apis/heartbeat.js";
import { joinGroupApi } from "../../broker/kafka/apis/join-group.js";
import { leaveGroupApi } from "../../broker/kafka/apis/leave-group.js";
import { listGroupsApi } from "../../broker/kafka/apis/list-groups.js";
import { listOffsetsApi } from "../../broker/kafka/apis/list-offsets.js";
import { offsetCommitApi } from "../../broker/kafka/apis/offset-commit.js";
import { offsetFetchApi } from "../../broker/kafka/apis/offset-fetch.js";
import { syncGroupApi } from "../../broker/kafka/apis/sync-group.js";
import { KafkaError } from "../../broker/kafka/kafka-errors.js";
import { KafkaReader } from "../../broker/kafka/kafka-reader.js";
import { KafkaWriter } from "../../broker/kafka/kafka-writer.js";
import { AssignmentStrategy, GroupState, OffsetSpec } from "../../broker/protocol/enums.js";
import { RlogError } from "../../broker/protocol/errors.js";
import { coordinatorPartition, OFFSETS_TOPIC } from "../../broker/protocol/group-routing.js";
import type { HandlerRequest } from "../../broker/kafka/kafka-api.js";
import { fakeContext, kafkajsDecode, roundTrip, type FakeOp } from "./kafkajs-codec.js";

const require = createRequire(import.meta.url);
const { MemberAssignment, MemberMetadata } = require("kafkajs/src/consumer/assignerProtocol") as {
  MemberAssignment: { decode(b: Buffer): { assignment: Record<string, number[]> } | null };
  MemberMetadata: { encode(m: object): Buffer };
};

const ok = (result: unknown): FakeOp => () => Promise.resolve(result);
const fail = (name: ConstructorParameters<typeof RlogError>[0]): FakeOp => () => Promise.reject(new RlogError(name, "refused"));

test("FindCoordinator: the Kafka endpoint of the leader of the group's offsets partition; transactions and a missing topic are COORDINATOR_NOT_AVAILABLE", async () => {
  const group = "billing";
  const partitions = Array.from({ length: 5 }, (_, p) => ({ partition: p, leader: p === coordinatorPartition(group, 5) ? 2 : 3 }));
  const brokers = [
    { id: 2, host: "b2.local", port: 19093 },
    { id: 3, host: "b3.local", port: 19094 },
  ];
  const { ctx } = fakeContext({ metadata: ok({ brokers: [], controllerId: 1, topics: [{ name: OFFSETS_TOPIC, partitions }] }) }, brokers);
  const found = await roundTrip<{ errorCode: number; coordinator: { nodeId: number; host: string; port: number } }>(findCoordinatorApi, "findCoordinator", 2, { coordinatorKey: group, coordinatorType: 0 }, ctx);
  assert.equal(found.errorCode, 0);
  assert.deepEqual(found.coordinator, { nodeId: 2, host: "b2.local", port: 19093 });

  const txn = await roundTrip<{ errorCode: number }>(findCoordinatorApi, "findCoordinator", 2, { coordinatorKey: "tx", coordinatorType: 1 }, ctx);
  assert.equal(txn.errorCode, KafkaError.COORDINATOR_NOT_AVAILABLE);

  const { ctx: early } = fakeContext({ metadata: ok({ brokers: [], controllerId: 1, topics: [] }) });
  const missing = await roundTrip<{ errorCode: number }>(findCoordinatorApi, "findCoordinator", 0, { groupId: group }, early);
  assert.equal(missing.errorCode, KafkaError.COORDINATOR_NOT_AVAILABLE);
});

interface KjsJoin {
  errorCode: number;
  generationId: number;
  groupProtocol: string;
  leaderId: string;
  memberId: string;
  members: unknown[];
}

test("JoinGroup: the subscription's topics and the assignor's strategy go to rlog's joinGroup; no leader, no members in the answer", async () => {
  const { ctx, calls } = fakeContext({ joinGroup: ok({ generation: 4, memberId: "kafka-1234" }) });
  const metadata = MemberMetadata.encode({ version: 1, topics: ["orders", "payments", "orders"] });
  const res = await roundTrip<KjsJoin>(
    joinGroupApi,
    "joinGroup",
    5,
    { groupId: "g", sessionTimeout: 30_000, rebalanceTimeout: 60_000, memberId: "", protocolType: "consumer", groupProtocols: [{ name: "RoundRobinAssigner", metadata }] },
    ctx,
  );
  assert.deepEqual(
    { errorCode: res.errorCode, generationId: res.generationId, groupProtocol: res.groupProtocol, leaderId: res.leaderId, memberId: res.memberId, members: res.members },
    { errorCode: 0, generationId: 4, groupProtocol: "RoundRobinAssigner", leaderId: "", memberId: "kafka-1234", members: [] },
  );
  assert.deepEqual(calls, [
    { op: "joinGroup", group: "g", memberId: "", topics: ["orders", "payments"], sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 60_000, assignmentStrategy: AssignmentStrategy.RoundRobin },
  ]);
  assert.notEqual(res.leaderId, res.memberId, "kafkajs's isLeader() is false: it sends an empty SyncGroup");
});

test("JoinGroup: the next acceptable assignor when the group runs another strategy; v0's rebalance timeout is the session timeout", async () => {
  const { ctx, calls } = fakeContext({
    joinGroup: (r) => ((r as { assignmentStrategy?: number }).assignmentStrategy === AssignmentStrategy.RoundRobin ? Promise.resolve({ generation: 1, memberId: "m" }) : Promise.reject(new RlogError("INCONSISTENT_GROUP_PROTOCOL", "group uses round robin"))),
  });
  const metadata = MemberMetadata.encode({ version: 0, topics: ["t"] });
  const protocols = ["cooperative-sticky", "range", "roundrobin"].map((name) => ({ name, metadata }));
  const res = await roundTrip<KjsJoin>(joinGroupApi, "joinGroup", 0, { groupId: "g", sessionTimeout: 10_000, memberId: "", protocolType: "consumer", groupProtocols: protocols }, ctx);
  assert.equal(res.errorCode, 0);
  assert.equal(res.groupProtocol, "roundrobin");
  assert.deepEqual(
    calls.map((c) => (c as { assignmentStrategy?: number }).assignmentStrategy),
    [AssignmentStrategy.Range, AssignmentStrategy.RoundRobin],
  );
  assert.equal((calls[0] as { rebalanceTimeoutMs: number }).rebalanceTimeoutMs, 10_000);

  const { ctx: strict } = fakeContext({ joinGroup: fail("INCONSISTENT_GROUP_PROTOCOL") });
  const refused = await roundTrip<KjsJoin>(joinGroupApi, "joinGroup", 5, { groupId: "g", sessionTimeout: 10_000, rebalanceTimeout: 10_000, memberId: "", protocolType: "consumer", groupProtocols: protocols.slice(1) }, strict);
  assert.equal(refused.errorCode, KafkaError.INCONSISTENT_GROUP_PROTOCOL);
});

test("JoinGroup refusals: another protocol type, only incremental assignors, a session timeout out of bounds, an empty group id", async () => {
  const { ctx, calls } = fakeContext({ joinGroup: ok({ generation: 1, memberId: "m" }) });
  const metadata = MemberMetadata.encode({ version: 0, topics: ["t"] });
  const join = (args: object): Promise<KjsJoin> =>
    roundTrip<KjsJoin>(joinGroupApi, "joinGroup", 5, { groupId: "g", sessionTimeout: 10_000, rebalanceTimeout: 10_000, memberId: "", protocolType: "consumer", groupProtocols: [{ name: "range", metadata }], ...args }, ctx);
  assert.equal((await join({ protocolType: "connect" })).errorCode, KafkaError.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await join({ groupProtocols: [{ name: "cooperative-sticky", metadata }] })).errorCode, KafkaError.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await join({ sessionTimeout: 10 })).errorCode, KafkaError.INVALID_SESSION_TIMEOUT);
  assert.equal((await join({ groupId: "" })).errorCode, KafkaError.INVALID_GROUP_ID);
  assert.equal((await join({ groupProtocols: [{ name: "range", metadata: Buffer.from([0, 0, 0, 0, 0, 7]) }] })).errorCode, KafkaError.INCONSISTENT_GROUP_PROTOCOL, "a subscription that does not parse");
  assert.equal(calls.length, 0, "none reached the coordinator");
});

test("SyncGroup: the coordinator's assignment as kafkajs decodes it; client assignments ignored; errors with an empty assignment", async () => {
  const { ctx, calls } = fakeContext({ syncGroup: ok({ assignment: [{ topic: "orders", partitions: [0, 2] }] }) });
  const res = await roundTrip<{ errorCode: number; memberAssignment: Buffer }>(syncGroupApi, "syncGroup", 3, { groupId: "g", generationId: 4, memberId: "m", groupAssignment: [{ memberId: "other", memberAssignment: Buffer.from([1, 2]) }] }, ctx);
  assert.equal(res.errorCode, 0);
  assert.deepEqual(MemberAssignment.decode(res.memberAssignment)?.assignment, { orders: [0, 2] });
  assert.deepEqual(calls, [{ op: "syncGroup", group: "g", generation: 4, memberId: "m" }]);

  const { ctx: moving } = fakeContext({ syncGroup: fail("REBALANCE_IN_PROGRESS") });
  const refused = await roundTrip<{ errorCode: number; memberAssignment: Buffer }>(syncGroupApi, "syncGroup", 0, { groupId: "g", generationId: 4, memberId: "m", groupAssignment: [] }, moving);
  assert.equal(refused.errorCode, KafkaError.REBALANCE_IN_PROGRESS);
  assert.equal(refused.memberAssignment.length, 0);
});

test("Heartbeat and LeaveGroup (v3: a list of members)", async () => {
  const { ctx } = fakeContext({ heartbeat: fail("REBALANCE_IN_PROGRESS") });
  const hb = await roundTrip<{ errorCode: number }>(heartbeatApi, "heartbeat", 3, { groupId: "g", groupGenerationId: 4, memberId: "m" }, ctx);
  assert.equal(hb.errorCode, KafkaError.REBALANCE_IN_PROGRESS);
  const { ctx: fine } = fakeContext({ heartbeat: ok({}) });
  assert.equal((await roundTrip<{ errorCode: number }>(heartbeatApi, "heartbeat", 0, { groupId: "g", groupGenerationId: 4, memberId: "m" }, fine)).errorCode, 0);

  const { ctx: leaving, calls } = fakeContext({ leaveGroup: (r) => ((r as { memberId: string }).memberId === "gone" ? Promise.reject(new RlogError("UNKNOWN_MEMBER", "no")) : Promise.resolve({})) });
  const left = await roundTrip<{ errorCode: number; members: { memberId: string; errorCode: number }[] }>(leaveGroupApi, "leaveGroup", 3, { groupId: "g", members: [{ memberId: "m1" }, { memberId: "gone" }] }, leaving);
  assert.equal(left.errorCode, 0);
  assert.deepEqual(
    left.members.map((m) => [m.memberId, m.errorCode]),
    [
      ["m1", 0],
      ["gone", KafkaError.UNKNOWN_MEMBER_ID],
    ],
  );
  assert.deepEqual(calls.map((c) => (c as { memberId: string }).memberId), ["m1", "gone"]);
  const v0 = await roundTrip<{ errorCode: number }>(leaveGroupApi, "leaveGroup", 0, { groupId: "g", memberId: "m1" }, leaving);
  assert.equal(v0.errorCode, 0);
});

interface KjsCommit {
  responses: { topic: string; partitions: { partition: number; errorCode: number }[] }[];
}

test("OffsetCommit: a member's commit, a standalone one (generation -1, no member id), and one error for every partition", async () => {
  const { ctx, calls } = fakeContext({ commitOffsets: ok({}) });
  const topics = [{ topic: "orders", partitions: [{ partition: 0, offset: "42", metadata: "m" }, { partition: 1, offset: "7" }] }];
  const res = await roundTrip<KjsCommit>(offsetCommitApi, "offsetCommit", 5, { groupId: "g", groupGenerationId: 4, memberId: "m1", topics }, ctx);
  assert.deepEqual(res.responses[0]!.partitions.map((p) => p.errorCode), [0, 0]);
  await roundTrip<KjsCommit>(offsetCommitApi, "offsetCommit", 2, { groupId: "g", groupGenerationId: -1, memberId: "", retentionTime: -1, topics }, ctx);
  const offsets = [
    { topic: "orders", partition: 0, offset: 42, metadata: "m" },
    { topic: "orders", partition: 1, offset: 7 },
  ];
  assert.deepEqual(calls, [
    { op: "commitOffsets", group: "g", generation: 4, memberId: "m1", offsets },
    { op: "commitOffsets", group: "g", offsets },
  ]);

  const { ctx: stale } = fakeContext({ commitOffsets: fail("ILLEGAL_GENERATION") });
  const refused = await roundTrip<KjsCommit>(offsetCommitApi, "offsetCommit", 5, { groupId: "g", groupGenerationId: 3, memberId: "m1", topics }, stale);
  assert.deepEqual(refused.responses[0]!.partitions.map((p) => p.errorCode), [KafkaError.ILLEGAL_GENERATION, KafkaError.ILLEGAL_GENERATION]);
});

test("OffsetCommit v7 (written by hand): group_instance_id and committed_leader_epoch read past", async () => {
  const { ctx, calls } = fakeContext({ commitOffsets: ok({}) });
  const body = new KafkaWriter()
    .string("g")
    .int32(4)
    .string("m1")
    .nullableString(null)
    .array([0], (w) => w.string("t").array([0], (x) => x.int32(3).int64(99).int32(7).nullableString(null)));
  const w = await offsetCommitApi.handle(7, new KafkaReader(Buffer.concat(body.finish())), ctx);
  const r = new KafkaReader(Buffer.concat(w!.finish()));
  assert.equal(r.int32(), 0);
  assert.deepEqual(r.array((t) => [t.string(), t.array((p) => [p.int32(), p.int16()])]), [["t", [[3, 0]]]]);
  r.end();
  assert.deepEqual(calls, [{ op: "commitOffsets", group: "g", generation: 4, memberId: "m1", offsets: [{ topic: "t", partition: 3, offset: 99 }] }]);
});

interface KjsOffsets {
  errorCode?: number;
  responses: { topic: string; partitions: { partition: number; offset: string; metadata: string | null; errorCode: number }[] }[];
}

test("OffsetFetch: requested partitions (-1 where nothing is committed), all of them with null topics, a group error at the top (v2+)", async () => {
  const committed = [
    { topic: "a", partition: 0, offset: 10 },
    { topic: "a", partition: 1, offset: 11, metadata: "x" },
    { topic: "b", partition: 0, offset: 5 },
  ];
  const { ctx, calls } = fakeContext({ fetchOffsets: (r) => Promise.resolve({ offsets: (r as { partitions?: { topic: string; partition: number }[] }).partitions === undefined ? committed : committed.slice(0, 1) }) });
  const some = await roundTrip<KjsOffsets>(offsetFetchApi, "offsetFetch", 4, { groupId: "g", topics: [{ topic: "a", partitions: [{ partition: 0 }, { partition: 2 }] }] }, ctx);
  assert.deepEqual(
    some.responses.map((t) => [t.topic, t.partitions.map((p) => [p.partition, p.offset, p.errorCode])]),
    [["a", [[0, "10", 0], [2, "-1", 0]]]],
  );
  // kafkajs's request module cannot write a null topic list: written by hand, read by kafkajs.
  const nullTopics = await offsetFetchApi.handle(4, new KafkaReader(Buffer.concat(new KafkaWriter().string("g").int32(-1).finish())), ctx);
  const all = await kafkajsDecode<KjsOffsets>("offsetFetch", 4, Buffer.concat(nullTopics!.finish()));
  assert.deepEqual(
    all.responses.map((t) => [t.topic, t.partitions.map((p) => [p.partition, p.offset, p.metadata])]),
    [
      ["a", [[0, "10", ""], [1, "11", "x"]]],
      ["b", [[0, "5", ""]]],
    ],
  );
  assert.deepEqual(calls[1], { op: "fetchOffsets", group: "g" }, "null topics: every offset of the group");

  const { ctx: moved } = fakeContext({ fetchOffsets: fail("NOT_COORDINATOR") });
  const refused = await roundTrip<KjsOffsets>(offsetFetchApi, "offsetFetch", 4, { groupId: "g", topics: [{ topic: "a", partitions: [{ partition: 0 }] }] }, moved);
  assert.equal(refused.errorCode, KafkaError.NOT_COORDINATOR);
  assert.deepEqual(refused.responses, []);
  const v1 = await roundTrip<KjsOffsets>(offsetFetchApi, "offsetFetch", 1, { groupId: "g", topics: [{ topic: "a", partitions: [{ partition: 0 }] }] }, moved);
  assert.equal(v1.responses[0]!.partitions[0]!.errorCode, KafkaError.NOT_COORDINATOR, "v1: the error on each partition");
});

test("DescribeGroups and ListGroups: Kafka's state names, members with decodable assignments, an unknown group Dead", async () => {
  const described = { group: "g", state: GroupState.Stable, generation: 3, members: [{ memberId: "m1", clientId: "c1", assignment: [{ topic: "t", partitions: [1] }] }], offsets: [] };
  const { ctx } = fakeContext({
    describeGroup: (r) => ((r as { group: string }).group === "g" ? Promise.resolve(described) : Promise.reject(new RlogError("UNKNOWN_GROUP", "no such group"))),
    listGroups: ok({ groups: [{ group: "g", state: GroupState.Stable, memberCount: 1 }] }),
  });
  const res = await roundTrip<{ groups: { errorCode: number; groupId: string; state: string; protocolType: string; members: { memberId: string; clientId: string; memberAssignment: Buffer }[] }[] }>(describeGroupsApi, "describeGroups", 2, { groupIds: ["g", "nope"] }, ctx);
  const [g, nope] = res.groups;
  assert.equal(g!.state, "Stable");
  assert.equal(g!.protocolType, "consumer");
  assert.deepEqual(g!.members.map((m) => [m.memberId, m.clientId]), [["m1", "c1"]]);
  assert.deepEqual(MemberAssignment.decode(g!.members[0]!.memberAssignment)?.assignment, { t: [1] });
  assert.deepEqual([nope!.errorCode, nope!.state, nope!.members.length], [0, "Dead", 0]);

  const listed = await roundTrip<{ errorCode: number; groups: { groupId: string; protocolType: string }[] }>(listGroupsApi, "listGroups", 2, {}, ctx);
  assert.deepEqual(listed.groups, [{ groupId: "g", protocolType: "consumer" }]);
});

test("ListOffsets: latest, earliest, by timestamp (-1/-1 when no record is that late), Kafka codes per partition", async () => {
  const { ctx, calls } = fakeContext({
    listOffsets: (r) => {
      const req = r as HandlerRequest & { partition: number; spec: number; timestampMs?: number };
      if (req.partition === 9) return Promise.reject(new RlogError("NOT_LEADER", "elsewhere"));
      if (req.spec === OffsetSpec.Timestamp) return Promise.resolve(req.timestampMs! > 5000 ? { offset: 100 } : { offset: 12, timestampMs: 4000 });
      return Promise.resolve({ offset: req.spec === OffsetSpec.Latest ? 100 : 3 });
    },
  });
  const partitions = [
    { partition: 0, timestamp: -1 },
    { partition: 1, timestamp: -2 },
    { partition: 2, timestamp: 3000 },
    { partition: 3, timestamp: 9000 },
    { partition: 9, timestamp: -1 },
  ];
  const res = await roundTrip<{ responses: { topic: string; partitions: { partition: number; errorCode: number; timestamp: string; offset: string }[] }[] }>(listOffsetsApi, "listOffsets", 3, { replicaId: -1, isolationLevel: 1, topics: [{ topic: "t", partitions }] }, ctx);
  assert.deepEqual(
    res.responses[0]!.partitions.map((p) => [p.partition, p.errorCode, p.timestamp, p.offset]),
    [
      [0, 0, "-1", "100"],
      [1, 0, "-1", "3"],
      [2, 0, "4000", "12"],
      [3, 0, "-1", "-1"],
      [9, KafkaError.NOT_LEADER_OR_FOLLOWER, "-1", "-1"],
    ],
  );
  assert.equal(calls.length, 5);
});

test("a group id longer than rlog keeps is INVALID_GROUP_ID, commit metadata too long OFFSET_METADATA_TOO_LARGE; neither reaches the coordinator", async () => {
  const { ctx, calls } = fakeContext({ heartbeat: ok({}), commitOffsets: ok({}) });
  const long = "g".repeat(2000);
  assert.equal((await roundTrip<{ errorCode: number }>(heartbeatApi, "heartbeat", 3, { groupId: long, groupGenerationId: 1, memberId: "m" }, ctx)).errorCode, KafkaError.INVALID_GROUP_ID);
  const res = await roundTrip<KjsCommit>(offsetCommitApi, "offsetCommit", 5, { groupId: "g", groupGenerationId: 1, memberId: "m", topics: [{ topic: "t", partitions: [{ partition: 0, offset: "1", metadata: "x".repeat(2000) }] }] }, ctx);
  assert.equal(res.responses[0]!.partitions[0]!.errorCode, KafkaError.OFFSET_METADATA_TOO_LARGE);
  assert.equal(calls.length, 0);
});

test("later versions written and read by hand: ListOffsets v5, OffsetFetch v5, DescribeGroups v4", async () => {
  const { ctx } = fakeContext({
    listOffsets: ok({ offset: 77 }),
    fetchOffsets: ok({ offsets: [{ topic: "t", partition: 1, offset: 9, metadata: "md" }] }),
    describeGroup: ok({ group: "g", state: GroupState.PreparingRebalance, generation: 2, members: [{ memberId: "m", clientId: "c", assignment: [] }], offsets: [] }),
  });
  const answer = async (api: typeof listOffsetsApi, version: number, body: KafkaWriter): Promise<KafkaReader> => {
    const w = await api.handle(version, new KafkaReader(Buffer.concat(body.finish())), ctx);
    return new KafkaReader(Buffer.concat(w!.finish()));
  };

  const lo = await answer(listOffsetsApi, 5, new KafkaWriter().int32(-1).int8(1).array([0], (w) => w.string("t").array([0], (x) => x.int32(4).int32(3).int64(-1))));
  assert.equal(lo.int32(), 0);
  assert.deepEqual(lo.array((t) => [t.string(), t.array((p) => [p.int32(), p.int16(), p.int64(), p.int64(), p.int32()])]), [["t", [[4, 0, -1, 77, -1]]]]);
  lo.end();

  const of = await answer(offsetFetchApi, 5, new KafkaWriter().string("g").array([0], (w) => w.string("t").array([1], (x, p) => x.int32(p))));
  assert.equal(of.int32(), 0);
  assert.deepEqual(of.array((t) => [t.string(), t.array((p) => [p.int32(), p.int64(), p.int32(), p.nullableString(), p.int16()])]), [["t", [[1, 9, -1, "md", 0]]]]);
  assert.equal(of.int16(), 0);
  of.end();

  const dg = await answer(describeGroupsApi, 4, new KafkaWriter().array(["g"], (w, g) => w.string(g)).bool(false));
  assert.equal(dg.int32(), 0);
  const groups = dg.array((g) => ({
    error: g.int16(),
    id: g.string(),
    state: g.string(),
    type: g.string(),
    data: g.string(),
    members: g.array((m) => [m.string(), m.nullableString(), m.string(), m.string(), m.bytes().byteLength > 0, m.bytes().byteLength > 0]),
    ops: g.int32(),
  }));
  dg.end();
  assert.deepEqual(groups, [{ error: 0, id: "g", state: "PreparingRebalance", type: "consumer", data: "", members: [["m", null, "c", "", true, true]], ops: -2_147_483_648 }]);
});
