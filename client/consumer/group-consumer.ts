/**
 * A consumer in a consumer group: the coordinator (the broker leading the
 * group's offsets partition) assigns this member a share of the subscribed
 * topics' partitions; this class reads them with one PartitionFetcher each,
 * hands the records to the application, and commits how far it got.
 *
 * Membership: join -> sync (this member's partitions) -> fetch committed
 * offsets -> onAssigned -> heartbeat every heartbeatIntervalMs. A heartbeat
 * answered REBALANCE_IN_PROGRESS or ILLEGAL_GENERATION (or UNKNOWN_MEMBER,
 * after which the member joins as a new one) starts a revoke: no new record
 * is handed out, the handler in flight finishes, onRevoked runs, the
 * processed offsets are committed, the fetchers stop, and the member rejoins
 * (eager rebalancing; the coordinator's sticky strategy usually hands most
 * partitions back). Every decision of that lifecycle is made by the pure
 * MembershipState (membership-state.ts, its phases and the lease rule are
 * described there); this class is its shell: it performs the operations
 * the state machine asks for (requests through the client's one Retrier,
 * fetchers, the application's callbacks, timers) and feeds back their
 * outcomes, with the time of the SDK's clock.
 *
 * At least once: an offset is committed only after the handler finished
 * with the record before it (`processed`). Commits happen every
 * autoCommitIntervalMs (unless 0), on revoke, on stop, and on commit().
 * A partition without a committed offset starts at the earliest offset
 * with `fromBeginning`, else at the latest.
 *
 * Lease: a record is handed out only while the member is sure it still
 * owns its partitions: within sessionTimeoutMs of sending the last
 * heartbeat (or sync) the coordinator answered "fine". The coordinator
 * removes a member only after that long without such a heartbeat, and
 * heartbeats answered REBALANCE_IN_PROGRESS extend nothing on either side,
 * so the partitions of a member that is cut off are handed to another
 * member only after it stopped handing out their records (a handler call
 * that already started may still be running; docs/GROUPS.md). When the
 * lease lapses (coordinator failover, network trouble) dispatch pauses, and
 * resumes if a later heartbeat is answered "fine" in the same generation.
 */
import { ErrorCode, invalidField, RlogError } from "../../broker/protocol/errors.js";
import type { RequestOf, ResultOf } from "../../broker/protocol/ops.js";
import type { CommitOffset, TopicPartition } from "../../broker/protocol/requests.js";
import type { TopicPartitions } from "../../broker/protocol/results.js";
import { CallState, type Cluster, type TopicPartitionRef } from "../cluster/cluster.js";
import { ClosedError } from "../network/client-errors.js";
import type { RequestOp } from "../network/connection.js";
import { isRetriableError } from "../retry/retry-options.js";
import { realClock, type Clock } from "../util/clock.js";
import { pause } from "../util/sleep.js";
import { WakeSignal } from "../util/wake-signal.js";
import type { ConsumerRecord, StartFrom } from "./consumer-types.js";
import {
  ASSIGNMENT_STRATEGY_CODES,
  resolveGroupOptions,
  type GroupConsumerOptions,
  type GroupEachBatchPayload,
  type GroupPartitionPosition,
  type GroupRunHandlers,
  type ResolvedGroupOptions,
  type SubscribeOptions,
} from "./group-types.js";
import { MembershipState, type MemberCommand, type MemberEvent } from "./membership-state.js";
import { PartitionFetcher, type FetcherDeps } from "./partition-fetcher.js";

/** Records taken from one partition before the next partition gets its turn. */
const BURST_RECORDS_MAX = 64;
/** Most records in one eachBatch call. */
const BATCH_RECORDS_MAX = 10_000;
/** How long a leaveGroup may take per attempt on stop(). */
const LEAVE_TIMEOUT_MS = 5_000;

/** A partition this member owns in the current generation. */
interface Owned {
  readonly tp: TopicPartitionRef;
  readonly key: string;
  readonly fetcher: PartitionFetcher;
  /** The offset after the last record the handler finished; undefined before the first. */
  processed: number | undefined;
  /** The offset last committed (or found committed at assignment). */
  committed: number | undefined;
}

/** Internals a test may replace: the SDK's clock and the jitter source (Math.random by default). */
export interface GroupConsumerInternals {
  readonly clock?: Clock;
  readonly random?: () => number;
}

/** What next() hands out. */
type Item = { readonly record: ConsumerRecord; readonly owned: Owned } | { readonly error: unknown };

