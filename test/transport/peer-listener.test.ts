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
import type { WsPeerTransport } from "../../broker/transport/ws-peer-transport.js";
import { nodeId } from "../../broker/raft/types.js";
import { PROTOCOL_VERSION } from "../../broker/protocol/version.js";
import { SECRET, collect, heartbeat, tcpHandles, transport, waitFor } from "./helpers.js";

interface Outcome {
  readonly code: number;
  readonly reason: string;
  readonly frames: Buffer[];
}

/** Dial `t`'s listener, send `frames` once open, and wait for the listener to close the connection. */
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

const hello = (secret: string | undefined, brokerId = 2, version = PROTOCOL_VERSION): Uint8Array =>
  secret === undefined ? peerPackr.pack({ id: 1, op: "peerHello", version, brokerId }) : encodePeerHello(1, { version, brokerId, secret });

test("the listener refuses strangers with clear close codes and reasons", async () => {
  const a = transport(1, { limits: { helloWaitMs: 100 } });
  const got = collect(a);
  await a.start();

  const missing = await session(a, [hello(undefined)]);
  assert.equal(missing.code, CloseCode.AuthenticationFailed);
  assert.match(missing.reason, /missing cluster secret/);
  assert.equal(errorCodeOf(missing.frames[0]), ErrorCode.AUTHENTICATION_FAILED);

  const wrong = await session(a, [hello("not-the-secret")]);
  assert.equal(wrong.code, CloseCode.AuthenticationFailed);
  assert.match(wrong.reason, /wrong cluster secret/);

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

  const future = await session(a, [hello(SECRET, 2, 99)]);
  assert.equal(future.code, CloseCode.UnsupportedVersion);
  assert.equal(errorCodeOf(future.frames[0]), ErrorCode.UNSUPPORTED_VERSION);

  const self = await session(a, [hello(SECRET, 1)]);
  assert.equal(self.code, CloseCode.WrongPeer);

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
    hello(SECRET, 2),
    encodePeerRaft([
      { group: "g", msg: heartbeat(2, 1, 1) },
      { group: "g", msg: heartbeat(3, 1, 2) }, // claims to be from broker 3
      { group: "g", msg: heartbeat(2, 4, 3) }, // addressed to broker 4
      { group: "g", msg: heartbeat(2, 1, 4) },
    ]),
  ];
  const outcome = session(a, frames, (ws) => {
    void waitFor(() => got.length === 2, "delivery").then(() => ws.close(1000, "done"));
  });
  const { code, frames: answers } = await outcome;
  assert.equal(code, 1000);
  const ok = decodePeerFrame(answers[0] as Buffer, 1 << 20);
  assert.ok(ok.ok && ok.value.kind === "helloOk" && ok.value.brokerId === 1);
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
  const big = await session(a, [hello(SECRET, 2), new Uint8Array(10_000)]);
  assert.equal(big.code, 1009);
  const bad = await session(a, [hello(SECRET, 2), clientPackr.pack({ id: 0, op: "raft", messages: [{ group: "g", msg: { type: 42 } }] })]);
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
  const first = dial();
  await new Promise((resolve) => first.ws.on("open", resolve));
  first.ws.send(hello(SECRET, 2));
  await waitFor(() => a.stats().listener.accepted === 1, "first hello");
  const second = dial();
  await new Promise((resolve) => second.ws.on("open", resolve));
  second.ws.send(hello(SECRET, 2));
  // Same broker id again: the older connection is replaced.
  assert.equal(await first.closed, CloseCode.Replaced);
  await waitFor(() => a.stats().listener.connections === 1, "replaced connection gone");

  // One more connection fits (and times out without a hello); the one after it is over the limit.
  const third = dial();
  const fourth = dial();
  const codes = (await Promise.all([third.closed, fourth.closed])).sort();
  assert.deepEqual(codes, [CloseCode.HandshakeTimeout, CloseCode.TooManyConnections].sort());

  await a.close();
  assert.equal(await second.closed, CloseCode.GoingAway);
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
  await session(a, [hello(SECRET, 2), leaders], (ws) => setTimeout(() => ws.close(), 100));
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
    const other = await session(a, [encodePeerHello(1, { version: PROTOCOL_VERSION, brokerId: 2, secret: SECRET, identity: { clusterId: "theirs", state: 2 } })]);
    assert.equal(other.code, CloseCode.WrongCluster);
    assert.equal(errorCodeOf(other.frames[0]), ErrorCode.CLUSTER_ID_MISMATCH);
    // A new directory (no id yet) is welcome, and hears who we are.
    const answer = await new Promise<Buffer>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${a.port}`);
      ws.on("error", reject);
      ws.on("open", () => ws.send(encodePeerHello(1, { version: PROTOCOL_VERSION, brokerId: 3, secret: SECRET, identity: { clusterId: "", state: 0 } })));
      ws.on("message", (data) => {
        resolve(data as Buffer);
        ws.close();
      });
    });
    const d = decodePeerFrame(answer, 1 << 20);
    assert.ok(d.ok && d.value.kind === "helloOk");
    assert.deepEqual(d.value.identity, { clusterId: "ours", state: 2 });
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
    const stranger = await session(a, [hello(SECRET, 7)]);
    assert.equal(stranger.code, CloseCode.WrongPeer);
    assert.match(stranger.reason, /broker 7 is not in this broker's brokers list/);
    assert.equal(a.stats().listener.refused, 1);
  } finally {
    await a.close();
  }
});
