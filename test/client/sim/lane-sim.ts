/**
 * A seeded simulation of one producer partition lane (client/producer/lane-state.ts)
 * against a model broker: a fake clock, a workload that appends records and
 * flushes, and a broker that answers every produce (after a random delay,
 * so answers overtake each other) with success or a fault: NOT_LEADER with
 * or without a hint, LEADER_NOT_AVAILABLE, TIMEOUT and a lost connection
 * (either after the write or before it), NOT_ENOUGH_REPLICAS, UNKNOWN_TOPIC,
 * OUT_OF_ORDER_SEQUENCE from its sequence check, DUPLICATE_SEQUENCE for a
 * resend, PRODUCER_FENCED, a non-retriable error, a non-RlogError. Producer
 * ids may fail to come. A run is a fault phase, then a healing phase
 * (no faults, no new records) that must settle everything.
 *
 * Checked after every step (a violation names the step and the seed):
 * - every batch is settled at most once, and only batches the lane made;
 * - the lane's pending batches are exactly the driver's unsettled ones;
 * - in flight <= inflightRequestsMax; buffered bytes <= the budget;
 * - an acknowledged record sits at its acknowledged offset in the model log;
 * - idempotent: no record twice in the model log, records in append order;
 *   acknowledgements in append order;
 * - no second linger timer, pause or producer-id request while one is pending.
 * - idempotent: a batch fails OUT_OF_ORDER_SEQUENCE only past its deadline,
 *   with retriesMax 0, or after a batch under its producer id failed (a real gap):
 *   an OOS while every earlier batch is written is a broker that is behind.
 * At the end: every record acknowledged or failed, nothing in flight, no timer left.
 *
 * Stale leaders (in some runs, drawn from a second random stream so the
 * other runs replay as before): the model leader is now and then deposed
 * (the log length at that moment is the old leader's prefix), and a send
 * may reach that old leader, which still believes it leads and answers from
 * its prefix: the original offsets for a batch it holds, OUT_OF_ORDER_SEQUENCE
 * when it lacks the batch's predecessor (written since, and maybe already
 * acknowledged to the client), else NOT_LEADER or TIMEOUT (it cannot commit).
 *
 * Model limits: a write happens when a request arrives; a request never
 * lands after its answer was given (no ghost writes after a client timeout).
 */
import { ErrorCode, RlogError, type ErrorName } from "../../../broker/protocol/errors.js";
import { SeededRandom } from "../../../broker/raft/random.js";
import { LaneState, type BatchStamp, type LaneCommand, type LaneConfig, type LaneEvent } from "../../../client/producer/lane-state.js";
import { retryOptions } from "../../../client/retry/retry-options.js";
import { SimScheduler } from "./scheduler.js";

/** Options of one run. */
export interface LaneSimOptions {
  /** Fault-phase steps. */
  readonly steps?: number;
  /** Called with each trace line (--verbose). */
  readonly trace?: (line: string) => void;
}

/** What one run found. */
export interface LaneSimResult {
  readonly seed: number;
  readonly violations: string[];
  readonly records: number;
  readonly acked: number;
  readonly failed: number;
  readonly sends: number;
  readonly steps: number;
}

/** The command that replays one seed. */
export function laneReplayCommand(seed: number, steps: number = LANE_STEPS_DEFAULT): string {
  return `npx tsc -p . && node dist/test/client/sim/main.js lane --seed ${seed} --runs 1 --steps ${steps} --verbose`;
}

const BUDGET_BYTES_MAX = 400;
/** Fault-phase steps of a run by default. */
export const LANE_STEPS_DEFAULT = 150;

interface ModelProducer {
  nextSequence: number;
  readonly recent: { readonly baseSequence: number; readonly count: number; readonly baseOffset: number }[];
}

/** The broker's side of one partition: its log of record ids and the idempotence state. */
class ModelPartition {
  readonly log: number[] = [];
  private readonly producers = new Map<number, ModelProducer>();
  private nextProducerId = 1000;
  fenced = false;