/** See the file comment. Create with `client.consumer({ groupId })`. */
export class GroupConsumer {
  /** The group this consumer is a member of. */
  readonly groupId: string;
  private readonly options: ResolvedGroupOptions;
  private readonly deps: FetcherDeps;
  private subscription: SubscribeOptions | undefined;
  private readonly clock: Clock;
  /** Every membership decision; see membership-state.ts. */
  private readonly membership: MembershipState;
  private owned = new Map<string, Owned>();
  private order: Owned[] = [];
  private cursor = 0;
  private burst = 0;
  private readonly ready = new WakeSignal();
  private readonly stopController = new AbortController();
  /** The membership's timer (to the next heartbeat, or the backoff before a rejoin). */
  private timer: { readonly cancel: () => void } | undefined;
  /** Events waiting to be applied (an event that arrives while another is applied goes after it). */
  private readonly events: MemberEvent[] = [];
  private applying = false;
  private started = false;
  private markStopped: () => void = () => undefined;
  /** Resolves once the membership reached Stopped (revoked and left). */
  private readonly membershipStopped = new Promise<void>((resolve) => {
    this.markStopped = resolve;
  });
  /** A handler call (or the iterator's loop body) is running. */
  private busy = false;
  /** Waiters for !busy: revoke and stop (at most two). */
  private idleWaiters: (() => void)[] = [];
  private autoCommitLoop: Promise<void> | undefined;
  /** Commits go out one at a time, in order. */
  private commitChain: Promise<void> = Promise.resolve();
  /** The error that ended the membership, handed to run()/records(). */
  private failure: unknown;
  /** Processed offsets of the generation just revoked: valid starts only for this member's very next generation. */
  private carried: { readonly memberId: string; readonly generation: number; readonly processed: Map<string, number> } | undefined;
  private heartbeatRouting = new CallState();
  private looping = false;
  private stopping: Promise<void> | undefined;

  /**
   * Use `client.consumer({ groupId })`.
   * @param onStopped called once stop() has finished
   * @param internals the clock and jitter source (tests)
   */
  constructor(
    private readonly cluster: Cluster,
    options: GroupConsumerOptions,
    private readonly onStopped: () => void = () => undefined,
    internals: GroupConsumerInternals = {},
  ) {
    this.options = resolveGroupOptions(options);
    this.groupId = this.options.groupId;
    this.clock = internals.clock ?? realClock;
    const random = internals.random ?? Math.random;
    this.deps = { cluster, options, random, onReady: () => this.ready.notify() };
    const o = this.options;
    this.membership = new MembershipState({ sessionTimeoutMs: o.sessionTimeoutMs, heartbeatIntervalMs: o.heartbeatIntervalMs, retry: cluster.retrier.options }, random);
  }

  /** The member id the coordinator gave this consumer ("" before the first join). */
  get memberId(): string {
    return this.membership.memberId;
  }

  /** The generation of the current assignment (0 before the first). */
  get generation(): number {
    return this.membership.generation;
  }

  /** Set the topics to consume. Call once, before run() or records(). */
  subscribe(options: SubscribeOptions): void {
    this.throwIfStopped();
    if (this.looping) throw new Error("subscribe() must come before run() or records()");
    if (!Array.isArray(options?.topics) || options.topics.length === 0) throw invalidField("topics", "give at least one topic");
    options.topics.forEach((t, i) => {
      if (typeof t !== "string" || t === "") throw invalidField(`topics[${i}]`, "expected a topic name");
    });
    this.subscription = { ...options, topics: [...new Set(options.topics)] };
  }

  /** The partitions this member owns now. */
  assignment(): TopicPartitionRef[] {
    return this.order.map((o) => ({ ...o.tp }));
  }

  /** Per owned partition: processed and committed offsets, and the high watermark at the last fetch. */
  positions(): GroupPartitionPosition[] {
    return this.order.map((o) => ({ ...o.tp, processed: o.processed, committed: o.committed, position: o.fetcher.position, highWatermark: o.fetcher.lastHighWatermark }));
  }

  /** Whether the member holds an assignment and may hand out its records now. */
  get isStable(): boolean {
    return this.canDispatch();
  }

