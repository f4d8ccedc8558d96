/**
 * Whether each peer broker is live, from one signal per broker pair: any
 * frame its inbound connection brings (Raft traffic, announcements, or the
 * heartbeat frame its PeerLink sends when it has sent nothing else for
 * peerHeartbeatIntervalMs). This is what lets idle Raft groups quiesce: they
 * stop heartbeating, and the broker tells them when a peer's broker goes
 * down or comes back (docs/ARCHITECTURE.md, "Quiet idle partitions").
 *
 * A peer is:
 * - down once nothing was heard from it for livenessTimeoutMs (checked at
 *   check(), which the broker calls every Raft tick), or at once when its
 *   connection closes (a crashed process closes its sockets);
 * - up again at the first frame heard after that;
 * - reported (re)connected, as up, every time its hello is accepted: it may
 *   have restarted knowing nothing, even if it was never seen down.
 * Reports are edges (a down peer is reported down once); the clock is
 * injected, so tests drive it by hand.
 */
import type { NodeId } from "../raft/types.js";

/** What the tracker tells its owner. */
export interface PeerLivenessListener {
  /** `peer` went silent (or its connection closed). */
  readonly onDown: (peer: NodeId) => void;
  /** `peer` was heard from again, or (re)connected (it may have restarted). */
  readonly onUp: (peer: NodeId) => void;
}

interface PeerState {
  /** Monotonic ms of the last frame heard. */
  lastHeardMs: number;
  up: boolean;
}

/** See the file comment. */
export class PeerLiveness {
  private readonly peers = new Map<NodeId, PeerState>();

  constructor(
    private readonly livenessTimeoutMs: number,
    private readonly listener: PeerLivenessListener,
  ) {}

  /** A frame arrived from `peer` at `nowMs`. */
  heard(peer: NodeId, nowMs: number): void {
    const p = this.peers.get(peer);
    if (p === undefined) {
      this.peers.set(peer, { lastHeardMs: nowMs, up: true });
      this.listener.onUp(peer);
      return;
    }
    p.lastHeardMs = nowMs;
    if (p.up) return;
    p.up = true;
    this.listener.onUp(peer);
  }

  /** `peer`'s hello was accepted at `nowMs`: reported up even when it already was (it may have restarted). */
  connected(peer: NodeId, nowMs: number): void {
    const p = this.peers.get(peer);
    if (p === undefined) this.peers.set(peer, { lastHeardMs: nowMs, up: true });
    else {
      p.lastHeardMs = nowMs;
      p.up = true;
    }
    this.listener.onUp(peer);
  }

  /** `peer`'s connection closed: down at once. */
  closed(peer: NodeId): void {
    const p = this.peers.get(peer);
    if (p === undefined || !p.up) return;
    p.up = false;
    this.listener.onDown(peer);
  }

  /** Report every peer silent for livenessTimeoutMs as down. Cost: one step per peer broker. */
  check(nowMs: number): void {
    for (const [peer, p] of this.peers) {
      if (p.up && nowMs - p.lastHeardMs >= this.livenessTimeoutMs) {
        p.up = false;
        this.listener.onDown(peer);
      }
    }
  }

  /** Peers reported down now. */
  downPeers(): NodeId[] {
    return [...this.peers].filter(([, p]) => !p.up).map(([id]) => id);
  }

  /** Whether `peer` is up (heard from within the timeout, as of the last check). Unknown peers are not. */
  isUp(peer: NodeId): boolean {
    return this.peers.get(peer)?.up ?? false;
  }
}
