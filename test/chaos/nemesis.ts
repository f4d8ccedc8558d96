/**
 * The nemesis: a seeded schedule of faults against a ChaosCluster, one at a
 * time, each held for a while and then healed, with quiet gaps between.
 * Kinds come in rounds: each round is a seeded shuffle of all the chosen
 * kinds, so every kind is applied equally often. The seed fixes the sequence of choices (kind, leader-or-random target,
 * variant, hold and gap lengths); a target named "the leader of partition
 * k" is looked up when the fault starts, so timings differ between runs.
 *
 * - kill: SIGKILL a broker, restart it after the hold.
 * - pause: SIGSTOP a broker (a long GC pause), SIGCONT after the hold.
 * - partition: cut a minority (a lone broker, often the leader: a minority
 *   leader) from the rest both ways.
 * - asymmetric: cut one direction only: everything a broker sends, everything
 *   it receives, or one directed link.
 * - transfer: leadership transfer requests, to a named replica or to none.
 * - disk-full: fill a broker's data directory (a tmpfs of its own) to the
 *   last byte with a ballast file, remove it after the hold (the heal waits
 *   until the broker says it has space again).
 * - corrupt: SIGKILL a broker, flip 1 to 8 random bytes anywhere in its
 *   LMDB data file, restart it after the hold (it finds the damage at
 *   start-up and repairs it from its peers: docs/STORAGE.md, "A damaged entry");
 *   the heal waits until no replica is recovering or repairing any more.
 * In mixed mode, transfers are also requested while another fault is held.
 *
 * For the availability verdict (availability.ts) the schedule has quiet
 * time in it: no fault for the first warmupMs (the baseline rate is
 * measured there), and a longer gap (quietGapMs) after every
 * quietEveryFaults faults, long enough to be judged after the settle time.
 * The nemesis records each fault's window (start to heal) and every
 * transfer it asked for, with the reason it may fail, if any.
 */
import { SeededRandom } from "../../broker/raft/random.js";
import type { ChaosCluster } from "./chaos-cluster.js";
import type { FaultWindow, TransferAttempt } from "./history.js";