  /**
   * Call a handler for each record (`eachRecord`) or each run of one
   * partition's records (`eachBatch`), one call at a time, until stop().
   * Resolves when stopped; rejects (and stops, committing what was
   * processed) when a handler throws or the membership fails for good.
   */
  async run(handlers: GroupRunHandlers): Promise<void> {
    const { eachRecord, eachBatch } = handlers;
    if ((eachRecord === undefined) === (eachBatch === undefined)) throw new TypeError("run() needs exactly one of eachRecord and eachBatch");
    this.beginLoop();
    try {
      while (this.stopping === undefined) {
        if (this.failure !== undefined) throw this.failure;
        if (!this.canDispatch()) {
          await this.ready.wait();
          continue;
        }
        if (eachBatch === undefined) {
          const item = this.next();
          if (item === undefined) {
            await this.ready.wait();
            continue;
          }
          if ("error" in item) throw item.error;
          this.setBusy(true);
          try {
            await eachRecord?.(item.record);
            item.owned.processed = item.record.offset + 1;
          } catch (err) {
            item.owned.fetcher.seek({ offset: item.record.offset });
            throw err;
          } finally {
            this.setBusy(false);
          }
        } else {
          const picked = this.nextBatch();
          if (picked === undefined) {
            await this.ready.wait();
            continue;
          }
          if ("error" in picked) throw picked.error;
          const { owned, records } = picked;
          const first = records[0] as ConsumerRecord;
          const last = records[records.length - 1] as ConsumerRecord;
          let resolved: number | undefined;
          const payload: GroupEachBatchPayload = {
            topic: owned.tp.topic,
            partition: owned.tp.partition,
            records,
            highWatermark: owned.fetcher.lastHighWatermark,
            resolveOffset: (offset: number) => {
              if (offset >= first.offset - 1 && offset <= last.offset) resolved = Math.max(resolved ?? offset, offset);
            },
          };
          this.setBusy(true);
          try {
            await eachBatch(payload);
            const done = resolved ?? last.offset;
            if (done >= first.offset) owned.processed = done + 1;
            if (done < last.offset) owned.fetcher.seek({ offset: done + 1 }); // hand the rest out again
          } catch (err) {
            owned.fetcher.seek({ offset: resolved === undefined ? first.offset : resolved + 1 });
            if (resolved !== undefined && resolved >= first.offset) owned.processed = resolved + 1;
            throw err;
          } finally {
            this.setBusy(false);
          }
        }
      }
    } finally {
      this.looping = false;
      await this.stop();
    }
  }

  /**
   * The records of this member's partitions, as they arrive. A record counts
   * as processed once the loop asks for the next one (the record in hand
   * when the loop is left is not). Leaving the loop stops the consumer.
   */
  async *records(): AsyncGenerator<ConsumerRecord, void, undefined> {
    this.beginLoop();
    let inHand: { readonly owned: Owned; readonly offset: number } | undefined;
    try {
      while (this.stopping === undefined) {
        if (inHand !== undefined) {
          inHand.owned.processed = inHand.offset + 1;
          inHand = undefined;
          this.setBusy(false);
        }
        if (this.failure !== undefined) throw this.failure;
        if (!this.canDispatch()) {
          await this.ready.wait();
          continue;
        }
        const item = this.next();
        if (item === undefined) {
          await this.ready.wait();
          continue;
        }
        if ("error" in item) throw item.error;
        this.setBusy(true);
        inHand = { owned: item.owned, offset: item.record.offset };
        yield item.record;
      }
    } finally {
      this.setBusy(false);
      this.looping = false;
      await this.stop();
    }
  }

  /**
   * Commit the processed offsets of the owned partitions now.
   * @throws RlogError ILLEGAL_GENERATION / UNKNOWN_MEMBER when the member lost its partitions (it rejoins by itself)
   */
  async commit(): Promise<void> {
    await this.commitOwned(true);
  }

  /**
   * Stop: the handler in flight finishes, onRevoked runs, the processed
   * offsets are committed, and the member leaves the group (its partitions
   * go to the others at once). Idempotent; a stopped consumer cannot restart.
   * Inside a handler, call it without awaiting it (it waits for the handler).
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.ready.notify();
      await this.whenIdle();
      // The state machine hears of the stop first, so the operation the abort ends counts as stopped.
      this.apply({ type: "stop" });
      this.stopController.abort(new ClosedError("consumer"));
      await this.autoCommitLoop;
      await this.membershipStopped; // the operation in flight ended, then revoke, then leaveGroup
      this.onStopped();
    })();
    return this.stopping;
  }

  // ------------------------------------------------------------ membership shell

  private beginLoop(): void {
    this.throwIfStopped();
    if (this.subscription === undefined) throw new Error("call subscribe() before run() or records()");
    if (this.looping) throw new Error("records() or run() is already running on this consumer");
    this.looping = true;
    if (!this.started) {
      this.started = true;
      this.apply({ type: "start" });
    }
    if (this.options.autoCommitIntervalMs > 0) this.autoCommitLoop ??= this.autoCommit();
  }

  private canDispatch(): boolean {
    return this.stopping === undefined && this.membership.mayDispatch(this.clock.nowMs());
  }

  /** Apply an event to the state machine and run its commands (events arriving meanwhile go after it). */
  private apply(event: MemberEvent): void {
    this.events.push(event);
    if (this.applying) return;
    this.applying = true;
    try {
      for (let e = this.events.shift(); e !== undefined; e = this.events.shift()) {
        for (const command of this.membership.step(e, this.clock.nowMs())) this.runCommand(command);
      }
    } finally {
      this.applying = false;
    }
  }

