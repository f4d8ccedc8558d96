/**
 * MetadataCache: leader hints against the term the cache holds. A hint from
 * a lagging broker (older term) must not route the client back to a deposed
 * leader; a newer or equal one, or one without a term, is followed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MetadataCache } from "../../client/cluster/metadata-cache.js";
import type { MetadataResult } from "../../broker/protocol/results.js";

/** orders/0 led by broker 2 in term 5, per metadata. */
function cache(): MetadataCache {
  const c = new MetadataCache();
  const result: MetadataResult = {
    brokers: [1, 2, 3].map((id) => ({ brokerId: id, clientUrl: `ws://b${id}:9092` })),
    controllerId: 1,
    topics: [{ name: "orders", internal: false, partitions: [{ partition: 0, leader: 2, replicas: [1, 2, 3], term: 5 }] }],
  };
  c.apply(result);
  return c;
}

test("a hint with an older term than the cache's is ignored (a deposed leader), URL included", () => {
  const c = cache();
  assert.equal(c.applyLeaderHint("orders", 0, { brokerId: 1, url: "ws://elsewhere:9092", term: 4 }), false);
  assert.equal(c.leaderOf("orders", 0), 2);
  assert.equal(c.urlOf(1), "ws://b1:9092");
  assert.equal(c.topic("orders")?.partitions[0]?.term, 5);
});

test("a hint with a newer term is followed and its term kept; an older one after it is then ignored", () => {
  const c = cache();
  assert.equal(c.applyLeaderHint("orders", 0, { brokerId: 3, term: 6 }), true);
  assert.equal(c.leaderOf("orders", 0), 3);
  assert.equal(c.topic("orders")?.partitions[0]?.term, 6);
  assert.equal(c.applyLeaderHint("orders", 0, { brokerId: 2, term: 5 }), false);
  assert.equal(c.leaderOf("orders", 0), 3);
});

test("a hint with the same term is followed", () => {
  const c = cache();
  assert.equal(c.applyLeaderHint("orders", 0, { brokerId: 2, url: "ws://moved:9092", term: 5 }), true);
  assert.equal(c.leaderOf("orders", 0), 2);
  assert.equal(c.urlOf(2), "ws://moved:9092");
});

test("a hint without a term is followed as before, and leaves the cached term alone", () => {
  const c = cache();
  assert.equal(c.applyLeaderHint("orders", 0, { brokerId: 1, url: "ws://b1-new:9092" }), true);
  assert.equal(c.leaderOf("orders", 0), 1);
  assert.equal(c.urlOf(1), "ws://b1-new:9092");
  assert.equal(c.topic("orders")?.partitions[0]?.term, 5);
});
