/** Group ids and URLs (broker/cluster/names.ts): one format, one parse. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { clientUrl, CONTROLLER_GROUP, parsePartitionGroupId, partitionGroupId, peerUrl } from "../../broker/cluster/names.js";

test("a partition group id parses back to its topic id and partition; nothing else parses", () => {
  assert.equal(partitionGroupId(12, 3), "p/12/3");
  for (const [topicId, partition] of [[0, 0], [1, 0], [12, 3], [2 ** 40, 65_535]] as const) {
    assert.deepEqual(parsePartitionGroupId(partitionGroupId(topicId, partition)), { topicId, partition });
  }
  for (const s of [CONTROLLER_GROUP, "", "p/", "p/1", "p/1/", "p//1", "p/01/2", "p/1/02", "p/1/2/3", "p/-1/2", "p/1.5/2", "q/1/2", " p/1/2", "p/1/2 ", "p/99999999999999999/1"]) {
    assert.equal(parsePartitionGroupId(s), undefined, JSON.stringify(s));
  }
});

test("client and peer URLs are the advertised host with each listener's port", () => {
  const b = { id: 2, host: "fd00::5", clientPort: 9093, peerPort: 9193 };
  assert.equal(clientUrl(b), "ws://[fd00::5]:9093");
  assert.equal(peerUrl(b), "ws://[fd00::5]:9193");
});