  /** Run one command; an operation's outcome comes back through apply(). */
  private runCommand(c: MemberCommand): void {
    const signal = this.stopController.signal;
    switch (c.type) {
      case "join":
        this.perform(this.join(c.memberId, signal), (r) => ({ type: "joined", memberId: r.memberId, generation: r.generation }), (error) => ({ type: "joinFailed", error }));
        return;
      case "sync": {
        const sentAtMs = this.clock.nowMs();
        const request: RequestOf<"syncGroup"> = { op: "syncGroup", group: this.groupId, generation: c.generation, memberId: c.memberId };
        this.perform(this.call<"syncGroup">(request, undefined, signal), (r) => ({ type: "synced", assignment: r.assignment, sentAtMs }), (error) => ({ type: "syncFailed", error }));
        return;
      }
      case "assign":
        this.perform(this.take(c.assignment, signal), () => ({ type: "assigned" }), (error) => ({ type: "assignFailed", error }));
        return;
      case "heartbeat":
        this.heartbeat(c.memberId, c.generation, signal);
        return;
      case "revoke":
        this.perform(this.revoke(), () => ({ type: "revoked" }), () => ({ type: "revoked" }));
        return;
      case "leave":
        this.perform(this.leave(c.memberId), () => ({ type: "left" }), () => ({ type: "left" }));
        return;
      case "startTimer":
        this.startTimer(c.delayMs, signal);
        return;
      case "cancelTimer":
        this.timer?.cancel();
        this.timer = undefined;
        return;
      case "notify":
        this.ready.notify();
        return;
      case "log":
        if (c.message === "joined the group") {
          this.cluster.logger.info({ group: this.groupId, memberId: this.memberId, generation: this.generation, partitions: this.order.length }, c.message);
        } else {
          this.log(c.level, c.error, c.message);
        }
        return;
      case "fail":
        this.failure = c.error;
        this.ready.notify();
        return;
      case "stopped":
        this.markStopped();
        return;
    }
  }

  /** Feed an operation's outcome back to the state machine. */
  private perform<T>(operation: Promise<T>, ok: (value: T) => MemberEvent, failed: (error: unknown) => MemberEvent): void {
    operation.then(
      (value) => this.apply(ok(value)),
      (error: unknown) => this.apply(failed(error)),
    );
  }

  private join(memberId: string, signal: AbortSignal): Promise<ResultOf<"joinGroup">> {
    const o = this.options;
    const sub = this.subscription as SubscribeOptions;
    // The coordinator answers a join once the whole group has rejoined: up to the rebalance timeout.
    const joinWaitMs = o.rebalanceTimeoutMs + o.sessionTimeoutMs + this.cluster.options.requestTimeoutMs;
    return this.call<"joinGroup">(
      {
        op: "joinGroup",
        group: this.groupId,
        memberId,
        topics: sub.topics,
        sessionTimeoutMs: o.sessionTimeoutMs,
        rebalanceTimeoutMs: o.rebalanceTimeoutMs,
        assignmentStrategy: ASSIGNMENT_STRATEGY_CODES[o.assignmentStrategy],
      },
      joinWaitMs,
      signal,
    );
  }

  /** One heartbeat attempt (the state machine decides what a failure means). */
  private heartbeat(memberId: string, generation: number, signal: AbortSignal): void {
    const sentAtMs = this.clock.nowMs();
    this.cluster
      .attemptCoordinator<"heartbeat">(this.groupId, { op: "heartbeat", group: this.groupId, generation, memberId }, this.heartbeatRouting, {
        timeoutMs: Math.max(1_000, this.options.heartbeatIntervalMs),
        signal,
      })
      .then(
        () => {
          this.heartbeatRouting = new CallState();
          this.apply({ type: "heartbeatOk", sentAtMs });
        },
        (error: unknown) => {
          if (!signal.aborted && isRetriableError(error)) this.cluster.onCoordinatorError(error, this.groupId, this.heartbeatRouting);
          this.apply({ type: "heartbeatFailed", error });
        },
      );
  }

