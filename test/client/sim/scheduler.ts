/**
 * The simulated time of a client state-machine run: a fake clock and a
 * queue of pending callbacks (timers, answers in flight). Callbacks fire in
 * time order (ties in the order they were scheduled), so a run is a pure
 * function of its seed. Each entry has a kind, so a run can check that
 * nothing is left behind (no timer or request leaks).
 */
import type { Clock } from "../../../client/util/clock.js";

interface Entry {
  readonly id: number;
  readonly atMs: number;
  readonly kind: string;
  readonly fire: () => void;
}

/** A fake clock with a timer queue; see the file comment. */
export class SimScheduler implements Clock {
  private now = 0;
  private nextId = 1;
  private readonly entries: Entry[] = [];

  nowMs(): number {
    return this.now;
  }

  /** Move the clock forward by `ms` (>= 0) without firing anything. */
  advance(ms: number): void {
    this.now += Math.max(0, ms);
  }

  /** Run `fire` at now + delayMs; returns an id for cancel(). */
  schedule(delayMs: number, kind: string, fire: () => void): number {
    const id = this.nextId++;
    this.entries.push({ id, atMs: this.now + Math.max(0, delayMs), kind, fire });
    return id;
  }

  /** Drop a pending entry; returns whether it was pending. */
  cancel(id: number): boolean {
    const at = this.entries.findIndex((e) => e.id === id);
    if (at < 0) return false;
    this.entries.splice(at, 1);
    return true;
  }

  /** Pending entries. */
  get pending(): number {
    return this.entries.length;
  }

  /** Kinds of the pending entries (for leak reports). */
  pendingKinds(): string[] {
    return this.entries.map((e) => e.kind);
  }

  /** Fire the earliest entry (moving the clock to it); false when none is pending. */
  fireNext(): boolean {
    if (this.entries.length === 0) return false;
    let best = 0;
    for (let i = 1; i < this.entries.length; i++) {
      const e = this.entries[i] as Entry;
      const b = this.entries[best] as Entry;
      if (e.atMs < b.atMs || (e.atMs === b.atMs && e.id < b.id)) best = i;
    }
    const [entry] = this.entries.splice(best, 1);
    if (entry === undefined) return false;
    this.now = Math.max(this.now, entry.atMs);
    entry.fire();
    return true;
  }
}
