import { test } from "node:test";
import assert from "node:assert/strict";
import { MessageType, type AppendMsg } from "../../broker/raft/messages.js";
import { EntryKind, index, nodeId, offset, term, type Entry } from "../../broker/raft/types.js";
import type { WsPeerTransport } from "../../broker/transport/ws-peer-transport.js";
import { collect, heartbeat, tcpHandles, transport, urlOf, waitFor, type Received } from "./helpers.js";

/** Start transports, then tell each about every other (ports are only known after start). */
async function mesh(...ts: WsPeerTransport[]): Promise<void> {
  for (const t of ts) await t.start();
  ts.forEach((a, i) => ts.forEach((b, j) => i !== j && a.setPeer(nodeId(j + 1), urlOf(b))));
}

function commits(got: readonly Received[]): number[] {
  return got.map((r) => (r.msg.type === MessageType.Heartbeat ? Number(r.msg.commit) : -1));
}

test("two transports exchange messages both ways, in order per link, many per frame", async () => {
  const a = transport(1);
  const b = transport(2);
  const gotA = collect(a);
  const gotB = collect(b);
  await mesh(a, b);

  // One event-loop turn of sends, queued while the link dials, leaves as one frame.
  for (let i = 0; i < 2000; i++) a.send(nodeId(2), "orders/0", heartbeat(1, 2, i));
  b.send(nodeId(1), "__controller", heartbeat(2, 1, 7));
  await waitFor(() => gotB.length === 2000 && gotA.length === 1, "messages to arrive");
  assert.deepEqual(commits(gotB), Array.from({ length: 2000 }, (_, i) => i));
  assert.ok(gotB.every((r) => r.from === 1 && r.group === "orders/0"));
  assert.deepEqual(gotA.map((r) => [r.from, r.group]), [[2, "__controller"]]);
  const link = a.stats().links[0];
  assert.equal(link?.sentMessages, 2000);
  assert.equal(link?.sentFrames, 1, "one frame for one turn of sends");

  // On an open, quiet link the first message of a turn leaves at once; the rest of the turn's wait for its end and leave together.
  const before = a.stats().links[0]?.sentFrames ?? 0;
  for (let i = 0; i < 500; i++) a.send(nodeId(2), "orders/0", heartbeat(1, 2, 100_000 + i));
  assert.equal(a.stats().links[0]?.sentFrames, before + 1, "the first message of the turn left in the caller's turn");
  await waitFor(() => gotB.length === 2500, "the turn's messages to arrive");
  assert.equal(a.stats().links[0]?.sentFrames, before + 2, "the other 499 left in one frame at the end of the turn");
  gotB.splice(2000);

  // Sends spread over several turns keep their order too.
  for (let i = 2000; i < 2100; i++) {
    a.send(nodeId(2), "orders/0", heartbeat(1, 2, i));
    if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await waitFor(() => gotB.length === 2100, "second burst");
  assert.deepEqual(commits(gotB), Array.from({ length: 2100 }, (_, i) => i));

  await Promise.all([a.close(), b.close()]);
  await waitFor(() => tcpHandles() === 0, "all sockets closed");
});

test("entries with binary data arrive intact as bytes, with numbers as numbers", async () => {
  const a = transport(1);
  const b = transport(2);
  const got = collect(b);
  await mesh(a, b);
  const payload = new Uint8Array(200_000);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
  const entries: Entry[] = [1, 2, 3].map((i) => ({
    index: index(i),
    term: term(2),
    kind: EntryKind.Records,
    offset: offset(2 ** 40 + 10 * i), // entries' offsets chain: each starts where the one before ends
    count: 10,
    timestampMs: 1_700_000_000_000,
    data: i === 2 ? new Uint8Array(0) : payload,
  }));
  const append: AppendMsg = { type: MessageType.Append, from: nodeId(1), to: nodeId(2), term: term(2), prevIndex: index(0), prevTerm: term(0), commit: index(0), entries };
  a.send(nodeId(2), "orders/3", append);
  await waitFor(() => got.length === 1, "append to arrive");
  const msg = got[0]?.msg;
  assert.ok(msg !== undefined && msg.type === MessageType.Append);
  assert.equal(msg.entries.length, 3);
  for (const [i, e] of msg.entries.entries()) {
    assert.ok(e.data instanceof Uint8Array);
    assert.deepEqual(new Uint8Array(e.data), new Uint8Array(entries[i]?.data ?? []));
    assert.equal(e.offset, 2 ** 40 + 10 * (i + 1));
    assert.equal(typeof e.index, "number");
  }
  await Promise.all([a.close(), b.close()]);
});

test("three transports: every broker reaches every other", async () => {
  const ts = [transport(1), transport(2), transport(3)];
  const got = ts.map(collect);
  await mesh(...ts);
  ts.forEach((t, i) => ts.forEach((_, j) => i !== j && t.send(nodeId(j + 1), "g", heartbeat(i + 1, j + 1, 10 * (i + 1) + (j + 1)))));
  await waitFor(() => got.every((g) => g.length === 2), "all six messages");
  got.forEach((g, j) => {
    const froms = g.map((r) => Number(r.from)).sort();
    assert.deepEqual(froms, [1, 2, 3].filter((x) => x !== j + 1));
    for (const r of g) assert.equal(commits([r])[0], 10 * Number(r.from) + (j + 1));
  });
  await Promise.all(ts.map((t) => t.close()));
});

test("a transport with the wrong secret is refused and keeps being refused", async () => {
  const a = transport(1);
  const intruder = transport(2, { secret: "guess" });
  const got = collect(a);
  await a.start();
  await intruder.start();
  intruder.setPeer(nodeId(1), urlOf(a));
  intruder.send(nodeId(1), "g", heartbeat(2, 1, 1));
  await waitFor(() => a.stats().listener.refused >= 3, "repeated refusals");
  assert.equal(got.length, 0);
  assert.equal(a.stats().listener.accepted, 0);
  const link = intruder.stats().links[0];
  assert.equal(link?.connected, false);
  assert.equal(link?.connects, 0);
  assert.ok((link?.dials ?? 0) >= 3, "redials with backoff");
  await Promise.all([a.close(), intruder.close()]);
});

test("a peer that restarts is reconnected to, and queued messages follow", async () => {
  const a = transport(1);
  const b1 = transport(2);
  const got1 = collect(b1);
  await mesh(a, b1);
  a.send(nodeId(2), "g", heartbeat(1, 2, 1));
  await waitFor(() => got1.length === 1, "first message");
  const port = b1.port;
  await b1.close();
  await waitFor(() => a.stats().links[0]?.connected === false, "link to notice the restart");
  for (let i = 2; i <= 5; i++) a.send(nodeId(2), "g", heartbeat(1, 2, i));

  const b2 = transport(2, { port });
  const got2 = collect(b2);
  await b2.start();
  await waitFor(() => got2.length === 4, "queued messages after reconnect");
  assert.deepEqual(commits(got2), [2, 3, 4, 5]);
  assert.equal(a.stats().links[0]?.connects, 2);
  a.send(nodeId(2), "g", heartbeat(1, 2, 6));
  await waitFor(() => got2.length === 5, "new message after reconnect");
  await Promise.all([a.close(), b2.close()]);
});

test("the send queue bound holds while a peer is down: oldest dropped and counted, newest delivered", async () => {
  const b1 = transport(2);
  await b1.start();
  const port = b1.port;
  await b1.close();

  const a = transport(1, { limits: { queueMessagesMax: 10 } });
  await a.start();
  a.setPeer(nodeId(2), `ws://127.0.0.1:${port}`);
  for (let i = 0; i < 100; i++) a.send(nodeId(2), "g", heartbeat(1, 2, i));
  const stats = a.stats().links[0];
  assert.equal(stats?.queuedMessages, 10);
  assert.equal(stats?.droppedQueueFull, 90);

  const b2 = transport(2, { port });
  const got = collect(b2);
  await b2.start();
  await waitFor(() => got.length === 10, "the ten newest messages");
  assert.deepEqual(commits(got), [90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
  await Promise.all([a.close(), b2.close()]);
});

test("the link filter cuts one direction of one link, and can be lifted", async () => {
  const a = transport(1, { linkFilter: (from, to) => !(from === 1 && to === 2) });
  const b = transport(2);
  const gotA = collect(a);
  const gotB = collect(b);
  await mesh(a, b);
  a.send(nodeId(2), "g", heartbeat(1, 2, 1));
  b.send(nodeId(1), "g", heartbeat(2, 1, 2));
  await waitFor(() => gotA.length === 1, "the uncut direction");
  assert.equal(a.stats().droppedFiltered, 1);
  a.setLinkFilter(undefined);
  a.send(nodeId(2), "g", heartbeat(1, 2, 3));
  await waitFor(() => gotB.length === 1, "the healed link");
  assert.deepEqual(commits(gotB), [3]);
  await Promise.all([a.close(), b.close()]);
});

test("messages to unknown brokers and after close are dropped without throwing", async () => {
  const a = transport(1);
  await a.start();
  a.send(nodeId(9), "g", heartbeat(1, 9, 1));
  assert.equal(a.stats().droppedUnroutable, 1);
  await a.close();
  a.send(nodeId(9), "g", heartbeat(1, 9, 1));
  await a.close(); // idempotent
  assert.throws(() => transport(1, { secret: "" }), /secret/);
});

test("close() ends every socket and timer, also mid-reconnect and mid-backoff", async () => {
  const a = transport(1);
  const b = transport(2);
  await mesh(a, b);
  a.send(nodeId(2), "g", heartbeat(1, 2, 1));
  b.send(nodeId(1), "g", heartbeat(2, 1, 1));
  await waitFor(() => a.stats().links[0]?.connected === true && b.stats().links[0]?.connected === true, "both links");
  // Point a third link at a dead port so it sits in backoff when we close.
  a.setPeer(nodeId(3), "ws://127.0.0.1:1");
  await waitFor(() => (a.stats().links.find((l) => l.peerId === 3)?.dials ?? 0) >= 2, "a failing redial");
  await Promise.all([a.close(), b.close()]);
  await waitFor(() => tcpHandles() === 0, "all sockets closed");
  const timers = process.getActiveResourcesInfo().filter((r) => r === "Timeout" || r === "Immediate");
  assert.deepEqual(timers, [], "no timers left");
});

test("leader announcements reach the peer, a newer one replaces a waiting older one, and a reopened link is announced", async () => {
  const opened: number[] = [];
  const a = transport(1, { onLinkOpen: (peer) => opened.push(peer) });
  const b = transport(2);
  const got: { from: number; group: string; leader: number; term: number }[] = [];
  b.onLeaderAnnouncements((from, list) => got.push(...list.map((x) => ({ from, ...x }))));
  await a.start();
  await b.start();
  // Queued before the link is open: kept, and only the newest per group leaves.
  a.setPeer(nodeId(2), urlOf(b));
  a.announce(nodeId(2), [{ group: "p/1/0", leader: 1, term: 3 }]);
  a.announce(nodeId(2), [{ group: "p/1/0", leader: 1, term: 4 }, { group: "p/1/1", leader: 1, term: 1 }]);
  await waitFor(() => got.length === 2, "announcements");
  assert.deepEqual(got, [
    { from: 1, group: "p/1/0", leader: 1, term: 4 },
    { from: 1, group: "p/1/1", leader: 1, term: 1 },
  ]);
  assert.deepEqual(opened, [2]);
  await Promise.all([a.close(), b.close()]);
  await waitFor(() => tcpHandles() === 0, "all sockets closed");
});

test("an idle link sends heartbeat frames; the listener reports hello, frames and the close as liveness signals", async () => {
  const signals: string[] = [];
  const a = transport(1, { limits: { heartbeatIntervalMs: 20 } });
  const b = transport(2, {
    liveness: {
      connected: (p) => signals.push(`connected ${p}`),
      heard: (p) => signals.push(`heard ${p}`),
      closed: (p) => signals.push(`closed ${p}`),
    },
  });
  const gotB = collect(b);
  await mesh(a, b);
  await waitFor(() => signals.filter((s) => s === "heard 1").length >= 3, "heartbeat frames from the idle link");
  assert.equal(signals[0], "connected 1");
  assert.ok((a.stats().links[0]?.heartbeats ?? 0) >= 3);
  assert.equal(gotB.length, 0, "a heartbeat frame delivers no message");
  // A link that sends Raft traffic needs no heartbeat frame.
  const before = a.stats().links[0]!.heartbeats;
  for (let k = 0; k < 10; k++) {
    a.send(nodeId(2), "orders/0", heartbeat(1, 2, k));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.ok(a.stats().links[0]!.heartbeats <= before + 1, "traffic stands in for heartbeat frames");
  await a.close();
  await waitFor(() => signals.includes("closed 1"), "the close to be reported");
  await b.close();
  await waitFor(() => tcpHandles() === 0, "all sockets closed");
});
