/**
 * The peer listener against hand-driven WebSocket clients: what a stranger,
 * a misconfigured broker or a buggy peer sees.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { WebSocket } from "ws";
import { CloseCode } from "../../broker/protocol/close-codes.js";
import { ErrorCode } from "../../broker/protocol/errors.js";
import { clientPackr, peerPackr } from "../../broker/protocol/msgpack.js";
import { decodePeerFrame, encodePeerHello, encodePeerLeaders, encodePeerRaft } from "../../broker/protocol/peer-frames.js";
import { RlogError } from "../../broker/protocol/errors.js";
import { answerOf, handDial, replay, sendRecorded, type HandDialer } from "./hand-dialer.js";
import type { WsPeerTransport } from "../../broker/transport/ws-peer-transport.js";
import { nodeId } from "../../broker/raft/types.js";
import { PROTOCOL_VERSION } from "../../broker/protocol/version.js";
import { SECRET, collect, heartbeat, tcpHandles, transport, waitFor } from "./helpers.js";

interface Outcome {
  readonly code: number;
  readonly reason: string;
  readonly frames: Buffer[];
}

/**
 * Dial `t`'s listener, send `frames` once open (before any hello exchange),
 * and wait for the listener to close the connection.
 */
function session(t: WsPeerTransport, frames: (Uint8Array | string)[], afterOpen?: (ws: WebSocket) => void): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${t.port}`);
    const got: Buffer[] = [];
    ws.on("message", (data) => got.push(data as Buffer));
    ws.on("error", reject);
    ws.on("open", () => {
      for (const f of frames) ws.send(f);
      afterOpen?.(ws);
    });
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString(), frames: got }));
  });
}

function errorCodeOf(frame: Buffer | undefined): number | undefined {
  if (frame === undefined) return undefined;
  const d = decodePeerFrame(frame, 1 << 20);
  return d.ok && d.value.kind === "error" ? d.value.error.code : undefined;
}

/** A hello frame alone (no proof follows): enough for the refusals decided at the hello. */
const hello = (brokerId = 2, version = PROTOCOL_VERSION, to = 1): Uint8Array => encodePeerHello(1, { version, brokerId, to, nonce: new Uint8Array(32).fill(1) });

/**
 * Authenticate to `t` as broker `from` with the right secret, then send
 * `frames` and wait for the listener to close (or `afterOpen` to close).
 */
async function authedSession(t: WsPeerTransport, from: number, frames: Uint8Array[], afterOpen?: (ws: WebSocket) => void): Promise<Outcome & { dialer: HandDialer }> {
  const d = await handDial(`ws://127.0.0.1:${t.port}`, { from, to: 1, secret: SECRET });
  const okFrame = answerOf(d);
  assert.equal(okFrame?.kind, "helloOk", `hello refused: ${JSON.stringify(okFrame)}`);
  for (const f of frames) sendRecorded(d, f);
  afterOpen?.(d.ws);
  const { code, reason } = await d.closed;
  return { code, reason, frames: [], dialer: d };
}