  newProducerId(): number {
    return this.nextProducerId++;
  }

  /** Every idempotent batch written, in log order (for a stale leader's view of a prefix). */
  private readonly written: { readonly producerId: number; readonly baseSequence: number; readonly count: number; readonly baseOffset: number }[] = [];
  /** The log length when the leader was last deposed: the old leader's log (it may still answer). */
  deposedAt = 0;

  /**
   * The old leader's answer (it believes it still leads, and holds the log
   * up to deposedAt): the original offsets for a batch it holds (committed
   * before it was deposed), OUT_OF_ORDER_SEQUENCE when the batch's
   * predecessor is missing from its log, else NOT_LEADER or TIMEOUT (it
   * could append but never commit; nothing reaches the real log).
   */
  staleAnswer(count: number, stamp: BatchStamp | undefined, rng: SeededRandom): { baseOffset: number } | RlogError {
    if (stamp !== undefined) {
      let last: (typeof this.written)[number] | undefined;
      for (const b of this.written) {
        if (b.baseOffset >= this.deposedAt) break;
        if (b.producerId !== stamp.producerId) continue;
        if (b.baseSequence === stamp.baseSequence && b.count === count) return { baseOffset: b.baseOffset };
        last = b;
      }
      if (last !== undefined && stamp.baseSequence > last.baseSequence + last.count) {
        return new RlogError("OUT_OF_ORDER_SEQUENCE", `stale leader: expected ${last.baseSequence + last.count}, got ${stamp.baseSequence}`);
      }
    }
    return rng.chance(0.5) ? new RlogError("NOT_LEADER", "stale leader stepped down") : new RlogError("TIMEOUT", "stale leader cannot commit");
  }

  /** Write a batch (or recognise a resend); returns the answer. */
  write(recordIds: readonly number[], stamp: BatchStamp | undefined, rng: SeededRandom): { baseOffset: number } | RlogError {
    if (stamp !== undefined) {
      let p = this.producers.get(stamp.producerId);
      if (p !== undefined) {
        const dup = p.recent.find((r) => r.baseSequence === stamp.baseSequence && r.count === recordIds.length);
        if (dup !== undefined) {
          return rng.chance(0.5) ? { baseOffset: dup.baseOffset } : new RlogError("DUPLICATE_SEQUENCE", "resent", { baseOffset: dup.baseOffset });
        }
        if (stamp.baseSequence !== p.nextSequence) return new RlogError("OUT_OF_ORDER_SEQUENCE", `expected ${p.nextSequence}, got ${stamp.baseSequence}`);
      } else {
        p = { nextSequence: 0, recent: [] }; // an id the broker does not know takes any first sequence
        this.producers.set(stamp.producerId, p);
      }
      const baseOffset = this.log.length;
      this.log.push(...recordIds);
      p.nextSequence = stamp.baseSequence + recordIds.length;
      p.recent.push({ baseSequence: stamp.baseSequence, count: recordIds.length, baseOffset });
      if (p.recent.length > 5) p.recent.shift();
      this.written.push({ producerId: stamp.producerId, baseSequence: stamp.baseSequence, count: recordIds.length, baseOffset });
      return { baseOffset };
    }
    const baseOffset = this.log.length;
    this.log.push(...recordIds);
    return { baseOffset };
  }
}

type Fault = "ok" | "hint" | "noHint" | "lna" | "timeoutWritten" | "timeoutLost" | "connWritten" | "connLost" | "replicas" | "unknownTopic" | "invalid" | "fenced" | "bug";

