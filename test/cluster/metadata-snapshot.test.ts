/**
 * A controller snapshot holds the whole metadata: restore(encode()) gives
 * back every part of it (topics, cluster id, ACLs, users, applied index).
 * The comparison walks every own field of ClusterMetadata, so a field added
 * later that encode() forgets fails here without this test naming it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ClusterMetadata, MetadataOp, encodeCommand, type MetadataCommand } from "../../broker/cluster/metadata.js";
import type { Acl } from "../../broker/protocol/acls.js";
import type { ScramCredential } from "../../broker/protocol/scram.js";
import { AclSet } from "../../broker/security/acl.js";
import { EntryKind, index, offset, term, type Entry } from "../../broker/raft/types.js";

const cmd = (i: number, c: MetadataCommand): Entry => ({ index: index(i), term: term(1), kind: EntryKind.Command, offset: offset(0), count: 0, timestampMs: 0, data: encodeCommand(c) });
const acl = (over: Partial<Acl>): Acl => ({ principal: "User:alice", resourceType: "topic", patternType: "literal", name: "orders", operation: "read", permission: "allow", ...over });
const credential = (fill: number): ScramCredential => ({
  mechanism: "SCRAM-SHA-256",
  salt: Buffer.alloc(32, fill),
  iterations: 4096 + fill,
  storedKey: Buffer.alloc(32, fill + 1),
  serverKey: Buffer.alloc(32, fill + 2),
});
const CONFIG = { retentionBytes: 1 << 30, retentionMs: 86_400_000, segmentBytes: 1 << 20, segmentMs: 60_000, compression: "lz4" } as const;

/**
 * Every own field of a ClusterMetadata, by name. The ACL set is compared by
 * its ACLs (its decision cache and change counter are not state); any other
 * field, present or added later, is compared as it is (deepStrictEqual
 * compares Maps and Sets regardless of insertion order).
 */
function stateOf(m: ClusterMetadata): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) out[k] = v instanceof AclSet ? [...v.list()].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) : v;
  return out;
}

/** Metadata with every kind of state the commands build, including deletions and a rejected command. */
function populated(): ClusterMetadata {
  const m = new ClusterMetadata();
  const commands: MetadataCommand[] = [
    { op: MetadataOp.InitCluster, clusterId: "c-1234" },
    { op: MetadataOp.CreateTopic, name: "orders", replicas: [[1, 2, 3], [2, 3, 1]].map((r) => r.map((n) => n as never)), config: CONFIG, createdMs: 1_700_000_000_000 },
    { op: MetadataOp.CreateTopic, name: "gone", replicas: [[3]].map((r) => r.map((n) => n as never)), config: { ...CONFIG, compression: "producer" }, createdMs: 5 },
    { op: MetadataOp.CreateTopic, name: "audit", replicas: [[2, 1]].map((r) => r.map((n) => n as never)), config: { ...CONFIG, retentionMs: -1 }, createdMs: 6 },
    { op: MetadataOp.DeleteTopic, name: "gone" },
    { op: MetadataOp.AllocateProducerId },
    { op: MetadataOp.RebalanceLeaders },
    { op: MetadataOp.CreateAcls, acls: [acl({}), acl({ operation: "write" }), acl({ principal: "User:bob", resourceType: "group", patternType: "prefixed", name: "app-" })] },
    { op: MetadataOp.DeleteAcls, filters: [{ operation: "write" }] },
    { op: MetadataOp.UpsertUser, name: "alice", credential: credential(1) },
    { op: MetadataOp.UpsertUser, name: "bob", credential: credential(2) },
    { op: MetadataOp.UpsertUser, name: "carol", credential: credential(3) },
    { op: MetadataOp.DeleteUser, name: "carol" },
    { op: MetadataOp.InitCluster, clusterId: "rejected-second-id" },
  ];
  m.apply(commands.map((c, i) => cmd(i + 1, c)));
  return m;
}

test("restore(encode()) gives back the whole metadata: every field of ClusterMetadata compared", () => {
  const m = populated();
  assert.equal(m.topics().length, 2);
  assert.equal(m.users().length, 2);
  assert.equal(m.acls.size, 2);
  assert.equal(m.clusterId, "c-1234");
  const data = m.encode();
  const restored = new ClusterMetadata();
  restored.restore({ index: m.appliedIndex, term: term(1), offset: offset(0), data });
  assert.deepStrictEqual(stateOf(restored), stateOf(m));
  assert.ok(Buffer.from(restored.encode()).equals(Buffer.from(data)), "a snapshot of the restored state is byte for byte the same");
  // The restored state goes on exactly as the original does.
  const next = cmd(m.appliedIndex + 1, { op: MetadataOp.CreateTopic, name: "after", replicas: [[1 as never]], config: CONFIG, createdMs: 9 });
  assert.deepStrictEqual(restored.apply([next]), m.apply([next]));
  assert.deepStrictEqual(stateOf(restored), stateOf(m));
  assert.equal(restored.acls.decide("User:alice", "topic", "orders", "read"), "allow");
});

test("restore replaces everything held before, and an empty snapshot is an empty state", () => {
  const restored = populated();
  const empty = new ClusterMetadata();
  empty.apply([cmd(1, { op: MetadataOp.InitCluster, clusterId: "other" })]);
  restored.restore({ index: empty.appliedIndex, term: term(1), offset: offset(0), data: empty.encode() });
  assert.deepStrictEqual(stateOf(restored), stateOf(empty));
  restored.restore({ index: index(0), term: term(0), offset: offset(0), data: new Uint8Array(0) });
  assert.deepStrictEqual(stateOf(restored), stateOf(new ClusterMetadata()));
});
