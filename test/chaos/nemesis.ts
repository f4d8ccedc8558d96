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
 * In mixed mode, transfers are also requested while another fault is held.
 */
import { SeededRandom } from "../../broker/raft/random.js";
import type { ChaosCluster } from "./chaos-cluster.js";

export const FAULT_KINDS = ["kill", "pause", "partition", "asymmetric", "transfer"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** What the nemesis needs from the run besides the cluster. */
export interface NemesisHooks {
  /** Current leader of a partition of the workload topic, or 0 when unknown. */
  leaderOf(partition: number): Promise<number>;
  /** Ask for a leadership transfer; resolves with a line for the log (errors are expected under faults). */
  transfer(partition: number, toBrokerId: number | undefined): Promise<string>;
  /** Progress and event lines. */
  log(line: string): void;
}

export interface NemesisOptions {
  readonly seed: number;
  readonly kinds: readonly FaultKind[];
  readonly partitions: number;
  /** Range of how long a fault is held, ms. */
  readonly holdMs: readonly [number, number];
  /** Range of the quiet gap between faults, ms. */
  readonly gapMs: readonly [number, number];
}

export const DEFAULT_NEMESIS_TIMING = { holdMs: [1_000, 6_000], gapMs: [1_000, 3_000] } as const;

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
  private readonly startMs = Date.now();

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
    while (!this.stopped) {
      await this.sleep(this.between(this.options.gapMs));
      if (this.stopped) break;
      if (this.round.length === 0) this.round = shuffle(this.random, this.options.kinds);
      const kind = this.round.shift()!;
      try {
        await this.apply(kind);
      } finally {
        await this.cluster.healAll();
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
    const outcome = await this.hooks.transfer(partition, to);
    this.record(kind, `transfer partition ${partition} to ${to ?? "any"}: ${outcome}`);
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

  private record(kind: FaultKind, detail: string): void {
    const atMs = Date.now() - this.startMs;
    this.events.push({ kind, atMs, detail });
    this.hooks.log(`nemesis ${(atMs / 1000).toFixed(1)}s ${kind}: ${detail}`);
  }

  private between([lo, hi]: readonly [number, number]): number {
    return lo + this.random.int(hi - lo + 1);
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
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