test("the listener refuses strangers with clear close codes and reasons", async () => {
  const a = transport(1, { limits: { helloWaitMs: 100 } });
  const got = collect(a);
  await a.start();

  // A hello of a broker from before challenge and response: it sent the secret itself, and no nonce.
  const legacy = await session(a, [peerPackr.pack({ id: 1, op: "peerHello", version: PROTOCOL_VERSION, brokerId: 2, secret: SECRET })]);
  assert.equal(legacy.code, CloseCode.AuthenticationFailed);
  assert.match(legacy.reason, /without a nonce/);
  assert.equal(errorCodeOf(legacy.frames[0]), ErrorCode.AUTHENTICATION_FAILED);

  const silent = await session(a, []);
  assert.equal(silent.code, CloseCode.HandshakeTimeout);
  assert.match(silent.reason, /no peerHello within 100 ms/);

  const text = await session(a, ["hello"]);
  assert.equal(text.code, CloseCode.BadFrame);
  assert.match(text.reason, /binary frames only/);

  const garbage = await session(a, [new Uint8Array([0xc1, 0x00])]);
  assert.equal(garbage.code, CloseCode.BadFrame);
  assert.match(garbage.reason, /not valid msgpack/);

  const raftFirst = await session(a, [encodePeerRaft([{ group: "g", msg: heartbeat(2, 1, 1) }])]);
  assert.equal(raftFirst.code, CloseCode.BadFrame);
  assert.match(raftFirst.reason, /expected peerHello first/);

  const future = await session(a, [hello(2, 99)]);
  assert.equal(future.code, CloseCode.UnsupportedVersion);
  assert.equal(errorCodeOf(future.frames[0]), ErrorCode.UNSUPPORTED_VERSION);

  const self = await session(a, [hello(1)]);
  assert.equal(self.code, CloseCode.WrongPeer);

  const misdialed = await session(a, [hello(2, PROTOCOL_VERSION, 5)]);
  assert.equal(misdialed.code, CloseCode.WrongPeer);
  assert.match(misdialed.reason, /expected broker 5, reached 1/);

  // A hello answered by a challenge, then silence: the hello wait still ends it.
  const noProof = await session(a, [hello(2)]);
  assert.equal(noProof.code, CloseCode.HandshakeTimeout);

  assert.equal(got.length, 0);
  assert.equal(a.stats().listener.accepted, 0);
  await a.close();
  await waitFor(() => tcpHandles() === 0, "all sockets closed");
});

test("after a good hello, well-addressed messages are delivered and misaddressed ones dropped", async () => {
  const a = transport(1);
  const got = collect(a);
  await a.start();
  const frames = [
    encodePeerRaft([
      { group: "g", msg: heartbeat(2, 1, 1) },
      { group: "g", msg: heartbeat(3, 1, 2) }, // claims to be from broker 3
      { group: "g", msg: heartbeat(2, 4, 3) }, // addressed to broker 4
      { group: "g", msg: heartbeat(2, 1, 4) },
    ]),
  ];
  const outcome = authedSession(a, 2, frames, (ws) => {
    void waitFor(() => got.length === 2, "delivery").then(() => ws.close(1000, "done"));
  });
  const { code, dialer } = await outcome;
  assert.equal(code, 1000);
  assert.equal(dialer.listenerProved, true);
  const ok = answerOf(dialer);
  assert.ok(ok?.kind === "helloOk" && ok.brokerId === 1);
  assert.deepEqual(
    got.map((r) => [Number(r.from), Number((r.msg as { commit: number }).commit)]),
    [[2, 1], [2, 4]],
  );
  assert.equal(a.stats().listener.droppedMisaddressed, 2);
  await a.close();
});

test("a frame over frameBytesMax closes the connection with 1009; a bad frame after hello closes with BadFrame", async () => {
  const a = transport(1, { limits: { frameBytesMax: 4096 } });
  collect(a);
  await a.start();
  const big = await authedSession(a, 2, [new Uint8Array(10_000)]);
  assert.equal(big.code, 1009);
  const bad = await authedSession(a, 2, [clientPackr.pack({ id: 0, op: "raft", messages: [{ group: "g", msg: { type: 42 } }] })]);
  assert.equal(bad.code, CloseCode.BadFrame);
  assert.match(bad.reason, /messages\[0\]\.msg\.type/);
  await a.close();
});