  private async leave(memberId: string): Promise<void> {
    try {
      await this.cluster.coordinatorRequest<"leaveGroup">(this.groupId, { op: "leaveGroup", group: this.groupId, memberId }, { timeoutMs: LEAVE_TIMEOUT_MS });
    } catch (err) {
      this.log("warn", err, "leaveGroup failed; the coordinator removes this member when its session expires");
    }
  }

  /** timerFired after delayMs, or at once when the consumer stops. */
  private startTimer(delayMs: number, signal: AbortSignal): void {
    this.timer?.cancel();
    const fire = (): void => {
      clearTimeout(handle);
      signal.removeEventListener("abort", fire);
      if (this.timer !== timer) return;
      this.timer = undefined;
      this.apply({ type: "timerFired" });
    };
    const handle = setTimeout(fire, Math.max(0, delayMs));
    const timer = {
      cancel: (): void => {
        clearTimeout(handle);
        signal.removeEventListener("abort", fire);
      },
    };
    this.timer = timer;
    if (signal.aborted) queueMicrotask(fire);
    else signal.addEventListener("abort", fire, { once: true });
  }

  /** Start reading an assignment: committed offsets (or carried positions), fetchers, onAssigned. */
  private async take(assignment: readonly TopicPartitions[], signal: AbortSignal): Promise<void> {
    const tps: TopicPartition[] = assignment.flatMap((a) => a.partitions.map((partition) => ({ topic: a.topic, partition })));
    const committed = new Map<string, number>();
    if (tps.length > 0) {
      const r = await this.call<"fetchOffsets">({ op: "fetchOffsets", group: this.groupId, partitions: tps }, undefined, signal);
      for (const c of r.offsets) committed.set(keyOf(c), c.offset);
    }
    const { memberId, generation } = this.membership;
    const carried = this.carried !== undefined && this.carried.memberId === memberId && this.carried.generation + 1 === generation ? this.carried.processed : undefined;
    this.carried = undefined;
    const fromBeginning = this.subscription?.fromBeginning ?? false;
    const owned: Owned[] = tps.map((tp) => {
      const key = keyOf(tp);
      const c = committed.get(key);
      const mine = carried?.get(key);
      const start = mine === undefined ? c : Math.max(mine, c ?? 0);
      const from: StartFrom = start !== undefined ? { offset: start } : fromBeginning ? "earliest" : "latest";
      return { tp, key, fetcher: new PartitionFetcher(tp, from, this.deps), processed: mine, committed: c };
    });
    this.owned = new Map(owned.map((x) => [x.key, x]));
    this.order = owned;
    this.cursor = 0;
    this.burst = 0;
    for (const x of owned) x.fetcher.start();
    await this.subscription?.onAssigned?.(tps.map((tp) => ({ ...tp })));
  }

  /** Give every owned partition up: wait for the handler, onRevoked, commit, stop the fetchers. */
  private async revoke(): Promise<void> {
    this.ready.notify();
    if (this.order.length === 0) return;
    await this.whenIdle();
    const tps = this.order.map((x) => ({ ...x.tp }));
    try {
      await this.subscription?.onRevoked?.(tps);
    } catch (err) {
      this.log("warn", err, "onRevoked threw");
    }
    await this.commitOwned(false);
    this.carried = {
      memberId: this.membership.memberId,
      generation: this.membership.generation,
      processed: new Map(this.order.filter((x) => x.processed !== undefined).map((x) => [x.key, x.processed as number])),
    };
    const fetchers = this.order.map((x) => x.fetcher);
    this.owned = new Map();
    this.order = [];
    await Promise.all(fetchers.map((f) => f.stop()));
  }

  private async autoCommit(): Promise<void> {
    const signal = this.stopController.signal;
    while (!signal.aborted) {
      await pause(this.options.autoCommitIntervalMs, signal);
      if (signal.aborted) break;
      if (this.membership.mayAutoCommit) await this.commitOwned(false);
    }
  }

