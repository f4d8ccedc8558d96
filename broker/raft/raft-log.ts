/**
 * The core's view of its log: durable entries in storage (read only here)
 * followed by unstable entries that were accepted but not yet persisted
 * (after etcd's raftLog/unstable). A snapshot received from the leader is
 * unstable too until persisted; while it is, storage is not consulted.
 *
 * Entries that just became durable stay in a bounded cache of recent entries
 * (`recentBytesMax`), so the leader serves appends to followers and the
 * runner applies committed entries from memory instead of reading back what
 * it has just written. The cache mirrors storage exactly: it only ever holds
 * the durable entries just below the unstable ones, and truncation or a
 * snapshot drops what they replace.
 *
 * Invariants: snapshotIndex <= applied <= committed <= lastIndex;
 * committed entries are never truncated;
 * recent entries are dense and end at unstableOffset - 1.
 */
import { assert } from "./assert.js";
import type { LogReader } from "./log-storage.js";
import { entryBytes, index, offset, type Entry, type Index, type Offset, type Snapshot, type Term } from "./types.js";

export class RaftLog {
  /** Index of the first unstable entry (entries below it are read from storage). */
  private unstableOffset: Index;
  private unstableEntries: Entry[] = [];
  /** A snapshot to install, not yet persisted. */
  private unstableSnapshot: Snapshot | undefined;
  /** Durable entries just below unstableOffset, oldest first (a cache of storage); evicted slots hold undefined. */
  private recent: (Entry | undefined)[] = [];
  /** Index of recent[recentHead] (the oldest cached entry). */
  private recentFirst: Index;
  /**
   * Slots before recentHead were evicted: emptied at once, so an evicted
   * entry's payload is not held (a slot kept its entry until the array was
   * compacted, up to 1,024 entries per group: with 1 MiB batches, a gigabyte
   * of every group's history stayed in memory), and the array itself is
   * compacted lazily to keep eviction O(1).
   */
  private recentHead = 0;
  private recentBytes = 0;
  /** Highest index known committed. */
  committed: Index;
  /** Highest index handed to the state machine. */
  applied: Index;

  constructor(
    private readonly storage: LogReader,
    applied?: Index,
    /** Bytes (entryBytes) of recent durable entries kept in memory; 0 turns the cache off. */
    private readonly recentBytesMax = 0,
  ) {
    const snap = storage.snapshot();
    this.unstableOffset = index(storage.lastIndex() + 1);
    this.recentFirst = this.unstableOffset;
    this.committed = index(Math.max(storage.hardState().commit, snap.index));
    assert(this.committed <= storage.lastIndex(), `stored commit ${this.committed} beyond last index ${storage.lastIndex()}`);
    this.applied = index(Math.max(applied ?? snap.index, snap.index));
    assert(this.applied <= this.committed, `applied ${this.applied} beyond commit ${this.committed}`);
  }

  /** The compaction point the log starts after. */
  snapshot(): Snapshot {
    return this.unstableSnapshot ?? this.storage.snapshot();
  }
  firstIndex(): Index {
    return index(this.snapshot().index + 1);
  }
  lastIndex(): Index {
    const n = this.unstableEntries.length;
    if (n > 0) return index(this.unstableOffset + n - 1);
    if (this.unstableSnapshot) return this.unstableSnapshot.index;
    return index(Math.min(this.storage.lastIndex(), this.unstableOffset - 1));
  }
  /** Last index known durable (everything after it is unstable). */
  lastStableIndex(): Index {
    return index(Math.min(this.storage.lastIndex(), this.unstableOffset - 1));
  }
  lastTerm(): Term {
    const t = this.term(this.lastIndex());
    assert(t !== undefined, "term of the last index is unknown");
    return t;
  }
  /** Term at `i`, or undefined when compacted or beyond the last index. */
  term(i: Index): Term | undefined {
    const snap = this.snapshot();
    if (i === snap.index) return snap.term;
    if (i < snap.index || i > this.lastIndex()) return undefined;
    if (i >= this.unstableOffset) return this.unstableEntries[i - this.unstableOffset]?.term;
    if (this.unstableSnapshot) return undefined;
    return this.storage.term(i);
  }
  matchTerm(i: Index, t: Term): boolean {
    return this.term(i) === t;
  }
  /** Raft paper §5.4.1: is (lastIndex, lastTerm) at least as up to date as ours? */
  isUpToDate(lastIndex: Index, lastTerm: Term): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** The offset the next appended record gets. */
  nextOffset(): Offset {
    const last = this.lastIndex();
    const snap = this.snapshot();
    if (last === snap.index) return snap.offset;
    const e = this.entries(last, index(last + 1), Infinity)?.[0];
    assert(e, `entry ${last} missing`);
    return offset(e.offset + e.count);
  }

