/**
 * A seeded simulation of one group member's membership state machine
 * (client/consumer/membership-state.ts) against a model coordinator: a fake
 * clock, requests that take random time each way (so answers and the
 * coordinator's own clock interleave), and a coordinator that answers
 * joins, syncs, heartbeats, commits and leaves, starts rebalances (another
 * member joined: REBALANCE_IN_PROGRESS), removes a member whose session
 * expired (then ILLEGAL_GENERATION or UNKNOWN_MEMBER), and fails requests
 * (a retriable error after the Retrier gave up, a lost heartbeat, now and
 * then a non-retriable error). The application commits at random times and
 * stops the member at a random step; then a healing phase must end in Stopped.
 *
 * Checked after every step:
 * - one operation outstanding at a time; an assignment is taken only after
 *   the previous one was revoked;
 * - at most one generation active: while the member may hand out records of
 *   generation g, the coordinator has not given g's partitions to others
 *   (it does so when the member leaves, rejoins or its session expires);
 * - the lease never runs past the last accepted heartbeat or sync + session;
 * - a commit is offered only under the member's current generation, never
 *   under one it has seen refused; a commit reported as written was
 *   accepted by the coordinator for its current generation;
 * - the pause before a rejoin after a request gave up is the retry backoff.
 * At the end: Stopped (leave always ends), nothing outstanding, no timer left.
 */
import { RlogError, type ErrorName } from "../../../broker/protocol/errors.js";
import type { TopicPartitions } from "../../../broker/protocol/results.js";
import { SeededRandom } from "../../../broker/raft/random.js";
import { MemberPhase, MembershipState, OP_COMMANDS, type MemberCommand, type MemberEvent } from "../../../client/consumer/membership-state.js";
import { retryOptions } from "../../../client/retry/retry-options.js";
import { SimScheduler } from "./scheduler.js";

/** Options of one run. */
export interface MembershipSimOptions {
  /** Fault-phase steps. */
  readonly steps?: number;
  readonly trace?: (line: string) => void;
}

/** What one run found. */
export interface MembershipSimResult {
  readonly seed: number;
  readonly violations: string[];
  readonly steps: number;
  readonly generations: number;
  readonly commitsWritten: number;
  readonly ops: number;
}

/** Fault-phase steps of a run by default. */
export const MEMBERSHIP_STEPS_DEFAULT = 120;

/** The command that replays one seed. */
export function membershipReplayCommand(seed: number, steps: number = MEMBERSHIP_STEPS_DEFAULT): string {
  return `npx tsc -p . && node dist/test/client/sim/main.js membership --seed ${seed} --runs 1 --steps ${steps} --verbose`;
}

const ASSIGNMENT: readonly TopicPartitions[] = [{ topic: "t", partitions: [0, 1] }];

/** The coordinator's view of the group, as far as this member is concerned. */
class ModelCoordinator {
  generation = 0;
  /** This member's id in the group; "" when it is not a member. */
  memberId = "";
  /** When the member's session expires (last accepted join, sync or heartbeat + session). */
  expiryMs = 0;
  /** Another member joined: heartbeats are answered REBALANCE_IN_PROGRESS until this one rejoins. */
  rebalancing = false;
  /** When each generation's partitions went to others (the generation ended for this member). */
  readonly endedAtMs = new Map<number, number>();
  private nextMember = 1;

  constructor(private readonly sessionTimeoutMs: number) {}

  /** Remove the member if its session expired by `nowMs`. */
  expire(nowMs: number): void {
    if (this.memberId !== "" && nowMs >= this.expiryMs) this.endGeneration(this.expiryMs, true);
  }

  private endGeneration(atMs: number, removeMember: boolean): void {
    if (!this.endedAtMs.has(this.generation)) this.endedAtMs.set(this.generation, atMs);
    this.generation++; // the others form a new generation without this member (or it joins the next)
    if (removeMember) this.memberId = "";
    this.rebalancing = false;
  }

  join(memberId: string, nowMs: number): { memberId: string; generation: number } | RlogError {
    this.expire(nowMs);
    if (memberId !== "" && memberId !== this.memberId) return new RlogError("UNKNOWN_MEMBER", "unknown member");
    this.endGeneration(nowMs, false);
    this.memberId = memberId === "" ? `m${this.nextMember++}` : memberId;
    this.expiryMs = nowMs + this.sessionTimeoutMs;
    return { memberId: this.memberId, generation: this.generation };
  }

