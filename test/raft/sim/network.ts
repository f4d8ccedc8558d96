/**
 * The simulated network between the members of one Raft group. Every choice
 * (drop, duplicate, delay, reorder) is drawn from the simulation's one
 * SeededRandom, so a seed replays the same deliveries.
 *
 * Time is the simulation step. A message sent at step s is due at s + 1 plus
 * an optional extra delay; messages due in the same step are delivered in
 * send order unless the batch is shuffled (reordering). Links can be cut in
 * one direction (asymmetric partitions) or both. A cut link drops what is
 * sent over it and what was in flight on it when it is due.
 *
 * Messages are copied on delivery and the copy is frozen, so neither the
 * sender nor a receiver can change what another member sees (duplicates are
 * independent copies too).
 */
import { MessageType, type Message } from "../../../broker/raft/messages.js";
import type { SeededRandom } from "../../../broker/raft/random.js";
import type { Entry, NodeId } from "../../../broker/raft/types.js";

/** Per-message fault rates; all zero means a perfect network (one step latency, FIFO). */
export interface NetworkFaults {
  /** Probability that a message is lost. */
  readonly dropRate: number;
  /** Probability that a message is delivered twice (the copy with its own delay). */
  readonly duplicateRate: number;
  /** Probability that a message gets an extra delay of 1..delayStepsMax steps. */
  readonly delayRate: number;
  readonly delayStepsMax: number;
  /** Probability that one step's deliveries are shuffled. */
  readonly reorderRate: number;
  /**
   * Probability that a message is held for long, 1..longDelayStepsMax steps
   * (a stale message from an old term arriving after several elections).
   */
  readonly longDelayRate?: number;
  readonly longDelayStepsMax?: number;
}

/** A perfect network. */
export const NO_NETWORK_FAULTS: NetworkFaults = { dropRate: 0, duplicateRate: 0, delayRate: 0, delayStepsMax: 0, reorderRate: 0 };

/** What happens to a message due for a member: delivered, held (member paused), or dropped (member down). */
export type Reception = "deliver" | "hold" | "drop";

/** Counters, for statistics and tests. */
export interface NetworkCounters {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  /** Dropped because the in-flight bound was reached. */
  overflowed: number;
}

interface InFlight {
  readonly msg: Message;
  readonly dueStep: number;
  /** Send order, to keep FIFO among messages due in one step. */
  readonly seq: number;
}

/** Copy a message deeply (entries and byte arrays included) and freeze the copy. */
export function copyMessage(m: Message): Message {
  switch (m.type) {
    case MessageType.Append: {
      const entries = Object.freeze(m.entries.map((e): Entry => Object.freeze({ ...e, data: e.data.slice() })));
      return Object.freeze({ ...m, entries });
    }
    case MessageType.Snapshot:
      return Object.freeze({ ...m, snapshot: Object.freeze({ ...m.snapshot, data: m.snapshot.data.slice() }) });
    default:
      return Object.freeze({ ...m });
  }
}

/** Freeze a message, its entry list and entries in place (byte arrays cannot be frozen). */
export function freezeMessage(m: Message): void {
  if (m.type === MessageType.Append) {
    for (const e of m.entries) Object.freeze(e);
    Object.freeze(m.entries);
  } else if (m.type === MessageType.Snapshot) {
    Object.freeze(m.snapshot);
  }
  Object.freeze(m);
}