  /**
   * Entries in [lo, hi), bounded by bytesMax (at least one when lo < hi).
   * Returns undefined when lo is compacted.
   */
  entries(lo: Index, hi: Index, bytesMax: number): Entry[] | undefined {
    if (lo < this.firstIndex()) return undefined;
    hi = index(Math.min(hi, this.lastIndex() + 1));
    if (lo >= hi) return [];
    const out: Entry[] = [];
    let bytes = 0;
    if (lo < this.unstableOffset) {
      assert(!this.unstableSnapshot, "reading storage below an unstable snapshot");
      const storedHi = index(Math.min(hi, this.unstableOffset));
      const stored = lo >= this.recentFirst ? this.recentRange(lo, storedHi, bytesMax) : this.storage.entries(lo, storedHi, bytesMax);
      for (const e of stored) {
        bytes += entryBytes(e);
        out.push(e);
      }
      // Storage stopped at the byte limit.
      if (stored.length < storedHi - lo) return out;
    }
    for (let i = Math.max(lo, this.unstableOffset); i < hi; i++) {
      const e = this.unstableEntries[i - this.unstableOffset];
      assert(e, `unstable entry ${i} missing`);
      bytes += entryBytes(e);
      if (out.length > 0 && bytes > bytesMax) break;
      out.push(e);
    }
    return out;
  }

  /** Unstable entries waiting to be persisted. */
  unstable(): readonly Entry[] {
    return this.unstableEntries;
  }
  pendingSnapshot(): Snapshot | undefined {
    return this.unstableSnapshot;
  }