  /** The check shared by sync, heartbeat and commit; undefined when the member and generation are current. */
  private current(memberId: string, generation: number, nowMs: number, rng: SeededRandom): RlogError | undefined {
    this.expire(nowMs);
    if (memberId === "" || memberId !== this.memberId) {
      return rng.chance(0.5) ? new RlogError("UNKNOWN_MEMBER", "unknown member") : new RlogError("ILLEGAL_GENERATION", "stale generation");
    }
    if (generation !== this.generation) return new RlogError("ILLEGAL_GENERATION", "stale generation");
    return undefined;
  }

  sync(memberId: string, generation: number, nowMs: number, rng: SeededRandom): readonly TopicPartitions[] | RlogError {
    const refused = this.current(memberId, generation, nowMs, rng);
    if (refused !== undefined) return refused;
    if (this.rebalancing) return new RlogError("REBALANCE_IN_PROGRESS", "rebalancing");
    this.expiryMs = nowMs + this.sessionTimeoutMs;
    return ASSIGNMENT;
  }

  heartbeat(memberId: string, generation: number, nowMs: number, rng: SeededRandom): RlogError | undefined {
    const refused = this.current(memberId, generation, nowMs, rng);
    if (refused !== undefined) return refused;
    if (this.rebalancing) return new RlogError("REBALANCE_IN_PROGRESS", "rebalancing"); // extends nothing
    this.expiryMs = nowMs + this.sessionTimeoutMs;
    return undefined;
  }

  commit(memberId: string, generation: number, nowMs: number, rng: SeededRandom): RlogError | undefined {
    return this.current(memberId, generation, nowMs, rng);
  }

  leave(memberId: string, nowMs: number): void {
    this.expire(nowMs);
    if (memberId !== "" && memberId === this.memberId) this.endGeneration(nowMs, true);
  }
}

