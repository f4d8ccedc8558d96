/** Shared helpers for transport tests: real sockets on 127.0.0.1, port 0, fast timings. */
import { MessageType, type Message } from "../../broker/raft/messages.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { index, nodeId, term, type NodeId } from "../../broker/raft/types.js";
import type { PeerLimits } from "../../broker/transport/peer-limits.js";
import { WsPeerTransport, type WsPeerTransportOptions } from "../../broker/transport/ws-peer-transport.js";

/** The secret all test brokers share unless a test says otherwise. */
export const SECRET = "test-cluster-secret";

/** Timings short enough for tests. */
export const FAST: Partial<PeerLimits> = {
  reconnectDelayMsMin: 5,
  reconnectDelayMsMax: 40,
  helloWaitMs: 2000,
  closeWaitMs: 200,
  // No heartbeat frames unless a test asks for them, so frame counts are exact.
  heartbeatIntervalMs: 60_000,
};

/** A transport for broker `id` on 127.0.0.1, port 0 unless given, with seeded jitter. */
export function transport(id: number, extra: Partial<WsPeerTransportOptions> = {}): WsPeerTransport {
  return new WsPeerTransport({
    selfId: nodeId(id),
    host: "127.0.0.1",
    port: 0,
    secret: SECRET,
    random: new SeededRandom(id),
    ...extra,
    limits: { ...FAST, ...extra.limits },
  });
}

/** The URL of a started transport's listener. */
export function urlOf(t: WsPeerTransport): string {
  return `ws://127.0.0.1:${t.port}`;
}

/** One received message. */
export interface Received {
  readonly from: NodeId;
  readonly group: string;
  readonly msg: Message;
}

/** Record everything `t` receives. */
export function collect(t: WsPeerTransport): Received[] {
  const got: Received[] = [];
  t.onMessage((from, group, msg) => got.push({ from, group, msg }));
  return got;
}

/** A heartbeat from -> to carrying `n` as its commit index, to check order. */
export function heartbeat(from: number, to: number, n: number): Message {
  return { type: MessageType.Heartbeat, from: nodeId(from), to: nodeId(to), term: term(1), commit: index(n) };
}

/** Poll `condition` until true; fail with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Open TCP handles (sockets and servers) of this process. Nothing but the
 * transports under test uses TCP in a test process, so 0 means all closed.
 * A server's handle is released a moment after its close callback, so
 * callers poll with waitFor.
 */
export function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r.startsWith("TCP")).length;
}
