/**
 * Drives the moving partitions this broker leads (docs/OPERATIONS.md,
 * "Moving partitions"): each pass asks broker/partition/reassignment.ts for
 * the next step of every moving group led here and takes it on the group's
 * runner. Steps are idempotent and decided from the committed membership, so
 * passes may run as often as wanted; a leader elected midway picks up.
 */
import type { Logger } from "pino";
import type { Role } from "../raft/ready.js";
import { Role as Roles } from "../raft/ready.js";
import type { NodeId, Term } from "../raft/types.js";
import { NO_NODE } from "../raft/types.js";
import type { LearnerLag, ReassignmentPhase } from "../protocol/results.js";
import { learnerLags, nextStep, reassignmentPhase, type MembershipView, type MovingGroupView, type ReassignmentStep } from "./reassignment.js";

/** What the driver uses of a group's runner (broker/group/group-runner.ts). */
export interface MovingRunner {
  status(): {
    readonly id: NodeId;
    readonly role: Role;
    readonly term: Term;
    readonly commit: number;
    readonly transferee: NodeId;
    readonly progress: readonly { readonly id: NodeId; readonly match: number; readonly active: boolean }[];
  };
  membership(): { readonly config: MembershipView; readonly pending: boolean };
  changeMembership(target: { readonly voters: readonly NodeId[]; readonly learners?: readonly NodeId[] }): { readonly ok: boolean; readonly reason?: string };
  transferLeadership(target?: NodeId): { readonly ok: boolean };
}

/** One moving partition hosted here. */
export interface MovingPartition {
  readonly group: string;
  readonly topic: string;
  readonly topicId: number;
  readonly partition: number;
  readonly target: readonly NodeId[];
  readonly runner: MovingRunner;
}

export interface ReassignmentDriverOptions {
  readonly catchUpLagEntriesMax: number;
  readonly logger: Logger;
  /** The moving partitions with a replica open here. */
  readonly moving: () => Iterable<MovingPartition>;
  /** A group led here has the target as its committed voters (called on every pass while it does). */
  readonly onDone: (p: MovingPartition, term: Term, voters: readonly NodeId[]) => void;
}

/** See the file comment. */
export class ReassignmentDriver {
  /** The last step taken or waited on per group, so each change is logged once. */
  private readonly lastStep = new Map<string, string>();

  constructor(private readonly opts: ReassignmentDriverOptions) {}

  /** One pass over the moving groups led here. */
  pass(): void {
    const seen = new Set<string>();
    for (const p of this.opts.moving()) {
      seen.add(p.group);
      const s = p.runner.status();
      if (s.role !== Roles.Leader) continue;
      const m = p.runner.membership();
      const view: MovingGroupView = {
        self: s.id,
        membership: m.config,
        pending: m.pending,
        commit: s.commit,
        transferring: s.transferee !== NO_NODE,
        progress: s.progress,
      };
      const step = nextStep(view, p.target, this.opts.catchUpLagEntriesMax);
      this.take(p, step, s.term);
    }
    for (const g of this.lastStep.keys()) if (!seen.has(g)) this.lastStep.delete(g);
  }

  /** Where a hosted moving group stands, as this broker knows it (listReassignments). */
  static progress(runner: MovingRunner | undefined, target: readonly NodeId[]): { phase: ReassignmentPhase; learners: LearnerLag[] } {
    if (runner === undefined) return { phase: "pending", learners: [] };
    const m = runner.membership();
    const s = runner.status();
    const phase = reassignmentPhase(m.config, target);
    return { phase, learners: s.role === Roles.Leader ? learnerLags({ membership: m.config, commit: s.commit, progress: s.progress }) : [] };
  }

  private take(p: MovingPartition, step: ReassignmentStep, term: Term): void {
    const log = this.opts.logger;
    const at = { topic: p.topic, partition: p.partition, target: p.target };
    const key = step.kind === "wait" ? `wait:${step.why}` : JSON.stringify(step);
    const fresh = this.lastStep.get(p.group) !== key;
    this.lastStep.set(p.group, key);
    switch (step.kind) {
      case "wait":
        if (fresh) log.debug({ ...at, phase: step.phase, why: step.why }, "partition move waiting");
        return;
      case "setLearners": {
        const r = p.runner.changeMembership({ voters: p.runner.membership().config.voters, learners: step.learners });
        if (fresh) log.info({ ...at, learners: step.learners, ok: r.ok, reason: r.reason }, "partition move: new replicas join as learners");
        return;
      }
      case "transfer": {
        const r = p.runner.transferLeadership(step.to);
        if (fresh) log.info({ ...at, to: step.to, ok: r.ok }, "partition move: handing leadership to a target replica before leaving");
        return;
      }
      case "changeVoters": {
        const r = p.runner.changeMembership({ voters: step.voters, learners: [] });
        if (fresh) log.info({ ...at, voters: step.voters, ok: r.ok, reason: r.reason }, "partition move: voters change to the target (joint configuration)");
        return;
      }
      case "done":
        if (fresh) log.info(at, "partition move: the target replicas are the group's voters");
        this.opts.onDone(p, term, p.runner.membership().config.voters);
        return;
    }
  }
}