test("connections beyond connectionsMax are refused; a reconnecting peer replaces its old connection", async () => {
  const a = transport(1, { limits: { connectionsMax: 2, helloWaitMs: 300 } });
  collect(a);
  await a.start();
  const dial = (): { ws: WebSocket; closed: Promise<number> } => {
    const ws = new WebSocket(`ws://127.0.0.1:${a.port}`);
    return { ws, closed: new Promise((resolve) => ws.on("close", (code) => resolve(code))) };
  };
  const first = await handDial(`ws://127.0.0.1:${a.port}`, { from: 2, to: 1, secret: SECRET });
  await waitFor(() => a.stats().listener.accepted === 1, "first hello");
  const second = await handDial(`ws://127.0.0.1:${a.port}`, { from: 2, to: 1, secret: SECRET });
  // Same broker id again: the older connection is replaced.
  assert.equal((await first.closed).code, CloseCode.Replaced);
  await waitFor(() => a.stats().listener.connections === 1, "replaced connection gone");

  // One more connection fits (and times out without a hello); the one after it is over the limit.
  const third = dial();
  const fourth = dial();
  const codes = (await Promise.all([third.closed, fourth.closed])).sort();
  assert.deepEqual(codes, [CloseCode.HandshakeTimeout, CloseCode.TooManyConnections].sort());

  await a.close();
  assert.equal((await second.closed).code, CloseCode.GoingAway);
});

test("a peer's announcements are believed only for its own leaderships", async () => {
  const a = transport(1);
  const got: { from: number; group: string; leader: number }[] = [];
  a.onLeaderAnnouncements((from, list) => got.push(...list.map((x) => ({ from, group: x.group, leader: x.leader }))));
  await a.start();
  const leaders = encodePeerLeaders([
    { group: "p/1/0", leader: 2, term: 3 },
    { group: "p/1/1", leader: 3, term: 3 }, // broker 2 speaking for broker 3
  ]);
  await authedSession(a, 2, [leaders], (ws) => setTimeout(() => ws.close(), 100));
  assert.deepEqual(got, [{ from: 2, group: "p/1/0", leader: 2 }]);
  assert.equal(a.stats().listener.droppedMisaddressed, 1);
  await a.close();
  await waitFor(() => tcpHandles() === 0, "all sockets closed");
});

test("the listener refuses a hello from another cluster's broker (CLUSTER_ID_MISMATCH, 4007) and tells its identity to the others", async () => {
  const seen: [number, unknown][] = [];
  const a = transport(1, { identity: { local: () => ({ clusterId: "ours", state: 2 }), onPeer: (p, id) => seen.push([p, id]) } });
  await a.start();
  try {
    const other = await handDial(`ws://127.0.0.1:${a.port}`, { from: 2, to: 1, secret: SECRET, identity: { clusterId: "theirs", state: 2 } });
    assert.equal((await other.closed).code, CloseCode.WrongCluster);
    const refusal = answerOf(other);
    assert.ok(refusal?.kind === "error" && refusal.error.code === ErrorCode.CLUSTER_ID_MISMATCH);
    // A new directory (no id yet) is welcome, and hears who we are.
    const fresh = await handDial(`ws://127.0.0.1:${a.port}`, { from: 3, to: 1, secret: SECRET, identity: { clusterId: "", state: 0 } });
    const d = answerOf(fresh);
    fresh.ws.close();
    assert.ok(d?.kind === "helloOk");
    assert.deepEqual(d.identity, { clusterId: "ours", state: 2 });
    assert.deepEqual(seen, [
      [2, { clusterId: "theirs", state: 2 }],
      [3, { clusterId: "", state: 0 }],
    ]);
  } finally {
    await a.close();
  }
});