/** Run one seed; never throws for a lane bug (it is reported as a violation). */
export function runLaneSeed(seed: number, options: LaneSimOptions = {}): LaneSimResult {
  const rng = new SeededRandom(seed);
  const trace = options.trace;
  const steps = options.steps ?? LANE_STEPS_DEFAULT;
  const idempotent = rng.chance(0.8);
  const config: LaneConfig = {
    idempotent,
    acks: "all", // the model's acknowledged writes are never lost
    inflightRequestsMax: 1 + rng.int(5),
    batchBytesMax: rng.pick([60, 120, 1_000]),
    batchRecordsMax: 1 + rng.int(6),
    ackTimeoutMs: 200,
    requestTimeoutMs: 100,
    retry: retryOptions({
      retriesMax: rng.int(6),
      initialBackoffMs: 5,
      backoffMsMax: 50,
      totalTimeoutMs: rng.pick([300, 1_000, 3_000]),
      leaderChangeBackoffMsMax: 20,
      leaderPollIntervalMs: 5,
    }),
    sequenceMax: rng.chance(0.3) ? 10 + rng.int(30) : 0x7fff_ffff,
  };
  const lingerMs = rng.int(8);
  const faultRate = rng.pick([0, 0.1, 0.3, 0.6]);
  const fenceRate = rng.chance(0.1) ? 0.02 : 0;
  const sessionFailRate = rng.chance(0.2) ? 0.3 : 0;
  // Stale leaders come from a second stream: runs without them replay exactly as before they were modelled.
  const staleRng = new SeededRandom(seed ^ 0x5a1e_1eaf);
  const staleRate = idempotent && staleRng.chance(0.5) ? staleRng.pick([0.05, 0.2]) : 0;
  trace?.(`seed ${seed}: ${JSON.stringify({ ...config, retry: { ...config.retry }, lingerMs, faultRate, fenceRate, sessionFailRate, staleRate })}`);

  const sched = new SimScheduler();
  const lane = new LaneState(config, () => rng.next());
  const model = new ModelPartition();
  const violations: string[] = [];
  let step = 0;
  let healing = false;
  const fail = (what: string): void => {
    violations.push(`step ${step} (t=${sched.nowMs()}): ${what}`);
    trace?.(`VIOLATION ${what}`);
  };

  // Driver bookkeeping.
  let nextRecordId = 0;
  const recordBytes = new Map<number, number>();
  const batchRecords = new Map<number, number[]>();
  /** Per batch: its stamp (idempotent, once sent) and when it was made (its deadline is that + totalTimeoutMs). */
  const batchStamps = new Map<number, BatchStamp>();
  const batchMadeMs = new Map<number, number>();
  /** Producer ids under which a batch failed (a real gap: the lane fails the others and moves to a fresh id). */
  const gapIds = new Set<number>();
  const settledBatches = new Set<number>();
  const unsettled = new Set<number>();
  const acked = new Map<number, number>(); // record id -> offset
  const failed = new Set<number>();
  let usedBytes = 0;
  let lingerTimer: number | undefined;
  let pauseTimer: number | undefined;
  let sessionPending = false;
  let inflightSends = 0;
  let sends = 0;
  let appending: number | undefined;
  let logChecked = 0;
  let lastLogged = -1;
  const loggedIds = new Set<number>();

  const apply = (event: LaneEvent): void => {
    let commands: LaneCommand[];
    try {
      commands = lane.step(event, sched.nowMs());
    } catch (err) {
      fail(`lane threw on ${event.type}: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    trace?.(`t=${sched.nowMs()} ${JSON.stringify(event, errorJson)} [${lane.phase}] -> ${commands.map((c) => c.type + ("serial" in c ? ` ${c.serial}` : "")).join(", ")}`);
    for (const c of commands) run(c);
  };

  const settle = (serial: number): number[] | undefined => {
    if (settledBatches.has(serial)) {
      fail(`batch ${serial} settled twice`);
      return undefined;
    }
    const ids = batchRecords.get(serial);
    if (ids === undefined) {
      fail(`batch ${serial} settled but never made`);
      return undefined;
    }
    settledBatches.add(serial);
    unsettled.delete(serial);
    for (const id of ids) usedBytes -= recordBytes.get(id) ?? 0;
    return ids;
  };

  const answerSend = (serial: number, stamp: BatchStamp | undefined): void => {
    inflightSends--;
    const ids = batchRecords.get(serial) ?? [];
    if (staleRate > 0 && !healing && !model.fenced) {
      if (staleRng.chance(staleRate)) model.deposedAt = model.log.length; // a leader change: the old leader keeps this prefix
      if (staleRng.chance(staleRate)) {
        // The request reached the old leader (a lagging broker's metadata or hint named it).
        const answer = model.staleAnswer(ids.length, stamp, staleRng);
        if (answer instanceof RlogError) apply({ type: "sendFailed", serial, error: answer });
        else apply({ type: "sendSucceeded", serial, baseOffset: answer.baseOffset });
        return;
      }
    }
    const fault: Fault = model.fenced ? "fenced" : healing || !rng.chance(faultRate) ? "ok" : pickFault(rng, fenceRate);
    let answer: { baseOffset: number } | unknown;
    switch (fault) {
      case "ok":
        answer = model.fenced ? new RlogError("PRODUCER_FENCED", "fenced") : model.write(ids, stamp, rng);
        break;
      case "timeoutWritten":
      case "connWritten": {
        const written = model.write(ids, stamp, rng);
        answer = written instanceof RlogError ? written : new RlogError(fault === "timeoutWritten" ? "TIMEOUT" : "BROKER_NOT_AVAILABLE", "answer lost after the write");
        break;
      }
      case "fenced":
        model.fenced = true;
        answer = new RlogError("PRODUCER_FENCED", "a newer epoch exists");
        break;
      default:
        answer = faultError(fault);
    }
    if (answer instanceof Error || !(typeof answer === "object" && answer !== null && "baseOffset" in answer)) apply({ type: "sendFailed", serial, error: answer });
    else apply({ type: "sendSucceeded", serial, baseOffset: (answer as { baseOffset: number }).baseOffset });
  };

  const run = (c: LaneCommand): void => {
    switch (c.type) {
      case "addRecord": {
        if (appending === undefined) return fail("addRecord without an append");
        const ids = batchRecords.get(c.serial) ?? [];
        if (settledBatches.has(c.serial)) fail(`record added to settled batch ${c.serial}`);
        if (!batchMadeMs.has(c.serial)) batchMadeMs.set(c.serial, sched.nowMs());
        ids.push(appending);
        batchRecords.set(c.serial, ids);
        if (!settledBatches.has(c.serial)) unsettled.add(c.serial);
        appending = undefined;
        return;
      }
      case "refuseRecord":
        if (appending === undefined) return fail("refuseRecord without an append");
        failed.add(appending);
        usedBytes -= recordBytes.get(appending) ?? 0;
        appending = undefined;
        return;
      case "startLinger":
        if (lingerTimer !== undefined) fail("a second linger timer");
        lingerTimer = sched.schedule(lingerMs, "linger", () => {
          lingerTimer = undefined;
          apply({ type: "lingerExpired", serial: c.serial });
        });
        return;
      case "cancelLinger":
        if (lingerTimer !== undefined) sched.cancel(lingerTimer);
        lingerTimer = undefined;
        return;
      case "batchClosed":
        return;
      case "send": {
        sends++;
        inflightSends++;
        if (inflightSends > config.inflightRequestsMax) fail(`${inflightSends} sends in flight`);
        const stamp = c.stamp;
        if (stamp !== undefined) batchStamps.set(c.serial, stamp);
        if (idempotent !== (stamp !== undefined)) fail(`send of batch ${c.serial} with stamp ${JSON.stringify(stamp)} (idempotent ${idempotent})`);
        sched.schedule(1 + rng.int(30), "send", () => answerSend(c.serial, stamp));
        return;
      }
      case "correctRoute": {
        const hint = c.error.code === ErrorCode.NOT_LEADER && c.error.details?.leader !== undefined;
        if (c.error.codeName === "UNKNOWN_TOPIC" && rng.chance(0.5)) apply({ type: "routeRefused", serial: c.serial, error: c.error });
        else apply({ type: "routeCorrected", serial: c.serial, action: hint ? "now" : "backoff" });
        return;
      }
      case "willRetry":
        return;
      case "pause": {
        if (pauseTimer !== undefined) fail("a second pause");
        const delayMs = c.kind === "none" ? 0 : c.kind === "leaderChange" ? rng.int(c.delayMs + 1) : c.delayMs;
        const newLeader = c.kind === "none" || (c.kind === "leaderChange" && delayMs < c.delayMs);
        pauseTimer = sched.schedule(delayMs, "pause", () => {
          pauseTimer = undefined;
          apply({ type: "pauseEnded", serial: c.serial, newLeader });
        });
        return;
      }
      case "fetchSession":
        if (sessionPending) fail("a second producer-id request");
        sessionPending = true;
        sched.schedule(1 + rng.int(20), "session", () => {
          sessionPending = false;
          if (!healing && rng.chance(sessionFailRate)) apply({ type: "sessionFailed", error: new RlogError("BROKER_NOT_AVAILABLE", "no broker") });
          else apply({ type: "sessionReady", producerId: model.newProducerId(), producerEpoch: 0 });
        });
        return;
      case "succeed": {
        const ids = settle(c.serial);
        ids?.forEach((id, i) => {
          const offset = c.baseOffset + i;
          if (model.log[offset] !== id) fail(`record ${id} acknowledged at offset ${offset}, which holds ${String(model.log[offset])}`);
          acked.set(id, offset);
        });
        return;
      }
      case "fail": {
        const stamp = batchStamps.get(c.serial);
        if (stamp !== undefined && c.error instanceof RlogError && c.error.code === ErrorCode.OUT_OF_ORDER_SEQUENCE) {
          const pastDeadline = sched.nowMs() >= (batchMadeMs.get(c.serial) ?? 0) + config.retry.totalTimeoutMs;
          // retriesMax 0 turns every retry off, waits for an earlier batch included.
          if (!gapIds.has(stamp.producerId) && !pastDeadline && config.retry.retriesMax > 0) {
            fail(`batch ${c.serial} failed OUT_OF_ORDER_SEQUENCE though no batch under producer ${stamp.producerId} had failed (a transient OOS)`);
          }
        }
        if (stamp !== undefined) gapIds.add(stamp.producerId);
        settle(c.serial)?.forEach((id) => failed.add(id));
        return;
      }
      case "fatal":
        // The producer fails every lane; this is the only one.
        apply({ type: "fenced", error: c.error });
        return;
    }
  };

  const checkAll = (): void => {
    if (usedBytes > BUDGET_BYTES_MAX) fail(`${usedBytes} bytes buffered, more than ${BUDGET_BYTES_MAX}`);
    if (lane.inflightCount > config.inflightRequestsMax) fail(`${lane.inflightCount} batches in flight`);
    if (lane.inflightCount !== inflightSends) fail(`lane has ${lane.inflightCount} in flight, the network ${inflightSends}`);
    const pending = lane.pendingSerials();
    if (pending.length !== unsettled.size || pending.some((s) => !unsettled.has(s))) fail(`lane pending [${pending.join()}] but unsettled [${[...unsettled].join()}]`);
    // The model log only grows: check what was added since the last step.
    for (; logChecked < model.log.length; logChecked++) {
      const id = model.log[logChecked] as number;
      if (idempotent && loggedIds.has(id)) fail(`record ${id} written twice`);
      if (idempotent && id < lastLogged) fail(`record ${id} written after record ${lastLogged}`);
      loggedIds.add(id);
      lastLogged = Math.max(lastLogged, id);
    }
  };

  const checkAcks = (): void => {
    let lastOffset = -1;
    for (let id = 0; id < nextRecordId; id++) {
      const offset = acked.get(id);
      if (offset === undefined) continue;
      if (idempotent && offset < lastOffset) fail(`record ${id} acknowledged at ${offset}, before an earlier record at ${lastOffset}`);
      lastOffset = offset;
    }
  };

  // Fault phase.
  for (step = 0; step < steps && violations.length === 0; step++) {
    const r = rng.next();
    if (r < 0.45) {
      const bytes = 5 + rng.int(40);
      if (usedBytes + bytes <= BUDGET_BYTES_MAX) {
        const id = nextRecordId++;
        recordBytes.set(id, bytes);
        usedBytes += bytes;
        appending = id;
        apply({ type: "append", bytes, requestBytes: bytes + 4 });
        if (appending !== undefined) fail(`record ${appending} neither placed nor refused`);
        appending = undefined;
      } else if (!sched.fireNext()) sched.advance(1);
    } else if (r < 0.5) {
      apply({ type: "flush" });
    } else if (r < 0.55) {
      sched.advance(rng.int(20));
    } else if (r < 0.56 && fenceRate > 0 && !model.fenced) {
      // Another partition of the producer was fenced: the producer fails every lane.
      apply({ type: "fenced", error: new RlogError("PRODUCER_FENCED", "fenced on another partition") });
    } else if (!sched.fireNext()) {
      sched.advance(1);
    }
    checkAll();
  }
  // Healing phase: no faults, no new records; everything must settle.
  healing = true;
  if (violations.length === 0) apply({ type: "flush" });
  let healSteps = 0;
  for (; violations.length === 0 && sched.pending > 0; healSteps++) {
    if (healSteps > 20_000) {
      fail(`did not settle in 20,000 healing steps; pending: ${sched.pendingKinds().join(", ")}`);
      break;
    }
    step++;
    sched.fireNext();
    checkAll();
  }
  if (violations.length === 0) checkAcks();
  if (violations.length === 0) {
    for (let id = 0; id < nextRecordId; id++) {
      if (acked.has(id) === failed.has(id)) fail(`record ${id} is ${acked.has(id) ? "both acknowledged and failed" : "neither acknowledged nor failed"}`);
    }
    if (lane.hasOutstanding) fail(`the lane still waits for something in phase ${lane.phase}`);
    if (sched.pending > 0) fail(`timers left: ${sched.pendingKinds().join(", ")}`);
  }
  return { seed, violations, records: nextRecordId, acked: acked.size, failed: failed.size, sends, steps: step };
}

function pickFault(rng: SeededRandom, fenceRate: number): Fault {
  if (rng.chance(fenceRate)) return "fenced";
  const common: readonly Fault[] = ["hint", "noHint", "lna", "timeoutWritten", "timeoutLost", "connWritten", "connLost", "replicas", "hint", "lna"];
  const rare: readonly Fault[] = ["unknownTopic", "invalid", "bug"];
  return rng.chance(0.9) ? rng.pick(common) : rng.pick(rare);
}

function faultError(fault: Fault): unknown {
  const e = (name: ErrorName, message: string, details?: ConstructorParameters<typeof RlogError>[2]): RlogError => new RlogError(name, message, details);
  switch (fault) {
    case "hint":
      return e("NOT_LEADER", "moved", { leader: { brokerId: 2, url: "ws://b2" } });
    case "noHint":
      return e("NOT_LEADER", "moved, leader unknown");
    case "lna":
      return e("LEADER_NOT_AVAILABLE", "electing");
    case "timeoutLost":
      return e("TIMEOUT", "no answer");
    case "connLost":
      return e("BROKER_NOT_AVAILABLE", "connection lost");
    case "replicas":
      return e("NOT_ENOUGH_REPLICAS", "too few replicas");
    case "unknownTopic":
      return e("UNKNOWN_TOPIC", "not in the metadata");
    case "invalid":
      return e("INVALID_REQUEST", "bad batch");
    default:
      return new Error("a bug in the connection layer");
  }
}

function errorJson(_key: string, value: unknown): unknown {
  return value instanceof RlogError ? `${value.codeName}` : value instanceof Error ? `Error(${value.message})` : value;
}