/** Run one seed; a state-machine bug is reported as a violation, never thrown. */
export function runMembershipSeed(seed: number, options: MembershipSimOptions = {}): MembershipSimResult {
  const rng = new SeededRandom(seed);
  const trace = options.trace;
  const steps = options.steps ?? MEMBERSHIP_STEPS_DEFAULT;
  const sessionTimeoutMs = rng.pick([300, 600, 1_000]);
  const heartbeatIntervalMs = Math.max(10, Math.floor(sessionTimeoutMs / rng.pick([3, 4, 10])));
  const retry = retryOptions({ retriesMax: rng.int(5), initialBackoffMs: 10, backoffMsMax: 200, totalTimeoutMs: rng.pick([200, 1_000]), leaderChangeBackoffMsMax: 50, leaderPollIntervalMs: 5 });
  const faultRate = rng.pick([0, 0.05, 0.2, 0.4]);
  const rebalanceRate = rng.pick([0, 0.02, 0.1]);
  const fatalRate = rng.chance(0.1) ? 0.02 : 0;
  const latencyMsMax = rng.pick([5, 30, Math.floor(sessionTimeoutMs / 2)]);
  const stopAtStep = rng.chance(0.8) ? rng.int(steps) : steps;
  trace?.(`seed ${seed}: ${JSON.stringify({ sessionTimeoutMs, heartbeatIntervalMs, retry: { ...retry }, faultRate, rebalanceRate, fatalRate, latencyMsMax, stopAtStep })}`);

  const sched = new SimScheduler();
  const machine = new MembershipState({ sessionTimeoutMs, heartbeatIntervalMs, retry }, () => rng.next());
  const model = new ModelCoordinator(sessionTimeoutMs);
  const violations: string[] = [];
  let step = 0;
  let healing = false;
  let stopped = false;
  let failed = false;
  const fail = (what: string): void => {
    violations.push(`step ${step} (t=${sched.nowMs()}): ${what}`);
    trace?.(`VIOLATION ${what}`);
  };

  /** The operation outstanding: its kind, the pending answer (to replace on stop), and what an abort answers. */
  let outstanding: { readonly kind: MemberCommand["type"]; answerId: number; readonly abort: MemberEvent | undefined; readonly generation?: number } | undefined;
  let holding = false;
  /** Latest send time of a sync or heartbeat the coordinator accepted. */
  let lastAcceptedSendMs = Number.NEGATIVE_INFINITY;
  const refusedGenerations = new Set<number>();
  let generations = 0;
  let commitsWritten = 0;
  let ops = 0;
  let lastLeaveOrStop = false;

  const latency = (): number => rng.int(latencyMsMax + 1);
  const lostOrRetriable = (): RlogError => rng.pick([retriable("COORDINATOR_NOT_AVAILABLE"), retriable("NOT_COORDINATOR"), retriable("TIMEOUT"), retriable("BROKER_NOT_AVAILABLE")]);
  const faulty = (): boolean => !healing && rng.chance(faultRate);
  const fatal = (): boolean => !healing && rng.chance(fatalRate);

  const apply = (event: MemberEvent): void => {
    let commands: MemberCommand[];
    try {
      commands = machine.step(event, sched.nowMs());
    } catch (err) {
      fail(`state machine threw on ${event.type}: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    trace?.(`t=${sched.nowMs()} ${event.type}${"error" in event ? ` ${describe(event.error)}` : ""} -> [${machine.phase}] ${commands.map((c) => c.type).join(", ")}`);
    for (const c of commands) run(c);
  };

  /** Answer the outstanding operation with `event` after `delayMs`. */
  const answer = (delayMs: number, event: () => MemberEvent): number =>
    sched.schedule(delayMs, "answer", () => {
      const generation = outstanding?.generation;
      outstanding = undefined;
      const e = event();
      // The member learns here that its generation is over.
      if ((e.type === "heartbeatFailed" || e.type === "syncFailed") && generation !== undefined && e.error instanceof RlogError && (e.error.codeName === "ILLEGAL_GENERATION" || e.error.codeName === "UNKNOWN_MEMBER")) {
        refusedGenerations.add(generation);
      }
      apply(e);
    });

  /** A request: the coordinator handles it after one latency and answers after another. */
  const request = (handle: () => MemberEvent): number => {
    const arriveMs = latency();
    const backMs = latency();
    let result: MemberEvent | undefined;
    // The coordinator acts at arrival; the answer comes back later. Both are one timer: the arrival runs first.
    const id = sched.schedule(arriveMs, "request", () => {
      result = handle();
      if (outstanding !== undefined) outstanding.answerId = answer(backMs, () => result as MemberEvent);
    });
    return id;
  };

  const run = (c: MemberCommand): void => {
    if (OP_COMMANDS.has(c.type)) {
      ops++;
      if (outstanding !== undefined) fail(`${c.type} while ${outstanding.kind} is outstanding`);
    }
    switch (c.type) {
      case "join":
        outstanding = {
          kind: c.type,
          abort: { type: "joinFailed", error: new Error("consumer is closed") },
          answerId: request(() => {
            if (fatal()) return { type: "joinFailed", error: new RlogError("INVALID_REQUEST", "bad join") };
            if (faulty()) return { type: "joinFailed", error: lostOrRetriable() };
            const r = model.join(c.memberId, sched.nowMs());
            if (r instanceof RlogError) return { type: "joinFailed", error: r };
            generations++;
            return { type: "joined", memberId: r.memberId, generation: r.generation };
          }),
        };
        return;
      case "sync": {
        const sentAtMs = sched.nowMs();
        outstanding = {
          kind: c.type,
          generation: c.generation,
          abort: { type: "syncFailed", error: new Error("consumer is closed") },
          answerId: request(() => {
            if (faulty()) return { type: "syncFailed", error: lostOrRetriable() };
            const r = model.sync(c.memberId, c.generation, sched.nowMs(), rng);
            if (r instanceof RlogError) return { type: "syncFailed", error: r };
            lastAcceptedSendMs = Math.max(lastAcceptedSendMs, sentAtMs);
            return { type: "synced", assignment: r, sentAtMs };
          }),
        };
        return;
      }
      case "assign":
        if (holding) fail("an assignment taken before the previous one was revoked");
        holding = true;
        outstanding = {
          kind: c.type,
          abort: undefined,
          answerId: answer(latency(), () =>
            fatal() ? { type: "assignFailed", error: new Error("onAssigned threw") } : faulty() ? { type: "assignFailed", error: lostOrRetriable() } : { type: "assigned" },
          ),
        };
        return;
      case "heartbeat": {
        const sentAtMs = sched.nowMs();
        outstanding = {
          kind: c.type,
          generation: c.generation,
          abort: { type: "heartbeatFailed", error: new Error("consumer is closed") },
          answerId: request(() => {
            if (fatal()) return { type: "heartbeatFailed", error: new RlogError("INVALID_REQUEST", "bad heartbeat") };
            if (faulty()) return { type: "heartbeatFailed", error: lostOrRetriable() };
            const r = model.heartbeat(c.memberId, c.generation, sched.nowMs(), rng);
            if (r !== undefined) return { type: "heartbeatFailed", error: r };
            lastAcceptedSendMs = Math.max(lastAcceptedSendMs, sentAtMs);
            return { type: "heartbeatOk", sentAtMs };
          }),
        };
        return;
      }
      case "revoke":
        outstanding = {
          kind: c.type,
          abort: undefined,
          answerId: answer(latency(), () => {
            holding = false;
            return { type: "revoked" };
          }),
        };
        return;
      case "leave":
        outstanding = {
          kind: c.type,
          abort: undefined,
          answerId: request(() => {
            if (!faulty()) model.leave(c.memberId, sched.nowMs());
            return { type: "left" };
          }),
        };
        return;
      case "startTimer":
        if (machine.phase === MemberPhase.Backoff) {
          const cap = Math.min(retry.backoffMsMax, retry.initialBackoffMs * 2 ** 30);
          if (c.delayMs < retry.initialBackoffMs / 2 || c.delayMs > cap) fail(`rejoin backoff ${c.delayMs} ms outside [${retry.initialBackoffMs / 2}, ${retry.backoffMsMax}]`);
        }
        outstanding = { kind: c.type, abort: { type: "timerFired" }, answerId: answer(c.delayMs, () => ({ type: "timerFired" })) };
        return;
      case "cancelTimer":
        if (outstanding?.kind !== "startTimer") return fail("cancelTimer without a timer");
        sched.cancel(outstanding.answerId);
        outstanding = undefined;
        return;
      case "notify":
      case "log":
        return;
      case "fail":
        failed = true;
        return;
      case "stopped":
        if (stopped) fail("stopped twice");
        stopped = true;
        return;
    }
  };

  const commit = (): void => {
    const id = machine.commitIdentity();
    if (id instanceof RlogError) return; // reported to the caller as that error
    if (id.generation !== machine.generation) fail(`commit offered under generation ${id.generation}, the member is at ${machine.generation}`);
    if (refusedGenerations.has(id.generation)) fail(`commit offered under generation ${id.generation}, which was refused before`);
    const sentGeneration = id.generation;
    sched.schedule(latency(), "commit", () => {
      const r = faulty() ? lostOrRetriable() : model.commit(id.memberId, id.generation, sched.nowMs(), rng);
      if (r === undefined) {
        if (model.generation !== sentGeneration) fail(`commit of generation ${sentGeneration} written while the coordinator is at ${model.generation}`);
        commitsWritten++;
      }
      sched.schedule(latency(), "commit", () => {
        if (r !== undefined && (r.codeName === "ILLEGAL_GENERATION" || r.codeName === "UNKNOWN_MEMBER")) {
          refusedGenerations.add(sentGeneration);
          apply({ type: "commitRejected", generation: sentGeneration, error: r });
        }
      });
    });
  };

  const stop = (): void => {
    if (lastLeaveOrStop) return;
    lastLeaveOrStop = true;
    apply({ type: "stop" });
    // The shell aborts the operation in flight: a join, sync, heartbeat or timer ends at once.
    const o = outstanding;
    if (o !== undefined && o.abort !== undefined && sched.cancel(o.answerId)) {
      const abort = o.abort;
      o.answerId = answer(0, () => abort);
    }
  };

  const checkAll = (): void => {
    const now = sched.nowMs();
    model.expire(now);
    if (machine.mayDispatch(now)) {
      const g = machine.generation;
      const ended = model.endedAtMs.get(g);
      if (ended !== undefined && ended <= now) fail(`generation ${g} still hands out records at ${now}, but its partitions went to others at ${ended}`);
      if (machine.leaseEnd > lastAcceptedSendMs + sessionTimeoutMs) fail(`lease until ${machine.leaseEnd}, past the last accepted send ${lastAcceptedSendMs} + session`);
      if (!holding) fail("hands out records without an assignment");
    }
  };

  apply({ type: "start" });
  for (step = 0; step < steps && violations.length === 0; step++) {
    if (step === stopAtStep) stop();
    const r = rng.next();
    if (r < 0.1) commit();
    else if (r < 0.1 + rebalanceRate) {
      if (!healing && model.memberId !== "") model.rebalancing = true;
    } else if (r < 0.2) sched.advance(rng.int(sessionTimeoutMs));
    else if (!sched.fireNext()) sched.advance(1);
    checkAll();
  }
  healing = true;
  if (violations.length === 0) stop();
  let healSteps = 0;
  for (; violations.length === 0 && sched.pending > 0; healSteps++) {
    if (healSteps > 10_000) {
      fail(`did not stop in 10,000 healing steps; phase ${machine.phase}, pending ${sched.pendingKinds().join(", ")}`);
      break;
    }
    step++;
    sched.fireNext();
    checkAll();
  }
  if (violations.length === 0) {
    if (!stopped || machine.phase !== MemberPhase.Stopped) fail(`did not stop: phase ${machine.phase}${failed ? " (failed)" : ""}`);
    if (outstanding !== undefined) fail(`${outstanding.kind} still outstanding`);
    if (holding) fail("stopped while holding an assignment");
  }
  return { seed, violations, steps: step, generations, commitsWritten, ops };
}

function retriable(name: ErrorName): RlogError {
  return new RlogError(name, "gave up after retries");
}

function describe(err: unknown): string {
  return err instanceof RlogError ? err.codeName : err instanceof Error ? `Error(${err.message})` : String(err);
}
