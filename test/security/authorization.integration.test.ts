/**
 * Authorization end to end on a real broker process: every ACL operation
 * that some op needs is allowed and denied in turn, on a topic, a group and
 * the cluster, through the real listener, session, authorizer and handlers.
 *
 * Until authentication lands, every connection is User:ANONYMOUS. So the
 * broker starts with ANONYMOUS as a super user to lay out the data (topics,
 * committed offsets) and its bootstrap ACL (alter on the cluster, to manage
 * ACLs afterwards), then restarts without super users: ACLs live in the
 * controller metadata and survive the restart. From then on the test grants
 * and revokes ACLs through the SDK's Admin API between requests, and sends
 * the requests themselves with a bare wire client (no SDK retries in the way).
 * The last step denies alter on the cluster, which ends ACL management.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { RlogClient } from "../../client/index.js";
import type { Admin } from "../../client/admin/admin.js";
import { OffsetSpec } from "../../broker/protocol/enums.js";
import { TestCluster } from "../broker/cluster-harness.js";
import { WireClient } from "../broker/wire-client.js";
import { batchOf } from "../protocol/batches.js";
import { aclOf, assertAllowed, assertRefused, grant, revoke } from "./acl-helpers.js";

const ME = "User:ANONYMOUS";
const BOOTSTRAP = aclOf(ME, "cluster", "", "alter");

let cluster: TestCluster;
let client: RlogClient;
let admin: Admin;
let wire: WireClient;

const produce = (topic: string) => wire.request("produce", { op: "produce", topic, partition: 0, batch: batchOf([{ value: new Uint8Array([7]) }]), acks: "all" });
const fetch = (topic: string) => wire.request("fetch", { op: "fetch", topic, partition: 0, offset: 0, maxBytes: 1024, maxWaitMs: 0 });
const commit = (group: string, topic: string) => wire.request("commitOffsets", { op: "commitOffsets", group, offsets: [{ topic, partition: 0, offset: 0 }] });

before(async () => {
  cluster = await TestCluster.start({ size: 1, extra: { authorization: { enabled: true, superUsers: [ME] } } });
  const setup = new RlogClient({ brokers: cluster.urls(), clientId: "acl-setup" });
  try {
    const a = setup.admin();
    for (const name of ["orders", "secret"]) await a.createTopic({ name, partitions: 1, replicationFactor: 1 });
    // Committed offsets for group billing on both topics, and a second group: what fetchOffsets and listGroups filter.
    await a.resetOffsets({ group: "billing", topic: "orders", to: { offset: 0 } });
    await a.resetOffsets({ group: "billing", topic: "secret", to: { offset: 0 } });
    await a.resetOffsets({ group: "hidden", topic: "orders", to: { offset: 0 } });
    await grant(a, BOOTSTRAP);
  } finally {
    await setup.close();
  }
  await cluster.terminate(1);
  await cluster.restartWith(1, { authorization: { enabled: true, superUsers: [] } });
  await cluster.waitReady();
  client = new RlogClient({ brokers: cluster.urls(), clientId: "acl-admin" });
  admin = client.admin();
  wire = await WireClient.connect(cluster.url(1));
  // Every partition (ours and __consumer_offsets') has a leader again; clusterStatus is allowed by the bootstrap ACL.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { partitions } = await wire.request("clusterStatus", { op: "clusterStatus" });
    if (partitions.length > 0 && partitions.every((p) => p.leader !== 0)) break;
    if (Date.now() > deadline) throw new Error(`partitions without a leader after the restart:\n${cluster.logTail(1)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

after(async () => {
  wire?.close();
  await client?.close();
  await cluster?.stopAll();
});

test("the ACLs survived the restart, and without super users ANONYMOUS holds only the bootstrap ACL", async () => {
  assert.deepEqual(await admin.listAcls(), [BOOTSTRAP]);
  await assertRefused(produce("orders"), /^User:ANONYMOUS may not write topic orders$/);
});

test("topic describe: describeTopic, listOffsets refused, metadata and listTopics filtered; allowed once granted", async () => {
  await assertRefused(wire.request("describeTopic", { op: "describeTopic", name: "orders" }), /may not describe topic orders/);
  await assertRefused(wire.request("listOffsets", { op: "listOffsets", topic: "orders", partition: 0, spec: OffsetSpec.Latest }), /may not describe topic orders/);
  assert.deepEqual((await wire.request("metadata", { op: "metadata" })).topics, []);
  assert.deepEqual((await wire.request("listTopics", { op: "listTopics", includeInternal: true })).topics, []);
  await grant(admin, aclOf(ME, "topic", "orders", "describe"));
  assert.equal((await wire.request("describeTopic", { op: "describeTopic", name: "orders" })).topic.name, "orders");
  await wire.request("listOffsets", { op: "listOffsets", topic: "orders", partition: 0, spec: OffsetSpec.Latest });
  assert.deepEqual((await wire.request("metadata", { op: "metadata" })).topics.map((t) => t.name), ["orders"]);
  assert.deepEqual((await wire.request("listTopics", { op: "listTopics", includeInternal: true })).topics.map((t) => t.name), ["orders"]);
});

test("topic write: produce refused, then allowed; a deny on User:* wins over the allow", async () => {
  await assertRefused(produce("orders"), /may not write topic orders/);
  await grant(admin, aclOf(ME, "topic", "orders", "write"));
  assert.equal((await produce("orders")).baseOffset, 0);
  const deny = aclOf("User:*", "topic", "orders", "write", { permission: "deny" });
  await grant(admin, deny);
  await assertRefused(produce("orders"), /may not write topic orders/);
  await revoke(admin, deny);
  await produce("orders");
});

test("topic read: fetch refused, then allowed; internal topics need their own read", async () => {
  await revoke(admin, aclOf(ME, "topic", "orders", "write"));
  await assertRefused(fetch("orders"), /may not read topic orders/);
  await grant(admin, aclOf(ME, "topic", "orders", "read"));
  assert.ok((await fetch("orders")).batches.length > 0);
  await assertRefused(fetch("__consumer_offsets"), /may not read topic __consumer_offsets/);
  await grant(admin, aclOf(ME, "topic", "__consumer_offsets", "read"));
  await assertAllowed(fetch("__consumer_offsets"));
  await revoke(admin, aclOf(ME, "topic", "__consumer_offsets", "read"));
});

test("topic create and delete (prefixed), and alter's implied describe", async () => {
  const create = () => wire.request("createTopic", { op: "createTopic", name: "payments", partitions: 1, replicationFactor: 1 });
  await assertRefused(create(), /may not create topic payments nor create cluster rlog-cluster/);
  await grant(admin, aclOf(ME, "topic", "pay", "create", { patternType: "prefixed" }));
  await create();
  await assertRefused(wire.request("describeTopic", { op: "describeTopic", name: "payments" }), /may not describe topic payments/);
  await grant(admin, aclOf(ME, "topic", "payments", "alter"));
  await wire.request("describeTopic", { op: "describeTopic", name: "payments" });
  await assertRefused(wire.request("deleteTopic", { op: "deleteTopic", name: "payments" }), /may not delete topic payments/);
  await grant(admin, aclOf(ME, "topic", "payments", "delete"));
  await wire.request("deleteTopic", { op: "deleteTopic", name: "payments" });
});

test("cluster create: createTopic allowed by create on the cluster", async () => {
  const create = () => wire.request("createTopic", { op: "createTopic", name: "zeta", partitions: 1, replicationFactor: 1 });
  await assertRefused(create(), /may not create topic zeta nor create cluster rlog-cluster/);
  await grant(admin, aclOf(ME, "cluster", "", "create"));
  await create();
});

test("cluster write and topic write: initProducerId (idempotent write); a named id gets a fresh one", async () => {
  const init = (body: { producerId?: number; producerEpoch?: number } = {}) => wire.request("initProducerId", { op: "initProducerId", ...body });
  await assertRefused(init(), /may not write cluster rlog-cluster nor write any topic/);
  await grant(admin, aclOf(ME, "cluster", "", "write"));
  const first = await init();
  await revoke(admin, aclOf(ME, "cluster", "", "write"));
  await assertRefused(init(), /may not write cluster/);
  await grant(admin, aclOf(ME, "topic", "orders", "write"));
  const second = await init({ producerId: first.producerId, producerEpoch: 0 });
  assert.notEqual(second.producerId, first.producerId, "an id it was sent is never handed back");
  assert.equal(second.producerEpoch, 0);
});

test("group read: join, sync, heartbeat, leave and commit refused, then allowed; commit also needs read on the topic", async () => {
  const join = () => wire.request("joinGroup", { op: "joinGroup", group: "billing", memberId: "", topics: ["orders"], sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000 });
  await assertRefused(join(), /may not read group billing/);
  await assertRefused(wire.request("syncGroup", { op: "syncGroup", group: "billing", generation: 1, memberId: "m" }), /may not read group billing/);
  await assertRefused(wire.request("heartbeat", { op: "heartbeat", group: "billing", generation: 1, memberId: "m" }), /may not read group billing/);
  await assertRefused(wire.request("leaveGroup", { op: "leaveGroup", group: "billing", memberId: "m" }), /may not read group billing/);
  await assertRefused(commit("billing", "orders"), /may not read group billing/);
  await grant(admin, aclOf(ME, "group", "billing", "read"));
  const joined = await join();
  const synced = await wire.request("syncGroup", { op: "syncGroup", group: "billing", generation: joined.generation, memberId: joined.memberId });
  assert.deepEqual(synced.assignment, [{ topic: "orders", partitions: [0] }]);
  await wire.request("heartbeat", { op: "heartbeat", group: "billing", generation: joined.generation, memberId: joined.memberId });
  await wire.request("leaveGroup", { op: "leaveGroup", group: "billing", memberId: joined.memberId });
  await commit("billing", "orders");
  await assertRefused(commit("billing", "secret"), /may not read topic secret/);
  await assertRefused(
    wire.request("resetOffsets", { op: "resetOffsets", group: "billing", topic: "secret", spec: OffsetSpec.Exact, offset: 0 }),
    /may not read topic secret/,
  );
  await wire.request("resetOffsets", { op: "resetOffsets", group: "billing", topic: "orders", spec: OffsetSpec.Exact, offset: 0 });
});

test("group describe: describeGroup and fetchOffsets refused, then allowed (read implies describe); offsets filtered by topic", async () => {
  await assertRefused(wire.request("describeGroup", { op: "describeGroup", group: "hidden" }), /may not describe group hidden/);
  await assertRefused(wire.request("fetchOffsets", { op: "fetchOffsets", group: "hidden" }), /may not describe group hidden/);
  await grant(admin, aclOf(ME, "group", "hidden", "describe"));
  assert.equal((await wire.request("describeGroup", { op: "describeGroup", group: "hidden" })).group, "hidden");
  // billing has offsets on orders and secret; only orders may be described.
  const offsets = (await wire.request("fetchOffsets", { op: "fetchOffsets", group: "billing" })).offsets;
  assert.deepEqual(offsets.map((o) => o.topic), ["orders"]);
  const deny = aclOf(ME, "group", "billing", "describe", { permission: "deny" });
  await grant(admin, deny);
  await assertRefused(wire.request("describeGroup", { op: "describeGroup", group: "billing" }), /may not describe group billing/);
  await commit("billing", "orders"); // a deny of describe does not deny read
  await revoke(admin, deny);
});

test("cluster describe: clusterStatus and listAcls refused by a deny, listGroups then filtered to describable groups", async () => {
  assert.deepEqual((await wire.request("listGroups", { op: "listGroups" })).groups.map((g) => g.group), ["billing", "hidden"], "alter on the cluster implies describe: every group");
  await wire.request("clusterStatus", { op: "clusterStatus" });
  const deny = aclOf(ME, "cluster", "", "describe", { permission: "deny" });
  await grant(admin, deny);
  await assertRefused(wire.request("clusterStatus", { op: "clusterStatus" }), /may not describe cluster rlog-cluster/);
  await assertRefused(wire.request("listAcls", { op: "listAcls" }), /may not describe cluster rlog-cluster/);
  await revoke(admin, aclOf(ME, "group", "hidden", "describe"));
  assert.deepEqual((await wire.request("listGroups", { op: "listGroups" })).groups.map((g) => g.group), ["billing"]);
  await revoke(admin, deny);
  await wire.request("clusterStatus", { op: "clusterStatus" });
});

test("\"all\" on a group allows every group op on it", async () => {
  await assertRefused(wire.request("describeGroup", { op: "describeGroup", group: "misc" }), /may not describe group misc/);
  await grant(admin, aclOf(ME, "group", "misc", "all"));
  await assertAllowed(wire.request("describeGroup", { op: "describeGroup", group: "misc" }), ["UNKNOWN_GROUP"]);
  await assertAllowed(commit("misc", "orders"));
});

test("cluster alter: transferLeader, rebalanceLeaders, createAcls and deleteAcls allowed, then refused by a deny (describe stays)", async () => {
  await assertAllowed(wire.request("transferLeader", { op: "transferLeader", topic: "orders", partition: 0, timeoutMs: 1000 }), ["INVALID_REQUEST", "NOT_ENOUGH_REPLICAS", "BROKER_NOT_AVAILABLE", "TIMEOUT"]);
  await wire.request("rebalanceLeaders", { op: "rebalanceLeaders" });
  await grant(admin, aclOf(ME, "cluster", "", "alter", { permission: "deny" }));
  await assertRefused(wire.request("transferLeader", { op: "transferLeader", topic: "orders", partition: 0 }), /may not alter cluster rlog-cluster/);
  await assertRefused(wire.request("rebalanceLeaders", { op: "rebalanceLeaders" }), /may not alter cluster rlog-cluster/);
  await assertRefused(wire.request("createAcls", { op: "createAcls", acls: [aclOf(ME, "topic", "x", "read")] }), /may not alter cluster rlog-cluster/);
  await assertRefused(wire.request("deleteAcls", { op: "deleteAcls", filters: [{}] }), /may not alter cluster rlog-cluster/);
  await wire.request("clusterStatus", { op: "clusterStatus" });
  const acls = (await wire.request("listAcls", { op: "listAcls", filter: { resourceType: "cluster" } })).acls;
  assert.ok(acls.some((a) => a.operation === "alter" && a.permission === "deny"));
});
