/**
 * The simulator's stand-in for the broker's peer liveness tracker
 * (broker/transport/peer-liveness.ts): one heartbeat per member pair, carried
 * by the simulated clock and the fault schedule rather than by messages.
 *
 * Each step, for every running observer and every other member: the peer is
 * in contact when it is running (not down, not paused) and the link from it
 * to the observer is not cut. No contact for `timeoutSteps` (the election
 * timeout) reports the peer down to the observer's core (RaftNode.peerDown);
 * contact again reports it up (peerUp), and so does contact with a new
 * incarnation of it (a restart, as a broker sees a new hello), even one that
 * was never reported down. An observer that restarts starts with every peer
 * taken as up (its new core knows nothing; silence is reported again after
 * the timeout). Deterministic: draws nothing from the run's random source.
 */
import type { NodeId } from "../../../broker/raft/types.js";
import type { SimMember } from "./member.js";

interface View {
  lastContactStep: number;
  up: boolean;
  /** The peer's incarnation last in contact. */
  incarnation: number;
}

/** What the oracle reports to an observer's core. */
export type LivenessReport = (observer: SimMember, peer: NodeId, up: boolean) => void;

/** See the file comment. */
export class LivenessOracle {
  /** Per observer, per peer. */
  private readonly views = new Map<NodeId, Map<NodeId, View>>();

  constructor(
    private readonly members: readonly SimMember[],
    private readonly timeoutSteps: number,
    private readonly linkUp: (from: NodeId, to: NodeId) => boolean,
  ) {}

  /** `observer` (re)started at `now`: it takes every peer as up. */
  restarted(observer: SimMember, now: number): void {
    const v = new Map<NodeId, View>();
    for (const p of this.members) if (p !== observer) v.set(p.id, { lastContactStep: now, up: true, incarnation: p.incarnation });
    this.views.set(observer.id, v);
  }

  /** One step: report every edge to the running observers. */
  step(now: number, report: LivenessReport): void {
    for (const o of this.members) {
      if (o.state !== "up") continue;
      const views = this.views.get(o.id);
      if (!views) continue;
      for (const p of this.members) {
        if (p === o) continue;
        const v = views.get(p.id)!;
        if (p.state === "up" && this.linkUp(p.id, o.id)) {
          v.lastContactStep = now;
          if (!v.up || v.incarnation !== p.incarnation) {
            v.up = true;
            v.incarnation = p.incarnation;
            report(o, p.id, true);
          }
        } else if (v.up && now - v.lastContactStep >= this.timeoutSteps) {
          v.up = false;
          report(o, p.id, false);
        }
      }
    }
  }
}
