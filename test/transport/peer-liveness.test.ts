import { test } from "node:test";
import assert from "node:assert/strict";
import { PeerLiveness } from "../../broker/transport/peer-liveness.js";
import { nodeId } from "../../broker/raft/types.js";

function tracker(timeoutMs = 500): { t: PeerLiveness; events: string[] } {
  const events: string[] = [];
  const t = new PeerLiveness(timeoutMs, { onDown: (p) => events.push(`down ${p}`), onUp: (p) => events.push(`up ${p}`) });
  return { t, events };
}

test("a peer is up at its first frame and down once silent for the timeout, reported once", () => {
  const { t, events } = tracker();
  const p = nodeId(2);
  t.check(0);
  assert.deepEqual(events, [], "an unknown peer is never reported");
  t.heard(p, 0);
  t.check(499);
  t.heard(p, 400);
  t.check(899);
  assert.deepEqual(events, ["up 2"]);
  t.check(900);
  t.check(5000);
  assert.deepEqual(events, ["up 2", "down 2"]);
  assert.deepEqual(t.downPeers(), [p]);
  t.heard(p, 5001);
  t.heard(p, 5002);
  assert.deepEqual(events, ["up 2", "down 2", "up 2"]);
  assert.equal(t.isUp(p), true);
});

test("a closed connection is down at once; a hello is reported up even when the peer was never seen down", () => {
  const { t, events } = tracker();
  const p = nodeId(3);
  t.connected(p, 0);
  t.connected(p, 10); // restarted within the timeout: it may know nothing
  t.closed(p);
  t.closed(p);
  t.check(10_000);
  assert.deepEqual(events, ["up 3", "up 3", "down 3"]);
});