export class SimNetwork {
  /** Current fault rates; the simulation changes them between phases. */
  faults: NetworkFaults = NO_NETWORK_FAULTS;
  readonly counters: NetworkCounters = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, overflowed: 0 };
  private inflight: InFlight[] = [];
  private seq = 0;
  /** blocked[from * stride + to]: the directed link from -> to is cut. */
  private readonly blocked: Uint8Array;
  private readonly stride: number;
  private readonly ids: readonly NodeId[];

  /**
   * @param inflightMax bound on messages in flight; beyond it new messages are dropped
   *   (a bounded queue, like a socket buffer).
   */
  constructor(
    private readonly random: SeededRandom,
    ids: readonly NodeId[],
    private readonly inflightMax: number = 10_000,
  ) {
    this.ids = ids.slice();
    this.stride = Math.max(...ids) + 1;
    this.blocked = new Uint8Array(this.stride * this.stride);
  }

  /** Messages in flight. */
  inFlightCount(): number {
    return this.inflight.length;
  }

  /**
   * Send a message at step `now`. The sender's object is frozen (with its
   * entries), so a core that changes a message after handing it out throws.
   */
  send(m: Message, now: number): void {
    this.counters.sent++;
    freezeMessage(m);
    if (!this.linkUp(m.from, m.to) || this.random.chance(this.faults.dropRate)) {
      this.counters.dropped++;
      return;
    }
    this.enqueue(m, now);
    if (this.random.chance(this.faults.duplicateRate)) {
      this.counters.duplicated++;
      this.enqueue(m, now);
    }
  }

  private enqueue(m: Message, now: number): void {
    if (this.inflight.length >= this.inflightMax) {
      this.counters.overflowed++;
      this.counters.dropped++;
      return;
    }
    let due = now + 1;
    if (this.faults.delayStepsMax > 0 && this.random.chance(this.faults.delayRate)) due += 1 + this.random.int(this.faults.delayStepsMax);
    const long = this.faults.longDelayStepsMax ?? 0;
    if (long > 0 && this.random.chance(this.faults.longDelayRate ?? 0)) due += 1 + this.random.int(long);
    this.inflight.push({ msg: m, dueStep: due, seq: this.seq++ });
  }

  /**
   * Take the messages due at step `now` (and earlier, if they were held for a
   * paused member), as fresh frozen copies in delivery order. Messages over a
   * cut link or to a member that is down are dropped; those for a paused
   * member stay in flight.
   */
  takeDue(now: number, reception: (to: NodeId) => Reception): Message[] {
    const due: InFlight[] = [];
    const keep: InFlight[] = [];
    for (const f of this.inflight) {
      if (f.dueStep > now) {
        keep.push(f);
        continue;
      }
      const r = reception(f.msg.to);
      if (r === "hold") keep.push(f);
      else if (r === "drop" || !this.linkUp(f.msg.from, f.msg.to)) this.counters.dropped++;
      else due.push(f);
    }
    this.inflight = keep;
    due.sort((a, b) => a.dueStep - b.dueStep || a.seq - b.seq);
    if (due.length > 1 && this.random.chance(this.faults.reorderRate)) {
      for (let k = due.length - 1; k > 0; k--) {
        const j = this.random.int(k + 1);
        const t = due[k]!;
        due[k] = due[j]!;
        due[j] = t;
      }
    }
    this.counters.delivered += due.length;
    return due.map((f) => copyMessage(f.msg));
  }

  /** Drop everything in flight to or from `id` (a member that crashed loses its connections). */
  dropFor(id: NodeId): void {
    const before = this.inflight.length;
    this.inflight = this.inflight.filter((f) => f.msg.to !== id && f.msg.from !== id);
    this.counters.dropped += before - this.inflight.length;
  }

  /**
   * Drop everything in flight from `id`: a crashed process's connections are
   * gone, and the broker ignores frames of a connection its peer replaced
   * (the simulator does this only with quiescence on: SimOptions.quiesce).
   */
  dropFrom(id: NodeId): void {
    const before = this.inflight.length;
    this.inflight = this.inflight.filter((f) => f.msg.from !== id);
    this.counters.dropped += before - this.inflight.length;
  }

  /** Can `from` send to `to` right now? */
  linkUp(from: NodeId, to: NodeId): boolean {
    return this.blocked[from * this.stride + to] === 0;
  }
  /** Any link cut? */
  partitioned(): boolean {
    return this.blocked.some((b) => b !== 0);
  }

  /** Cut the directed link from -> to (to still reaches from unless cut too). */
  cutOneWay(from: NodeId, to: NodeId): void {
    this.blocked[from * this.stride + to] = 1;
  }
  /** Cut both directions between a and b. */
  cut(a: NodeId, b: NodeId): void {
    this.cutOneWay(a, b);
    this.cutOneWay(b, a);
  }
  /** Split the group in two sides: no link between `side` and the rest. */
  split(side: readonly NodeId[]): void {
    for (const a of side) for (const b of this.ids) if (!side.includes(b)) this.cut(a, b);
  }
  /** Cut `id` off from everyone. */
  isolate(id: NodeId): void {
    this.split([id]);
  }
  /** Restore every link. */
  heal(): void {
    this.blocked.fill(0);
  }
  /** The cut links, as "a->b" strings, for traces. */
  describeCuts(): string {
    const out: string[] = [];
    for (const a of this.ids) for (const b of this.ids) if (a !== b && !this.linkUp(a, b)) out.push(`${a}->${b}`);
    return out.length === 0 ? "none" : out.join(" ");
  }
}