export const FAULT_KINDS = ["kill", "pause", "partition", "asymmetric", "transfer", "disk-full", "corrupt"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Longest wait for a broker to repair itself after a corrupt fault before the nemesis goes on (and says so). */
const CORRUPT_REPAIR_MS_MAX = 60_000;

/** Fault kinds that need the brokers' data directories on tmpfs mounts (root). */
export const DISK_FAULT_KINDS: readonly FaultKind[] = ["disk-full"];

/** What the nemesis needs from the run besides the cluster. */
export interface NemesisHooks {
  /** Current leader of a partition of the workload topic, or 0 when unknown. */
  leaderOf(partition: number): Promise<number>;
  /** Ask for a leadership transfer; never rejects (errors are expected under faults). */
  transfer(partition: number, toBrokerId: number | undefined): Promise<TransferResult>;
  /** Progress and event lines. */
  log(line: string): void;
}

/** How a transfer went, and whether it was allowed to fail. */
export interface TransferResult {
  readonly ok: boolean;
  /** "leader N" or the error code. */
  readonly outcome: string;
  /** Why it may fail (a fault active, the target not a caught-up reachable replica); undefined when it must succeed. */
  readonly excuse: string | undefined;
}

export interface NemesisOptions {
  readonly seed: number;
  readonly kinds: readonly FaultKind[];
  readonly partitions: number;
  /** Range of how long a fault is held, ms. */
  readonly holdMs: readonly [number, number];
  /** Range of the quiet gap between faults, ms. */
  readonly gapMs: readonly [number, number];
  /** No fault before this, ms after the clock's start (the baseline rate is measured there). */
  readonly warmupMs: number;
  /** After every quietEveryFaults faults, the gap is drawn from quietGapMs instead. */
  readonly quietEveryFaults: number;
  readonly quietGapMs: readonly [number, number];
  /** The run's clock (Date.now() at its start): every recorded time is ms since then. */
  readonly clockStartMs: number;
}

/**
 * Default timing. Short gaps keep faults coming close together (where bugs
 * hide); the long gap every third fault leaves 3 to 6 s of judged quiet time
 * after the default 2 s settle (availability.ts).
 */
export const DEFAULT_NEMESIS_TIMING = { holdMs: [1_000, 6_000], gapMs: [1_000, 3_000], warmupMs: 10_000, quietEveryFaults: 3, quietGapMs: [5_000, 8_000] } as const;

/** One fault the nemesis applied. */
export interface FaultEvent {
  readonly kind: FaultKind;
  readonly atMs: number;
  readonly detail: string;
}

export class Nemesis {
  private readonly random: SeededRandom;
  private stopped = false;
  private round: FaultKind[] = [];
  private wake: (() => void) | undefined;
  readonly events: FaultEvent[] = [];
  /** Every fault held (and every batch of transfers), start to heal. */
  readonly windows: FaultWindow[] = [];
  /** Every transfer asked for, during faults too. */
  readonly transfers: TransferAttempt[] = [];
  private applied = 0;

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly hooks: NemesisHooks,
    private readonly options: NemesisOptions,
  ) {
    if (options.kinds.length === 0) throw new Error("the nemesis needs at least one fault kind");
    this.random = new SeededRandom(options.seed);
  }

  /** Faults by kind so far. */
  counts(): Record<FaultKind, number> {
    const out = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
    for (const e of this.events) out[e.kind]++;
    return out;
  }

  /** Apply faults until stop(); every fault is healed before this resolves. */
  async run(): Promise<void> {
    await this.sleep(this.options.warmupMs - this.now());
    while (!this.stopped) {
      const quiet = this.applied > 0 && this.applied % this.options.quietEveryFaults === 0;
      await this.sleep(this.between(quiet ? this.options.quietGapMs : this.options.gapMs));
      if (this.stopped) break;
      if (this.round.length === 0) this.round = shuffle(this.random, this.options.kinds);
      const kind = this.round.shift()!;
      const startMs = this.now();
      try {
        await this.apply(kind);
      } finally {
        await this.cluster.healAll();
        this.windows.push({ kind, startMs, endMs: this.now() });
        this.applied++;
      }
    }
  }

  /** End the current hold early; run() resolves once everything is healed. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private async apply(kind: FaultKind): Promise<void> {
    const hold = this.between(this.options.holdMs);
    const ids = this.cluster.ids;
    switch (kind) {
      case "kill": {
        const target = await this.target();
        this.record(kind, `SIGKILL broker ${target}, restart after ${hold} ms`);
        await this.cluster.kill(target);
        await this.hold(hold);
        await this.cluster.restart(target);
        return;
      }
      case "pause": {
        const target = await this.target();
        this.record(kind, `SIGSTOP broker ${target} for ${hold} ms`);
        this.cluster.pause(target);
        await this.hold(hold);
        this.cluster.resume(target);
        return;
      }
      case "partition": {
        const target = await this.target();
        const minority = [target];
        // With 5 brokers, the minority side is sometimes two strong.
        if (ids.length >= 5 && this.random.chance(0.5)) minority.push(this.random.pick(ids.filter((x) => x !== target)));
        const rest = ids.filter((x) => !minority.includes(x));
        this.record(kind, `isolate [${minority.join(",")}] from [${rest.join(",")}] for ${hold} ms`);
        this.cluster.partition(minority, rest);
        await this.hold(hold);
        return;
      }
      case "asymmetric": {
        const target = await this.target();
        const others = ids.filter((x) => x !== target);
        const variant = this.random.pick(["outbound", "inbound", "one link"] as const);
        const peer = this.random.pick(others);
        if (variant === "outbound") this.cluster.cut([target], others);
        else if (variant === "inbound") this.cluster.cut(others, [target]);
        else this.cluster.cut([target], [peer]);
        this.record(kind, `cut ${this.cluster.cutLinks().join(" ")} (${variant} of broker ${target}) for ${hold} ms`);
        await this.hold(hold);
        return;
      }
      case "disk-full": {
        const target = await this.target();
        const bytes = this.cluster.fillDisk(target);
        this.record(kind, `fill broker ${target}'s disk (${Math.round(bytes / 1024 / 1024)} MiB of ballast) for ${hold} ms`);
        await this.hold(hold);
        await this.cluster.freeDisk(target);
        return;
      }
      case "corrupt": {
        const target = await this.target();
        const flips = 1 + this.random.int(8);
        const seed = this.random.int(0x7fff_ffff);
        await this.cluster.kill(target);
        const at = this.cluster.corruptData(target, flips, seed);
        this.record(kind, `SIGKILL broker ${target}, flip ${flips} random bytes of its data file (at ${at.join(", ")}), restart after ${hold} ms`);
        await this.hold(hold);
        await this.cluster.restart(target);
        // The heal: the broker has repaired itself from its peers (disks fail one at a time).
        const left = await this.cluster.waitRepaired(target, CORRUPT_REPAIR_MS_MAX);
        if (left !== undefined) this.hooks.log(`nemesis: broker ${target} not repaired within ${CORRUPT_REPAIR_MS_MAX} ms: ${left}`);
        return;
      }
      case "transfer": {
        const n = 1 + this.random.int(3);
        for (let i = 0; i < n && !this.stopped; i++) await this.transferOne(kind);
        return;
      }
    }
  }

  private async transferOne(kind: FaultKind): Promise<void> {
    const partition = this.random.int(this.options.partitions);
    const named = this.random.chance(0.7);
    const to = named ? this.random.pick(this.cluster.ids) : undefined;
    const startMs = this.now();
    const r = await this.hooks.transfer(partition, to);
    this.transfers.push({ partition, toBrokerId: to, startMs, endMs: this.now(), ...r });
    this.record(kind, `transfer partition ${partition} to ${to ?? "any"}: ${r.outcome} (${this.now() - startMs} ms)${r.excuse === undefined ? "" : `, may fail: ${r.excuse}`}`, startMs);
  }

  /** The leader of a random partition (half the time) or a random broker. */
  private async target(): Promise<number> {
    const leaderWanted = this.random.chance(0.5);
    const partition = this.random.int(this.options.partitions);
    const fallback = this.random.pick(this.cluster.ids);
    if (!leaderWanted) return fallback;
    const leader = await this.hooks.leaderOf(partition).catch(() => 0);
    return leader > 0 ? leader : fallback;
  }

  /** Wait out a fault; in mixed mode, request a transfer in the middle of it now and then. */
  private async hold(ms: number): Promise<void> {
    const mixed = this.options.kinds.length > 1 && this.options.kinds.includes("transfer");
    if (mixed && this.random.chance(0.3)) {
      const first = Math.floor(ms / 2);
      await this.sleep(first);
      if (!this.stopped) await this.transferOne("transfer");
      await this.sleep(ms - first);
    } else {
      await this.sleep(ms);
    }
  }

  private now(): number {
    return Date.now() - this.options.clockStartMs;
  }

  private record(kind: FaultKind, detail: string, atMs = this.now()): void {
    this.events.push({ kind, atMs, detail });
    this.hooks.log(`nemesis ${(atMs / 1000).toFixed(1)}s ${kind}: ${detail}`);
  }

  private between([lo, hi]: readonly [number, number]): number {
    return lo + this.random.int(hi - lo + 1);
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}

function shuffle<T>(random: SeededRandom, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
