/** SCRAM users in the controller metadata: UpsertUser and DeleteUser, and snapshots with and without users. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Packr } from "msgpackr";
import { ClusterMetadata, MetadataOp, encodeCommand, type MetadataCommand } from "../../broker/cluster/metadata.js";
import { EntryKind, index, offset, term, type Entry } from "../../broker/raft/types.js";
import type { ScramCredential } from "../../broker/protocol/scram.js";

const cmd = (i: number, c: MetadataCommand): Entry => ({ index: index(i), term: term(1), kind: EntryKind.Command, offset: offset(0), count: 0, timestampMs: 0, data: encodeCommand(c) });

const credential = (fill: number): ScramCredential => ({
  mechanism: "SCRAM-SHA-256",
  salt: Buffer.alloc(32, fill),
  iterations: 4096 + fill,
  storedKey: Buffer.alloc(32, fill + 1),
  serverKey: Buffer.alloc(32, fill + 2),
});

test("the op numbers of users are stored values: append-only", () => {
  assert.equal(MetadataOp.UpsertUser, 6);
  assert.equal(MetadataOp.DeleteUser, 7);
});

test("UpsertUser creates and replaces, DeleteUser deletes, an unknown user's delete is rejected", () => {
  const m = new ClusterMetadata();
  const changes = m.apply([
    cmd(1, { op: MetadataOp.UpsertUser, name: "alice", credential: credential(1) }),
    cmd(2, { op: MetadataOp.UpsertUser, name: "bob", credential: credential(2) }),
    cmd(3, { op: MetadataOp.UpsertUser, name: "alice", credential: credential(3) }),
    cmd(4, { op: MetadataOp.DeleteUser, name: "bob" }),
    cmd(5, { op: MetadataOp.DeleteUser, name: "bob" }),
  ]);
  assert.deepEqual(changes.map((c) => c.kind), ["userUpserted", "userUpserted", "userUpserted", "userDeleted", "rejected"]);
  assert.deepEqual(m.users().map((u) => u.name), ["alice"]);
  assert.deepEqual(m.user("alice"), credential(3), "the later credential wins (a password change)");
  assert.equal(m.user("bob"), undefined);
});

test("a malformed UpsertUser is rejected, not applied", () => {
  const m = new ClusterMetadata();
  const bad = { ...credential(1), storedKey: "not bytes" } as unknown as ScramCredential;
  const [change] = m.apply([cmd(1, { op: MetadataOp.UpsertUser, name: "eve", credential: bad })]);
  assert.equal(change?.kind, "rejected");
  assert.equal(m.user("eve"), undefined);
});

test("a snapshot carries the users; a snapshot without users (older brokers) restores none", () => {
  const m = new ClusterMetadata();
  m.apply([cmd(1, { op: MetadataOp.InitCluster, clusterId: "c" }), cmd(2, { op: MetadataOp.UpsertUser, name: "alice", credential: credential(1) })]);
  const copy = new ClusterMetadata();
  copy.restore({ index: index(2), term: term(1), offset: offset(0), data: m.encode() });
  assert.deepEqual(copy.user("alice"), credential(1));
  assert.deepEqual(copy.users().map((u) => u.name), ["alice"]);

  const old = new Packr({ useRecords: false, mapsAsObjects: true }).pack({ topics: [], appliedIndex: 2, clusterId: "c" });
  copy.restore({ index: index(2), term: term(1), offset: offset(0), data: old });
  assert.deepEqual(copy.users(), []);
  assert.equal(copy.clusterId, "c");

  const empty = new ClusterMetadata();
  empty.apply([cmd(1, { op: MetadataOp.InitCluster, clusterId: "c" })]);
  assert.deepEqual(new Packr({ useRecords: false, mapsAsObjects: true }).unpack(empty.encode()), { topics: [], appliedIndex: 1, clusterId: "c" }, "no users: the snapshot is what older brokers wrote");
});
