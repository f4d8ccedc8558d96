/**
 * The leader's view of one follower's replication (after etcd's tracker):
 * a state (probe, replicate, snapshot) and a bounded window of appends in flight.
 */
import { assert } from "./assert.js";
import type { Index, NodeId } from "./types.js";
import { index } from "./types.js";

/** Numeric and logged: append-only. */
export const ProgressState = {
  /** Unknown match: one Append at a time until one is accepted. */
  Probe: 0,
  /** Known match: pipelined Appends up to the in-flight bounds. */
  Replicate: 1,
  /** A snapshot is on its way; nothing else is sent until it is acknowledged. */
  Snapshot: 2,
} as const;
export type ProgressState = (typeof ProgressState)[keyof typeof ProgressState];

/** A FIFO of appends in flight, bounded by count and bytes. */
export class Inflights {
  /** Last index of each append in flight, oldest first. */
  private readonly lastIndexes: Index[] = [];
  private readonly sizes: number[] = [];
  private bytes = 0;

  constructor(
    readonly countMax: number,
    readonly bytesMax: number,
  ) {
    assert(countMax >= 1, "inflight count bound must be at least 1");
  }

  add(last: Index, bytes: number): void {
    assert(!this.full(), "adding to a full inflight window");
    this.lastIndexes.push(last);
    this.sizes.push(bytes);
    this.bytes += bytes;
  }
  /** Release every append whose last index is <= `upTo`. */
  freeLE(upTo: Index): void {
    while (this.lastIndexes.length > 0 && this.lastIndexes[0]! <= upTo) {
      this.lastIndexes.shift();
      this.bytes -= this.sizes.shift()!;
    }
  }
  /** Release the oldest one (a lost response must not block the window forever). */
  freeFirst(): void {
    if (this.lastIndexes.length === 0) return;
    this.lastIndexes.shift();
    this.bytes -= this.sizes.shift()!;
  }
  full(): boolean {
    return this.lastIndexes.length >= this.countMax || this.bytes >= this.bytesMax;
  }
  count(): number {
    return this.lastIndexes.length;
  }
  reset(): void {
    this.lastIndexes.length = 0;
    this.sizes.length = 0;
    this.bytes = 0;
  }
}

/** Replication state of one member. Invariant: match < next. */
export class Progress {
  /** Highest index known to be durable on the member and agree with the leader. */
  match: Index = index(0);
  /** Next index to send. */
  next: Index;
  state: ProgressState = ProgressState.Probe;
  /** In Probe: an Append was sent and no answer came yet. */
  probeSent = false;
  /** In Snapshot: the snapshot index sent. */
  pendingSnapshot: Index = index(0);
  /** Ticks spent in the Snapshot state (to resend a lost snapshot). */
  snapshotElapsedTicks = 0;
  /** Leader ticks since the member was last heard from (any response). */
  ticksSinceHeard = 0;
  /** False while the member drains (it said so in a heartbeat response): never a transfer target. */
  promotable = true;
  /** The member's storage incarnation while it says it is recovering from a lost disk; 0 otherwise. */
  recovering = 0;
  /** The member's repair tag (after a damaged entry was cut from its log); 0 otherwise. */
  repairing = 0;
  /** The recovering incarnation the marker at `rejoinIndex` was appended for (0: none). */
  rejoinIncarnation = 0;
  /** The no-op marker a recovering member must hold, committed, before it may vote again. */
  rejoinIndex: Index = index(0);
  readonly inflight: Inflights;

  constructor(
    readonly id: NodeId,
    next: Index,
    inflightAppendsMax: number,
    inflightBytesMax: number,
  ) {
    this.next = next;
    this.inflight = new Inflights(inflightAppendsMax, inflightBytesMax);
  }

  /** Heard from within the last `windowTicks` ticks. */
  active(windowTicks: number): boolean {
    return this.ticksSinceHeard < windowTicks;
  }

  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      this.next = index(Math.max(this.match + 1, this.pendingSnapshot + 1));
    } else {
      this.next = index(this.match + 1);
    }
    this.state = ProgressState.Probe;
    this.probeSent = false;
    this.pendingSnapshot = index(0);
    this.inflight.reset();
  }
  /**
   * Forget what we knew of the member (its storage was replaced): match 0,
   * probing from `next` (the leader's next index; the answers back off).
   */
  resetTo(next: Index): void {
    assert(next >= 1, "next must be at least 1");
    this.match = index(0);
    this.next = next;
    this.state = ProgressState.Probe;
    this.probeSent = false;
    this.pendingSnapshot = index(0);
    this.inflight.reset();
  }
  becomeReplicate(): void {
    this.state = ProgressState.Replicate;
    this.next = index(this.match + 1);
    this.probeSent = false;
    this.inflight.reset();
  }
  becomeSnapshot(snapshotIndex: Index): void {
    this.state = ProgressState.Snapshot;
    this.pendingSnapshot = snapshotIndex;
    this.snapshotElapsedTicks = 0;
    this.inflight.reset();
  }

  /** An accepted Append up to `n`. Returns false when it told nothing new. */
  maybeUpdate(n: Index): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    if (this.next < n + 1) this.next = index(n + 1);
    return updated;
  }

  /**
   * A rejected Append at `rejected` with the follower's hint `hintNext`
   * (the next index worth probing). Returns false for a stale rejection.
   */
  maybeDecrTo(rejected: Index, hintNext: Index): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = index(this.match + 1);
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = index(Math.max(Math.min(rejected, hintNext), this.match + 1, 1));
    this.probeSent = false;
    return true;
  }

  /** Nothing may be sent now. */
  paused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.probeSent;
      case ProgressState.Replicate:
        return this.inflight.full();
      case ProgressState.Snapshot:
        return true;
    }
  }
}
