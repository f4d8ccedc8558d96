/**
 * A peer dialer driven by hand over a real WebSocket: it performs the
 * challenge-and-response hello with a secret it is given (or a wrong one),
 * records every frame it sent, and then lets a test send whatever it likes
 * as an authenticated (or not) peer. Used by the listener tests, the replay
 * test and the peer fuzz test.
 */
import { WebSocket } from "ws";
import { decodePeerFrame, encodePeerHello, encodePeerProof, type HelloIdentity, type PeerFrame } from "../../broker/protocol/peer-frames.js";
import { PROTOCOL_VERSION } from "../../broker/protocol/version.js";
import { derivePeerKey, dialerProof, newPeerNonce, verifyListenerProof } from "../../broker/transport/peer-auth.js";

/** How a hand-driven connection ended or stands. */
export interface HandDialer {
  readonly ws: WebSocket;
  /** Frames the listener sent, decoded, in order. */
  readonly received: PeerFrame[];
  /** Frames this dialer sent, as bytes, in order (for replaying). */
  readonly sent: Uint8Array[];
  /** Resolves with the close code and reason once the connection closes. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Whether the listener's proof in its challenge checked out with our secret (undefined: no challenge came). */
  listenerProved: boolean | undefined;
}

/** Open a WebSocket to `url`; resolves once open. */
export function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

function track(ws: WebSocket): HandDialer {
  const received: PeerFrame[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on("error", () => undefined); // the close event reports the outcome
  ws.on("message", (data) => {
    const d = decodePeerFrame(data as Buffer, 1 << 20);
    if (d.ok) received.push(d.value);
  });
  return { ws, received, sent: [], closed, listenerProved: undefined };
}

/** Send bytes and record them. */
export function sendRecorded(d: HandDialer, frame: Uint8Array | string): void {
  if (typeof frame !== "string") d.sent.push(frame);
  d.ws.send(frame);
}

/** Wait until the listener sent `n` frames or closed. */
async function nextFrame(d: HandDialer, n: number, timeoutMs: number): Promise<PeerFrame | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (d.received.length < n && d.ws.readyState === WebSocket.OPEN && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return d.received[n - 1];
}

/** Settings of a hand-driven hello. */
export interface HandHello {
  readonly from: number;
  readonly to: number;
  /** The secret this dialer believes in. */
  readonly secret: string;
  readonly version?: number;
  readonly identity?: HelloIdentity;
  /** Bound on each wait for the listener (ms). */
  readonly waitMs?: number;
}

/**
 * Dial `url` and run the hello as broker `from` to broker `to` with
 * `secret`. Resolves with the dialer once the listener answered the proof
 * (helloOk or an error) or closed; the caller reads `received`.
 */
export async function handDial(url: string, h: HandHello): Promise<HandDialer> {
  const d = track(await openSocket(url));
  const waitMs = h.waitMs ?? 5000;
  const key = derivePeerKey(h.secret);
  const nonce = newPeerNonce();
  const version = h.version ?? PROTOCOL_VERSION;
  sendRecorded(d, encodePeerHello(1, { version, brokerId: h.from, to: h.to, nonce, ...(h.identity ? { identity: h.identity } : {}) }));
  const first = await nextFrame(d, 1, waitMs);
  if (first?.kind !== "challenge") return d;
  const t = { version, dialerId: h.from, listenerId: h.to, dialerNonce: nonce, listenerNonce: first.challenge.nonce };
  d.listenerProved = verifyListenerProof(key, t, first.challenge.proof);
  sendRecorded(d, encodePeerProof(1, dialerProof(key, t)));
  await nextFrame(d, 2, waitMs);
  return d;
}

/**
 * Replay `frames` on a fresh connection to `url`, each after the
 * listener's previous answer (as the recorded dialer did). Resolves once
 * the listener closed the connection or answered every frame.
 */
export async function replay(url: string, frames: readonly Uint8Array[], waitMs = 5000): Promise<HandDialer> {
  const d = track(await openSocket(url));
  for (let i = 0; i < frames.length; i++) {
    sendRecorded(d, frames[i]!);
    if ((await nextFrame(d, i + 1, waitMs)) === undefined) break;
  }
  return d;
}

/** The helloOk or error the listener sent last; undefined when neither came. */
export function answerOf(d: HandDialer): PeerFrame | undefined {
  return [...d.received].reverse().find((f) => f.kind === "helloOk" || f.kind === "error");
}
