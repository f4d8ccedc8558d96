/** ACLs in the controller metadata: CreateAcls / DeleteAcls entries, snapshots, and snapshots taken before ACLs existed. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Packr } from "msgpackr";
import { ClusterMetadata, MetadataOp, encodeCommand, type MetadataCommand } from "../../broker/cluster/metadata.js";
import type { Acl } from "../../broker/protocol/acls.js";
import { EntryKind, index, offset, term, type Entry } from "../../broker/raft/types.js";

const cmd = (i: number, c: MetadataCommand): Entry => ({ index: index(i), term: term(1), kind: EntryKind.Command, offset: offset(0), count: 0, timestampMs: 0, data: encodeCommand(c) });
const acl = (over: Partial<Acl>): Acl => ({ principal: "User:alice", resourceType: "topic", patternType: "literal", name: "orders", operation: "read", permission: "allow", ...over });

test("CreateAcls and DeleteAcls are 8 and 9 (6 and 7 are the SCRAM user commands)", () => {
  assert.equal(MetadataOp.CreateAcls, 8);
  assert.equal(MetadataOp.DeleteAcls, 9);
});

test("CreateAcls adds (held ones are skipped), DeleteAcls removes what any filter matches; both are reported", () => {
  const m = new ClusterMetadata();
  const changes = m.apply([
    cmd(1, { op: MetadataOp.CreateAcls, acls: [acl({}), acl({ operation: "write" })] }),
    cmd(2, { op: MetadataOp.CreateAcls, acls: [acl({}), acl({ principal: "User:bob" })] }),
    cmd(3, { op: MetadataOp.DeleteAcls, filters: [{ operation: "write" }, { principal: "User:bob" }] }),
  ]);
  assert.deepEqual(
    changes.map((c) => [c.kind, "acls" in c ? c.acls.length : -1]),
    [["aclsCreated", 2], ["aclsCreated", 1], ["aclsDeleted", 2]],
  );
  assert.deepEqual(m.acls.list(), [acl({})]);
  assert.equal(m.acls.decide("User:alice", "topic", "orders", "read"), "allow");
  const bad = m.apply([cmd(4, { op: MetadataOp.CreateAcls } as unknown as MetadataCommand)]);
  assert.equal(bad[0]?.kind, "rejected");
});

test("a snapshot carries the ACLs; restoring replaces them; a snapshot without ACLs (older brokers) restores none", () => {
  const m = new ClusterMetadata();
  m.apply([cmd(1, { op: MetadataOp.InitCluster, clusterId: "c" }), cmd(2, { op: MetadataOp.CreateAcls, acls: [acl({}), acl({ patternType: "prefixed", name: "o", permission: "deny" })] })]);
  const copy = new ClusterMetadata();
  copy.apply([cmd(1, { op: MetadataOp.CreateAcls, acls: [acl({ principal: "User:stale" })] })]);
  copy.restore({ index: index(2), term: term(1), offset: offset(0), data: m.encode() });
  assert.deepEqual(copy.acls.list(), m.acls.list());
  assert.equal(copy.acls.decide("User:alice", "topic", "orders", "read"), "deny");
  const old = new Packr({ useRecords: false, mapsAsObjects: true }).pack({ topics: [], appliedIndex: 5, clusterId: "c" });
  copy.restore({ index: index(5), term: term(1), offset: offset(0), data: old });
  assert.equal(copy.acls.size, 0);
  assert.equal(copy.clusterId, "c");
  const none = new ClusterMetadata();
  assert.equal((new Packr({ useRecords: false, mapsAsObjects: true }).unpack(none.encode()) as Record<string, unknown>)["acls"], undefined, "no acls key while there are none");
});