test("with refuseUnknownPeers, a hello from a broker id that is not a configured peer is refused (WrongPeer)", async () => {
  const a = transport(1, { refuseUnknownPeers: true, peers: new Map([[nodeId(2), "ws://127.0.0.1:1"]]) });
  await a.start();
  try {
    const stranger = await session(a, [hello(7)]);
    assert.equal(stranger.code, CloseCode.WrongPeer);
    assert.match(stranger.reason, /broker 7 is not in this broker's brokers list/);
    assert.equal(a.stats().listener.refused, 1);
  } finally {
    await a.close();
  }
});

test("a recorded hello replayed on a new connection is refused (AUTHENTICATION_FAILED): the new challenge's nonce makes the old proof wrong", async () => {
  const a = transport(1);
  const got = collect(a);
  await a.start();
  try {
    const url = `ws://127.0.0.1:${a.port}`;
    // A real exchange with the secret, recorded frame by frame, then a Raft frame.
    const original = await handDial(url, { from: 2, to: 1, secret: SECRET });
    assert.equal(answerOf(original)?.kind, "helloOk");
    sendRecorded(original, encodePeerRaft([{ group: "g", msg: heartbeat(2, 1, 7) }]));
    await waitFor(() => got.length === 1, "the original's message");
    original.ws.close();
    await original.closed;
    assert.equal(original.sent.length, 3); // hello, proof, raft

    // The same bytes, in the same order, on a new connection, by someone who does not know the secret.
    const replayed = await replay(url, original.sent);
    const { code, reason } = await replayed.closed;
    assert.equal(code, CloseCode.AuthenticationFailed);
    assert.match(reason, /wrong proof/);
    const answer = answerOf(replayed);
    assert.ok(answer?.kind === "error" && answer.error.code === ErrorCode.AUTHENTICATION_FAILED);
    // The listener drew a fresh nonce: the challenge differs from the recorded one.
    const [c1, c2] = [original.received[0], replayed.received[0]];
    assert.ok(c1?.kind === "challenge" && c2?.kind === "challenge");
    assert.notDeepEqual([...c1.challenge.nonce], [...c2.challenge.nonce]);
    assert.equal(got.length, 1, "the replayed Raft frame was not delivered");
    assert.equal(a.stats().listener.authFailures, 1);
  } finally {
    await a.close();
  }
});

test("a wrong secret fails the proof both ways; failures from one address are throttled with a doubling wait, and forgotten after a success", async () => {
  let now = 1_000_000;
  const warns: { fields: Record<string, unknown>; message: string }[] = [];
  const logger = { info: () => undefined, warn: (fields: object, message: string) => warns.push({ fields: fields as Record<string, unknown>, message }) };
  const a = transport(1, { logger, nowMs: () => now, limits: { authFailureBackoffMs: 100, authFailureBackoffMsMax: 400 } });
  await a.start();
  try {
    const url = `ws://127.0.0.1:${a.port}`;
    const wrong = await handDial(url, { from: 2, to: 1, secret: "not-the-secret" });
    // The dialer sees that the listener does not share its secret...
    assert.equal(wrong.listenerProved, false);
    // ...and the listener refuses the dialer's proof.
    assert.equal((await wrong.closed).code, CloseCode.AuthenticationFailed);
    const e = answerOf(wrong);
    assert.ok(e?.kind === "error" && e.error.code === ErrorCode.AUTHENTICATION_FAILED);
    const line = warns.find((w) => w.message === "peer hello failed to authenticate");
    assert.ok(line, "failure logged at warn");
    assert.equal(line.fields.claimedBrokerId, 2);
    assert.equal(line.fields.remote, "127.0.0.1");
    assert.equal(line.fields.waitMs, 100);

    // Within the wait, even the right secret is refused unheard.
    const early = await handDial(url, { from: 2, to: 1, secret: SECRET });
    const t = answerOf(early);
    assert.ok(t?.kind === "error" && t.error.code === ErrorCode.AUTHENTICATION_FAILED && /try again in 100 ms/.test(t.error.message));
    assert.equal(early.received.length, 1, "no challenge while throttled");
    assert.equal(a.stats().listener.authThrottled, 1);

    // The wait doubles per failure, up to the cap.
    const waits: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      now += 1_000;
      const d = await handDial(url, { from: 2, to: 1, secret: "still-wrong" });
      await d.closed;
      waits.push(warns.filter((w) => w.message === "peer hello failed to authenticate").at(-1)?.fields.waitMs);
    }
    assert.deepEqual(waits, [200, 400, 400, 400]);

    // After the wait, the right secret gets in, and the address's record is cleared.
    now += 1_000;
    const good = await handDial(url, { from: 2, to: 1, secret: SECRET });
    assert.equal(answerOf(good)?.kind, "helloOk");
    good.ws.close();
    const bad = await handDial(url, { from: 2, to: 1, secret: "wrong-again" });
    await bad.closed;
    assert.equal(warns.filter((w) => w.message === "peer hello failed to authenticate").at(-1)?.fields.waitMs, 100);
    assert.equal(a.stats().listener.authFailures, 6);
  } finally {
    await a.close();
  }
});

