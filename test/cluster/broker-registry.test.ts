/** The brokers a broker knows: its config's `brokers` and the registered ones. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { knownBrokers } from "../../broker/cluster/broker-registry.js";
import { nodeId } from "../../broker/raft/types.js";

test("configured ∪ registered, by id; a configured entry wins over a registered one of the same id", () => {
  const configured = [
    { id: 2, host: "h2", clientPort: 2, peerPort: 12 },
    { id: 1, host: "h1", clientPort: 1, peerPort: 11 },
  ];
  const registered = [
    { id: nodeId(4), host: "h4", clientPort: 4, peerPort: 14 },
    { id: nodeId(2), host: "other", clientPort: 99, peerPort: 98 },
  ];
  assert.deepEqual(knownBrokers(configured, registered), [
    { id: 1, host: "h1", clientPort: 1, peerPort: 11, source: "configured" },
    { id: 2, host: "h2", clientPort: 2, peerPort: 12, source: "configured" },
    { id: 4, host: "h4", clientPort: 4, peerPort: 14, source: "registered" },
  ]);
  assert.deepEqual(knownBrokers(configured, []).map((b) => b.id), [1, 2]);
});