  /** Commit processed offsets that moved; `surface` throws failures (commit()), else they are logged. */
  private commitOwned(surface: boolean): Promise<void> {
    const run = async (): Promise<void> => {
      const changed = this.order.filter((x) => x.processed !== undefined && x.processed !== x.committed);
      if (changed.length === 0) return;
      // No member id, or a generation already refused: the coordinator would refuse this commit too.
      const id = this.membership.commitIdentity();
      if (id instanceof RlogError) {
        if (surface) throw id;
        return;
      }
      const offsets: CommitOffset[] = changed.map((x) => ({ topic: x.tp.topic, partition: x.tp.partition, offset: x.processed as number }));
      try {
        await this.cluster.coordinatorRequest<"commitOffsets">(this.groupId, { op: "commitOffsets", group: this.groupId, generation: id.generation, memberId: id.memberId, offsets });
      } catch (err) {
        if (err instanceof RlogError && (err.code === ErrorCode.ILLEGAL_GENERATION || err.code === ErrorCode.UNKNOWN_MEMBER)) {
          this.apply({ type: "commitRejected", generation: id.generation, error: err });
        }
        if (surface) throw err;
        this.log("warn", err, "commit failed; those records may be handled again by the next owner");
        return;
      }
      for (const [i, x] of changed.entries()) x.committed = offsets[i]!.offset;
    };
    const p = this.commitChain.then(run);
    this.commitChain = p.catch(() => undefined);
    return p;
  }

  /**
   * A coordinator request through the client's one Retrier: bounded by the
   * retry options (retriesMax, totalTimeoutMs; plus `attemptTimeoutMs` when a
   * single attempt may wait long, as a join does), stopped by stop().
   * @param attemptTimeoutMs each attempt's timeout; the client's request timeout when undefined
   */
  private call<O extends RequestOp>(request: RequestOf<O>, attemptTimeoutMs: number | undefined, signal: AbortSignal): Promise<ResultOf<O>> {
    const state = new CallState();
    const { retrier } = this.cluster;
    const totalTimeoutMs = retrier.options.totalTimeoutMs + (attemptTimeoutMs ?? 0);
    return retrier.run(
      (ctx) => {
        const timeoutMs = attemptTimeoutMs ?? Math.min(this.cluster.options.requestTimeoutMs, ctx.remainingMs);
        return this.cluster.attemptCoordinator<O>(this.groupId, request, state, { timeoutMs, signal });
      },
      {
        signal,
        totalTimeoutMs,
        onRetriable: (err, attempt) => {
          if (attempt === 1 || attempt % 10 === 0) this.log("warn", err, `${request.op} failed; retrying`);
          return this.cluster.onCoordinatorError(err, this.groupId, state);
        },
      },
    );
  }

  // ------------------------------------------------------------ dispatch

  private setBusy(busy: boolean): void {
    this.busy = busy;
    if (busy) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private whenIdle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The next record round-robin (up to a burst per partition), or a partition's failure. */
  private next(): Item | undefined {
    const n = this.order.length;
    for (let i = 0; i < n; i++) {
      const at = (this.cursor + i) % n;
      const owned = this.order[at] as Owned;
      const polled = owned.fetcher.poll();
      if (polled === undefined) continue;
      if (at !== this.cursor || ++this.burst >= BURST_RECORDS_MAX) {
        this.cursor = at === this.cursor ? (at + 1) % n : at;
        this.burst = 0;
      }
      return "record" in polled ? { record: polled.record, owned } : polled;
    }
    return undefined;
  }

  /** The buffered records of the next partition that has some, or a partition's failure. */
  private nextBatch(): { readonly records: ConsumerRecord[]; readonly owned: Owned } | { readonly error: unknown } | undefined {
    const n = this.order.length;
    for (let i = 0; i < n; i++) {
      const at = (this.cursor + i) % n;
      const owned = this.order[at] as Owned;
      const polled = owned.fetcher.pollBatch(BATCH_RECORDS_MAX);
      if (polled === undefined) continue;
      this.cursor = (at + 1) % n;
      return "records" in polled ? { records: polled.records, owned } : polled;
    }
    return undefined;
  }

  private log(level: "debug" | "info" | "warn" | "error", err: unknown, message: string): void {
    const code = err instanceof RlogError ? err.codeName : undefined;
    this.cluster.logger[level]({ group: this.groupId, code, err: err instanceof Error ? err.message : String(err) }, message);
  }

  private throwIfStopped(): void {
    if (this.stopping !== undefined) throw new ClosedError("consumer");
  }
}

function keyOf(tp: TopicPartitionRef): string {
  return `${tp.topic}\u0000${tp.partition}`;
}
