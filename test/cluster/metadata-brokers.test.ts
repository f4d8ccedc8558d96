/** The broker registry in the controller metadata: RegisterBroker and UnregisterBroker, and snapshots with and without it. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Packr } from "msgpackr";
import { ClusterMetadata, MetadataOp, encodeCommand, type MetadataCommand, type RegisteredBroker } from "../../broker/cluster/metadata.js";
import { EntryKind, index, nodeId, offset, term, type Entry } from "../../broker/raft/types.js";

const cmd = (i: number, c: MetadataCommand): Entry => ({ index: index(i), term: term(1), kind: EntryKind.Command, offset: offset(0), count: 0, timestampMs: 0, data: encodeCommand(c) });
const broker = (id: number): RegisteredBroker => ({ id: nodeId(id), host: `10.0.0.${id}`, clientPort: 9092, peerPort: 9192 });
const CONFIG = { retentionBytes: -1, retentionMs: -1, segmentBytes: 1 << 20, segmentMs: 60_000, compression: "producer" as const };

test("the op numbers of the registry are stored values: append-only", () => {
  assert.equal(MetadataOp.RegisterBroker, 15);
  assert.equal(MetadataOp.UnregisterBroker, 16);
});

test("RegisterBroker adds, a second one of the same id is rejected; UnregisterBroker removes, an unknown id is rejected", () => {
  const m = new ClusterMetadata();
  const changes = m.apply([
    cmd(1, { op: MetadataOp.RegisterBroker, broker: broker(4) }),
    cmd(2, { op: MetadataOp.RegisterBroker, broker: broker(5) }),
    cmd(3, { op: MetadataOp.RegisterBroker, broker: { ...broker(4), host: "elsewhere" } }),
    cmd(4, { op: MetadataOp.UnregisterBroker, id: nodeId(5) }),
    cmd(5, { op: MetadataOp.UnregisterBroker, id: nodeId(5) }),
  ]);
  assert.deepEqual(changes.map((c) => c.kind), ["brokerRegistered", "brokerRegistered", "rejected", "brokerUnregistered", "rejected"]);
  assert.deepEqual(m.registeredBrokers(), [broker(4)]);
  assert.equal(m.registeredBroker(nodeId(4))?.host, "10.0.0.4", "the first registration stays");
  assert.equal(m.registeredBroker(nodeId(5)), undefined);
});

test("UnregisterBroker of a broker that holds replicas is rejected at apply (a topic committed after the controller's check)", () => {
  const m = new ClusterMetadata();
  const [, , removed] = m.apply([
    cmd(1, { op: MetadataOp.RegisterBroker, broker: broker(4) }),
    cmd(2, { op: MetadataOp.CreateTopic, name: "t", replicas: [[nodeId(4), nodeId(1)], [nodeId(1), nodeId(2)]], config: CONFIG, createdMs: 0 }),
    cmd(3, { op: MetadataOp.UnregisterBroker, id: nodeId(4) }),
  ]);
  assert.equal(removed?.kind, "rejected");
  assert.match(removed?.kind === "rejected" ? removed.reason : "", /broker 4 still holds 1 partition replicas/);
  assert.equal(m.replicaCount(nodeId(4)), 1);
  assert.equal(m.replicaCount(nodeId(1)), 2);
  assert.notEqual(m.registeredBroker(nodeId(4)), undefined);
});

test("a malformed RegisterBroker is rejected, not applied", () => {
  const m = new ClusterMetadata();
  const bad: unknown[] = [{ ...broker(4), id: 0 }, { ...broker(4), host: "" }, { ...broker(4), clientPort: 70_000 }, { ...broker(4), peerPort: "9192" }, null];
  const changes = m.apply(bad.map((b, i) => cmd(i + 1, { op: MetadataOp.RegisterBroker, broker: b as RegisteredBroker })));
  assert.deepEqual(changes.map((c) => c.kind), bad.map(() => "rejected"));
  assert.deepEqual(m.registeredBrokers(), []);
});

test("a snapshot carries the registry; a snapshot without it (older brokers) restores none, and none is written while it is empty", () => {
  const m = new ClusterMetadata();
  m.apply([cmd(1, { op: MetadataOp.InitCluster, clusterId: "c" }), cmd(2, { op: MetadataOp.RegisterBroker, broker: broker(4) })]);
  const copy = new ClusterMetadata();
  copy.restore({ index: index(2), term: term(1), offset: offset(0), data: m.encode() });
  assert.deepEqual(copy.registeredBrokers(), [broker(4)]);

  const packr = new Packr({ useRecords: false, mapsAsObjects: true });
  copy.restore({ index: index(2), term: term(1), offset: offset(0), data: packr.pack({ topics: [], appliedIndex: 2, clusterId: "c" }) });
  assert.deepEqual(copy.registeredBrokers(), []);

  const empty = new ClusterMetadata();
  empty.apply([cmd(1, { op: MetadataOp.InitCluster, clusterId: "c" })]);
  assert.deepEqual(packr.unpack(empty.encode()), { topics: [], appliedIndex: 1, clusterId: "c" });
});