  /**
   * Append entries (from the leader, or our own proposals), truncating any
   * conflicting suffix first. Never truncates committed entries.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    assert(first > this.committed, `truncating committed entries at ${first} (commit ${this.committed})`);
    assert(first <= this.lastIndex() + 1, `gap appending ${first} after ${this.lastIndex()}`);
    if (first === this.unstableOffset + this.unstableEntries.length) {
      for (const e of entries) this.unstableEntries.push(e);
    } else if (first <= this.unstableOffset) {
      // Replaces all unstable entries and any stored ones from `first` on.
      this.dropRecentFrom(first);
      this.unstableOffset = first;
      this.unstableEntries = entries.slice();
    } else {
      this.unstableEntries = this.unstableEntries.slice(0, first - this.unstableOffset);
      for (const e of entries) this.unstableEntries.push(e);
    }
  }

  /**
   * Handle an Append from the leader (paper §5.3). Returns the last new index
   * when prev matches, undefined when it does not.
   */
  maybeAppend(prevIndex: Index, prevTerm: Term, leaderCommit: Index, entries: readonly Entry[]): Index | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = index(prevIndex + entries.length);
    const conflict = this.findConflict(entries);
    if (conflict !== undefined) {
      assert(conflict > this.committed, `conflict at ${conflict} is committed (commit ${this.committed})`);
      this.append(entries.slice(conflict - (prevIndex + 1)));
    }
    this.commitTo(index(Math.min(leaderCommit, lastNew)));
    return lastNew;
  }

  /** First index in `entries` whose term differs from ours (or that we lack); undefined when all match. */
  private findConflict(entries: readonly Entry[]): Index | undefined {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return undefined;
  }

  /**
   * The largest index <= `i` whose term is <= `t`, with its term (for the
   * fast back-off hint). Stops at the compaction point.
   */
  findConflictByTerm(i: Index, t: Term): { index: Index; term: Term } {
    let k = index(Math.min(i, this.lastIndex()));
    for (;;) {
      const kt = this.term(k);
      if (kt === undefined) return { index: k, term: 0 as Term };
      if (kt <= t) return { index: k, term: kt };
      k = index(k - 1);
    }
  }

  commitTo(c: Index): void {
    if (c <= this.committed) return;
    assert(c <= this.lastIndex(), `commit ${c} beyond last index ${this.lastIndex()}`);
    this.committed = c;
  }

  /** Committed entries not yet handed out, bounded by bytesMax. */
  nextCommitted(bytesMax: number): Entry[] {
    if (this.applied >= this.committed) return [];
    return this.entries(index(this.applied + 1), index(this.committed + 1), bytesMax) ?? [];
  }
  hasNextCommitted(): boolean {
    return this.applied < this.committed;
  }
  appliedTo(i: Index): void {
    assert(i <= this.committed && i >= this.applied, `applied ${i} outside [${this.applied}, ${this.committed}]`);
    this.applied = i;
  }

  /** Entries up to (i, t) were persisted: drop them from unstable if still the same. */
  stableTo(i: Index, t: Term): void {
    if (i < this.unstableOffset) return;
    const e = this.unstableEntries[i - this.unstableOffset];
    if (!e || e.term !== t) return;
    const n = i + 1 - this.unstableOffset;
    if (this.recentBytesMax > 0) {
      for (let k = 0; k < n; k++) this.remember(this.unstableEntries[k]!);
    }
    this.unstableEntries = this.unstableEntries.slice(n);
    this.unstableOffset = index(i + 1);
    if (this.recentBytesMax === 0) this.recentFirst = this.unstableOffset;
  }

  /** Cached entries in [lo, hi) (recentFirst <= lo < hi <= unstableOffset), bounded like LogReader.entries. */
  private recentRange(lo: Index, hi: Index, bytesMax: number): Entry[] {
    const out: Entry[] = [];
    let bytes = 0;
    const base = this.recentHead - this.recentFirst;
    for (let i = lo; i < hi; i++) {
      const e = this.recent[base + i];
      assert(e && e.index === i, `recent entry ${i} missing`);
      bytes += entryBytes(e);
      if (out.length > 0 && bytes > bytesMax) break;
      out.push(e);
    }
    return out;
  }

  /** Add a just-persisted entry (the next after the cache) and evict the oldest beyond the byte bound. */
  private remember(e: Entry): void {
    if (this.recentHead === this.recent.length) {
      // Empty: restart the cache at this entry.
      this.recent = [];
      this.recentHead = 0;
      this.recentFirst = e.index;
    }
    assert(e.index === this.recentFirst + (this.recent.length - this.recentHead), `recent entry ${e.index} out of order`);
    this.recent.push(e);
    this.recentBytes += entryBytes(e);
    while (this.recentBytes > this.recentBytesMax && this.recentHead < this.recent.length) {
      this.recentBytes -= entryBytes(this.recent[this.recentHead]!);
      this.recent[this.recentHead] = undefined;
      this.recentHead++;
      this.recentFirst = index(this.recentFirst + 1);
    }
    if (this.recentHead > 1024 && this.recentHead * 2 > this.recent.length) {
      this.recent = this.recent.slice(this.recentHead);
      this.recentHead = 0;
    }
  }

  /** Storage is about to lose its entries from `i` on (truncation): forget them here too. */
  private dropRecentFrom(i: Index): void {
    const keep = Math.max(0, i - this.recentFirst);
    const cached = this.recent.length - this.recentHead;
    if (keep >= cached) return;
    for (let k = this.recentHead + keep; k < this.recent.length; k++) this.recentBytes -= entryBytes(this.recent[k]!);
    this.recent.length = this.recentHead + keep;
    if (keep === 0) {
      this.recent = [];
      this.recentHead = 0;
      this.recentBytes = 0;
      this.recentFirst = i;
    }
  }
  /** The unstable snapshot was persisted. */
  stableSnapTo(i: Index): void {
    if (this.unstableSnapshot && this.unstableSnapshot.index === i) this.unstableSnapshot = undefined;
  }

  /** Install a snapshot from the leader: the whole log restarts after it. */
  restore(snap: Snapshot): void {
    assert(snap.index > this.committed, `restoring snapshot ${snap.index} at or below commit ${this.committed}`);
    this.unstableSnapshot = snap;
    this.dropRecentFrom(index(0));
    this.unstableOffset = index(snap.index + 1);
    this.recentFirst = this.unstableOffset;
    this.unstableEntries = [];
    this.committed = snap.index;
  }
}