test("a dialer does not connect to a listener that cannot prove the secret, and says so", async () => {
  const warns: string[] = [];
  const impostor = transport(2, { secret: "impostor-secret" });
  await impostor.start();
  const a = transport(1, { logger: { info: () => undefined, warn: (_f: object, m: string) => warns.push(m) }, peers: new Map([[nodeId(2), `ws://127.0.0.1:${impostor.port}`]]) });
  await a.start();
  try {
    await waitFor(() => warns.includes("peer listener failed to prove the cluster secret; not connecting to it"), "the dialer's refusal");
    assert.equal(impostor.stats().listener.accepted, 0);
    assert.equal(a.stats().links[0]?.connected, false);
  } finally {
    await Promise.all([a.close(), impostor.close()]);
  }
});

test("verifyPeer runs after the proof checks out and can refuse the claimed id; disconnectPeer closes a peer's connection with PeerFault", async () => {
  const asked: number[] = [];
  const a = transport(1, {
    verifyPeer: (claimed, socket) => {
      asked.push(claimed);
      assert.equal(typeof socket.remoteAddress, "string");
      return claimed === 3 ? new RlogError("AUTHENTICATION_FAILED", "certificate does not name broker 3") : undefined;
    },
  });
  collect(a);
  await a.start();
  try {
    const url = `ws://127.0.0.1:${a.port}`;
    const three = await handDial(url, { from: 3, to: 1, secret: SECRET });
    assert.equal((await three.closed).code, CloseCode.AuthenticationFailed);
    const e = answerOf(three);
    assert.ok(e?.kind === "error" && /certificate does not name broker 3/.test(e.error.message));
    // A wrong proof never reaches the hook.
    await (await handDial(url, { from: 2, to: 1, secret: "wrong" })).closed;
    assert.deepEqual(asked, [3]);

    // verifyPeer's refusal and the wrong proof throttled 127.0.0.1; wait it out.
    await new Promise((resolve) => setTimeout(resolve, 250));
    const two = await handDial(url, { from: 2, to: 1, secret: SECRET });
    assert.equal(answerOf(two)?.kind, "helloOk");
    a.disconnectPeer(nodeId(2), "entries that do not chain");
    const closed = await two.closed;
    assert.equal(closed.code, CloseCode.PeerFault);
    assert.match(closed.reason, /entries that do not chain/);
    assert.equal(a.stats().listener.peerFaults, 1);
  } finally {
    await a.close();
  }
});

test("a delivery that throws closes only that peer's connection (PeerFault); the listener keeps serving", async () => {
  const a = transport(1);
  let calls = 0;
  a.onMessage(() => {
    calls++;
    if (calls === 1) throw new Error("handler bug");
  });
  await a.start();
  try {
    const out = await authedSession(a, 2, [encodePeerRaft([{ group: "g", msg: heartbeat(2, 1, 1) }, { group: "g", msg: heartbeat(2, 1, 2) }])]);
    assert.equal(out.code, CloseCode.PeerFault);
    assert.equal(calls, 1, "the rest of the frame is dropped");
    const again = await handDial(`ws://127.0.0.1:${a.port}`, { from: 2, to: 1, secret: SECRET });
    assert.equal(answerOf(again)?.kind, "helloOk");
    sendRecorded(again, encodePeerRaft([{ group: "g", msg: heartbeat(2, 1, 3) }]));
    await waitFor(() => calls === 2, "delivery after reconnecting");
    again.ws.close();
  } finally {
    await a.close();
  }
});
