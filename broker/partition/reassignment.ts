/**
 * How a moving partition's Raft leader takes its group from the current
 * replica list to the target one (docs/OPERATIONS.md, "Moving partitions").
 * Pure: `nextStep` decides from the group's committed membership and the
 * leader's replication progress alone, so a leader that changes midway (or
 * a broker that restarts) resumes from wherever the group is; every step is
 * idempotent. The steps, each taken once the one before has committed:
 *
 *  1. `setLearners`: the target's new brokers join as learners (they copy
 *     the log, throttled by reassignment.throttleBytesPerSec, without voting).
 *  2. Once every learner's match is within catchUpLagEntriesMax of the
 *     commit index: `transfer` when this leader is not in the target but a
 *     target broker already votes (it leads on, without an election), else
 *     `changeVoters` to the target. The core enters the joint configuration
 *     (old and new voters both decide) and leaves it on its own.
 *  3. `done`: the committed voters are the target's brokers, not joint and
 *     without learners. A leader outside the target has stepped down by
 *     then (the core does it after the leave). The controller then records
 *     the move complete (CompleteReassignment).
 */
import type { NodeId } from "../raft/types.js";
import type { LearnerLag, ReassignmentPhase } from "../protocol/results.js";

/** A group configuration as the core reports it (broker/raft/config.ts Membership). */
export interface MembershipView {
  readonly voters: readonly NodeId[];
  readonly learners?: readonly NodeId[];
  /** Non-empty while joint: the voters being left. */
  readonly votersOutgoing?: readonly NodeId[];
}

/** What the decision reads of the group, on its leader. */
export interface MovingGroupView {
  readonly self: NodeId;
  /** The committed configuration in effect. */
  readonly membership: MembershipView;
  /** A configuration change is in flight (uncommitted, or joint not left yet). */
  readonly pending: boolean;
  /** The leader's commit index. */
  readonly commit: number;
  /** A leadership transfer is under way. */
  readonly transferring: boolean;
  /** The leader's view of each member: match index and whether heard from lately. */
  readonly progress: readonly { readonly id: NodeId; readonly match: number; readonly active: boolean }[];
}

/** What the leader does next. */
export type ReassignmentStep =
  | { readonly kind: "wait"; readonly phase: ReassignmentPhase; readonly why: string }
  | { readonly kind: "setLearners"; readonly learners: readonly NodeId[] }
  | { readonly kind: "transfer"; readonly to: NodeId }
  | { readonly kind: "changeVoters"; readonly voters: readonly NodeId[] }
  | { readonly kind: "done" };

const has = (list: readonly NodeId[] | undefined, id: NodeId): boolean => list?.includes(id) ?? false;

/** Whether two lists hold the same ids (any order). */
function sameSet(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}

/** Where a group stands toward `target`, from its committed membership alone (any member can tell). */
export function reassignmentPhase(m: MembershipView, target: readonly NodeId[]): ReassignmentPhase {
  if ((m.votersOutgoing?.length ?? 0) > 0) return "joint";
  if (sameSet(m.voters, target)) return "completing";
  return target.some((id) => !has(m.voters, id) && has(m.learners, id)) ? "learners" : "pending";
}

/** Each learner's distance (entries) from the leader's commit index. */
export function learnerLags(g: Pick<MovingGroupView, "membership" | "commit" | "progress">): LearnerLag[] {
  return (g.membership.learners ?? []).map((id) => {
    const match = g.progress.find((p) => p.id === id)?.match ?? 0;
    return { brokerId: id, lagEntries: Math.max(0, g.commit - match) };
  });
}

/** The next step toward `target` (see the file comment). */
export function nextStep(g: MovingGroupView, target: readonly NodeId[], catchUpLagEntriesMax: number): ReassignmentStep {
  const m = g.membership;
  const phase = reassignmentPhase(m, target);
  if (g.pending) return { kind: "wait", phase, why: "a configuration change is in flight" };
  if (g.transferring) return { kind: "wait", phase, why: "leadership is being transferred" };
  const learners = m.learners ?? [];
  if (sameSet(m.voters, target)) return learners.length === 0 ? { kind: "done" } : { kind: "setLearners", learners: [] };
  const joining = target.filter((id) => !has(m.voters, id));
  if (!sameSet(learners, joining)) return { kind: "setLearners", learners: joining };
  const behind = learnerLags(g).filter((l) => l.lagEntries > catchUpLagEntriesMax || !(g.progress.find((p) => p.id === l.brokerId)?.active ?? false));
  if (behind.length > 0) return { kind: "wait", phase, why: `learners catching up: ${behind.map((l) => `${l.brokerId} (${l.lagEntries} entries behind)`).join(", ")}` };
  if (!target.includes(g.self)) {
    const successor = target.find((id) => has(m.voters, id) && (g.progress.find((p) => p.id === id)?.active ?? false));
    if (successor !== undefined) return { kind: "transfer", to: successor };
  }
  return { kind: "changeVoters", voters: target };
}
