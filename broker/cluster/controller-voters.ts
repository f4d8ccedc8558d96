/**
 * The controller group's membership, kept by every broker (docs/OPERATIONS.md,
 * "Controller voters"):
 *
 * - Learners: the controller leader makes every known broker (configured or
 *   registered, broker-registry.ts) that is not a voter a controller learner
 *   (RaftNode.changeMembership), and drops learners no longer known, so that
 *   every broker receives and applies the metadata. A broker whose config
 *   leaves it out of `controllerVoters` opens the controller group as a
 *   non-member: passive until the leader's appends reach it.
 * - Voters: alterControllerVoters changes them by joint consensus; every
 *   other known broker stays a learner.
 * - Priority: every broker keeps the controller's leader preference equal to
 *   the committed voters (a new voter may lead; a removed one is not preferred).
 *
 * The membership in effect is the controller log's (persisted with the hard
 * state), so the config's `controllerVoters` is only the base a new log starts from.
 */
import type { Logger } from "pino";
import { RlogError } from "../protocol/errors.js";
import type { ControllerMembership } from "../protocol/results.js";
import type { NodeId } from "../raft/types.js";
import type { KnownBroker } from "./broker-registry.js";
import type { Controller } from "./controller.js";

/** How often each broker checks the controller's learners (leader) and leader preference (everyone). */
export const CONTROLLER_MEMBERSHIP_CHECK_INTERVAL_MS = 500;
/** How long alterControllerVoters waits for the change (both steps of joint consensus) to commit. */
export const CONTROLLER_VOTERS_CHANGE_MS_MAX = 30_000;
/**
 * While alterControllerVoters waits, how often it reads the committed
 * membership: the runner has no event for a Config entry's commit (those
 * entries never reach the state machine), and the wait is one admin request.
 */
const MEMBERSHIP_POLL_MS = 20;

export interface ControllerVotersOptions {
  readonly controller: () => Controller | undefined;
  readonly knownBrokers: () => readonly KnownBroker[];
  readonly logger: Logger;
}

/** See the file comment. */
export class ControllerVoters {
  /** The leader preference last handed to the runner (the committed voters then). */
  private priority: readonly NodeId[] = [];

  constructor(private readonly opts: ControllerVotersOptions) {}

  /** The committed membership as this broker holds it. */
  membership(): ControllerMembership {
    const c = this.opts.controller();
    if (c === undefined) return { voters: [], learners: [], changing: false };
    const m = c.runner.membership();
    return { voters: sorted(m.config.voters), learners: sorted(m.config.learners ?? []), changing: m.pending };
  }

  /**
   * On every broker: keep the leader preference equal to the voters. On the
   * leader, with no change in flight: make every known non-voter a learner,
   * and forget learners no longer known. Idempotent; called on a timer and
   * when the registry changes.
   */
  check(): void {
    const c = this.opts.controller();
    if (c === undefined) return;
    const m = c.runner.membership();
    const voters = sorted(m.config.voters);
    if (!same(voters, this.priority)) {
      c.runner.setPriority(voters);
      this.priority = voters;
    }
    if (!c.runner.isLeader() || m.pending) return;
    const learners = this.learnersFor(voters);
    if (same(learners, sorted(m.config.learners ?? []))) return;
    const r = c.runner.changeMembership({ voters: m.config.voters, learners });
    if (r.ok) this.opts.logger.info({ voters, learners, index: r.index }, "controller learners changed");
    else if (r.code !== "BUSY" && r.code !== "NOT_LEADER") this.opts.logger.warn({ voters, learners, code: r.code, reason: r.reason }, "controller learners change refused");
  }

  /**
   * Change the voters to `voters` (checked by the caller: known, live,
   * distinct); every other known broker becomes or stays a learner. Waits
   * for a change in flight to finish first, and resolves once the new
   * voters alone decide. A leader that is not among them steps down after
   * the change (the core); the change still completes.
   */
  async alter(voters: readonly NodeId[]): Promise<ControllerMembership> {
    const c = this.opts.controller()!;
    c.requireLeader();
    const target = sorted(voters);
    const deadline = performance.now() + CONTROLLER_VOTERS_CHANGE_MS_MAX;
    let proposed = false;
    for (;;) {
      const m = c.runner.membership();
      const done = !m.pending && same(sorted(m.config.voters), target);
      if (done) {
        if (proposed) this.opts.logger.info({ voters: target, learners: sorted(m.config.learners ?? []) }, "controller voters changed");
        return this.membership();
      }
      if (!proposed && !m.pending) {
        const r = c.runner.changeMembership({ voters: target, learners: this.learnersFor(target) });
        if (r.ok) {
          proposed = true;
          this.opts.logger.info({ from: sorted(m.config.voters), to: target, index: r.index }, "controller voters change proposed (joint consensus)");
        } else if (r.code === "NOT_LEADER") {
          c.requireLeader();
        } else if (r.code === "INVALID") {
          throw new RlogError("INVALID_CONTROLLER_VOTERS", `the controller refused voters ${target.join(",")}: ${r.reason}`, { field: "voters" });
        }
        // BUSY: the leader has not committed an entry of its term yet, or a learner change is in flight: try again.
      }
      if (performance.now() > deadline) {
        throw new RlogError("TIMEOUT", `the controller voters did not become ${target.join(",")} within ${CONTROLLER_VOTERS_CHANGE_MS_MAX} ms (now ${sorted(m.config.voters).join(",")}${m.pending ? ", a change in flight" : ""}); look at rlog-cli broker list`);
      }
      await new Promise((r) => setTimeout(r, MEMBERSHIP_POLL_MS));
    }
  }

  /** Every known broker that is not one of `voters`, sorted. */
  private learnersFor(voters: readonly NodeId[]): NodeId[] {
    return this.opts.knownBrokers().map((b) => b.id).filter((id) => !voters.includes(id));
  }
}

function sorted(ids: readonly NodeId[]): NodeId[] {
  return [...ids].sort((a, b) => a - b);
}

function same(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
