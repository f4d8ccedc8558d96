/**
 * One partition replica's (or one Raft group's) segmented commit log in the
 * broker's shared LMDB environment: the composition that implements
 * LogStorage, exactly like MemoryStorage does; test/storage/contract.ts holds
 * both to it. The parts, each in its own file:
 *
 *   segment-catalog.ts  the catalog (LogState) and the planning of every write
 *   term-runs.ts        term(i) from the catalog, without LMDB
 *   offset-index.ts     reads by offset and by timestamp (no secondary index)
 *   op-queue.ts         the per-log FIFO that serializes writes
 *   segment-reclaim.ts  background deletion of entries hidden by a drop
 *   ../raft/log-validate.ts  the argument checks (shared with MemoryStorage)
 *
 * This file holds what touches LMDB: reading entries and headers, and turning
 * plans into one batch of WriteOps per operation.
 *
 * State: the catalog (segments), hard state and snapshot point live in the
 * meta DB and are mirrored in memory (`state`), so lastIndex, term(i),
 * hardState and the offset bounds never touch LMDB. Entries live in the
 * entries DB and are read from there (synchronously, lmdb-js gets are sync).
 *
 * Writes: every mutating call is one operation on the log's OpQueue. An
 * operation checks its arguments (nothing may throw once a batch has
 * started), plans its LMDB writes against the current state, hands them to
 * the store as ONE lmdb-js batch (one LMDB transaction, shared with whatever
 * other logs wrote in the same event turn: group commit), waits until that
 * transaction is committed and synced, and only then swaps in the new state.
 * So reads see exactly the last resolved write, a failed transaction leaves
 * the state as it was, and operations of one log never overlap.
 *
 * Integrity: every entry read is checked before anything of it is used
 * (codec.ts): header reads (offset and timestamp searches, truncation
 * planning) check the header's CRC-32C, reads that hand entries out check the
 * payload's too. A damaged or missing entry throws StorageError CORRUPT_ENTRY
 * { log, index }; repair(index) cuts it and everything after it off
 * (docs/STORAGE.md, "Checksums").
 *
 * Space reclamation: dropping segments (retention, compaction, snapshot
 * install) first moves the snapshot point and removes their catalog records
 * in one transaction, which hides the entries at once; SegmentReclaim then
 * deletes them in bounded chunks. Entries below the first index are never
 * read, so a crash between the two steps only leaves garbage, which the next
 * open removes.
 */
import type { Database } from "lmdb";
import { StorageError, type LogStorage, type LogUpdate, type RetentionPolicy, type RetentionResult, type SegmentInfo } from "../raft/log-storage.js";
import {
  checkAppendOffset,
  checkAppendPlace,
  checkBound,
  checkCompaction,
  checkCompactionCommitted,
  checkCompactionCut,
  checkEntriesRange,
  checkOffsetRead,
  checkRepair,
  checkRetentionPolicy,
  checkTruncateAfter,
  checkUpdateShape,
  repairedHardState,
} from "../raft/log-validate.js";
import { entryBytes, index, offset, term, type Entry, type HardState, type Index, type Offset, type Snapshot, type SnapshotMeta, type Term } from "../raft/types.js";
import {
  checkEntryData,
  corruptEntry,
  ENTRY_KEY_BYTES,
  entryOf,
  encodeHardState,
  encodeSegment,
  encodeSnapshot,
  entryKey,
  entryKeyIndex,
  entryValueBytes,
  INDEX_MAX,
  logKeyEnd,
  logKeyStart,
  metaKey,
  MetaType,
  readEntryHeader,
  segmentKey,
  writeEntryValue,
  type EntryHeader,
  type SegmentRecord,
} from "./codec.js";
import { OffsetIndex, offsetForTimestamp } from "./offset-index.js";
import { OpQueue } from "./op-queue.js";
import {
  assertStateValid,
  lastIndexOf,
  nextOffsetOf,
  planAppend,
  planCompaction,
  planInstall,
  planRetention,
  planTruncate,
  startOffsetOf,
  termOf,
  toSegmentInfo,
  type CatalogChange,
  type LogState,
} from "./segment-catalog.js";
import { SegmentReclaim } from "./segment-reclaim.js";

export type { LogState } from "./segment-catalog.js";

/** Per-log segment settings. */
export interface LogSettings {
  /** Roll to a new segment once the active one holds at least this many bytes (sum of entryBytes). */
  readonly segmentBytes: number;
  /** Roll to a new segment once the active one is at least this old (by the store's clock). */
  readonly segmentMs: number;
}

/** One write of a batch: a put when `value` is set, else a remove. */
export interface KeyOp {
  readonly db: Database<Buffer, Buffer>;
  readonly key: Buffer;
  readonly value?: Buffer;
}

/** Puts of the entries firstIndex, firstIndex + 1, ... of one log; keys are built at write time. */
export interface EntriesPut {
  readonly logId: number;
  readonly firstIndex: number;
  readonly values: readonly Buffer[];
}

/** Writes are applied in order: a later op on the same key wins. */
export type WriteOp = KeyOp | EntriesPut;

/** What a log needs from the store that owns it. */
export interface LogContext {
  readonly entriesDb: Database<Buffer, Buffer>;
  readonly metaDb: Database<Buffer, Buffer>;
  /** Wall clock for segment creation times and segmentMs. */
  readonly clock: () => number;
  /** Entries deleted per transaction when reclaiming dropped segments. */
  readonly reclaimChunkKeys: number;
  /** Operations one log may have queued before further calls are refused. */
  readonly pendingOpsMax: number;
  /** Apply the ops as one atomic transaction; resolves once durable. Never throws synchronously. */
  write(ops: readonly WriteOp[]): Promise<void>;
  /** Called once the log has closed. */
  onClosed(log: LmdbLog): void;
}

/**
 * A log in a LogStore. Obtain one with LogStore.openLog(); it stays valid
 * until close(), LogStore.deleteLog() or LogStore.close(). Entries and
 * snapshot data handed to a write must not be modified until it resolves
 * (a write queued behind another copies them when it runs).
 */
export class LmdbLog implements LogStorage {
  private state: LogState;
  private closing: Promise<void> | undefined;
  private readonly queue: OpQueue;
  private readonly reclaim: SegmentReclaim;
  private readonly offsets: OffsetIndex;
  private readonly headerAt = (i: number): EntryHeader => this.readHeader(i);

  /** @internal Constructed by LogStore with the state it loaded. */
  constructor(
    /** The log's name in its store. */
    readonly name: string,
    /** The log's numeric id: the key prefix of all its records. */
    readonly logId: number,
    private settings: LogSettings,
    private readonly ctx: LogContext,
    initial: LogState,
  ) {
    assertStateValid(initial, name);
    this.state = initial;
    this.queue = new OpQueue(name, ctx.pendingOpsMax);
    this.offsets = new OffsetIndex(name);
    this.reclaim = new SegmentReclaim(
      {
        snapIndex: () => this.state.snap.index,
        storedIndexes: (from, to, limit) => {
          const end = to === undefined ? logKeyEnd(this.logId) : entryKey(this.logId, to + 1);
          // A key of another length (only damage makes one) names no index: left for the scan to report.
          const keys = Array.from(this.ctx.entriesDb.getKeys({ start: entryKey(this.logId, from), end, limit }));
          return keys.filter((k) => k.byteLength === ENTRY_KEY_BYTES).map(entryKeyIndex);
        },
        deleteEntries: (indexes) => this.ctx.write(indexes.map((i) => ({ db: this.ctx.entriesDb, key: entryKey(this.logId, i) }))),
        runQueued: (op) => this.queue.runInternal(op),
        isClosed: () => this.queue.closed,
      },
      ctx.reclaimChunkKeys,
    );
  }

  // ---- LogReader -------------------------------------------------------

  hardState(): HardState {
    this.check();
    return this.state.hs;
  }

  snapshot(): Snapshot {
    this.check();
    return this.state.snap;
  }

  firstIndex(): Index {
    this.check();
    return index(this.state.snap.index + 1);
  }

  lastIndex(): Index {
    this.check();
    return index(lastIndexOf(this.state));
  }

  term(i: Index): Term | undefined {
    this.check();
    const t = termOf(this.state, i);
    return t === undefined ? undefined : term(t);
  }

  entries(lo: Index, hi: Index, bytesMax: number): Entry[] {
    this.check();
    const st = this.state;
    checkEntriesRange(lo, hi, bytesMax, st.snap.index, lastIndexOf(st));
    if (lo >= hi) return [];
    return this.readRange(lo, hi - 1, bytesMax);
  }

  // ---- reads by offset -------------------------------------------------

  logStartOffset(): Offset {
    this.check();
    return offset(startOffsetOf(this.state));
  }

  nextOffset(): Offset {
    this.check();
    return offset(nextOffsetOf(this.state));
  }

  entriesFromOffset(from: Offset, bytesMax: number, indexMax: Index): Entry[] {
    this.check();
    const st = this.state;
    const next = nextOffsetOf(st);
    checkOffsetRead(from, bytesMax, indexMax, startOffsetOf(st), next);
    if (from === next) return [];
    const k = this.offsets.indexForOffset(st, from, this.headerAt);
    const hi = Math.min(lastIndexOf(st), Math.floor(indexMax));
    if (k > hi) return [];
    const out = this.readRange(k, hi, bytesMax);
    const tail = out[out.length - 1];
    if (tail) this.offsets.remember(tail.offset + tail.count, tail.index + 1);
    return out;
  }

  offsetForTimestamp(timestampMs: number): Offset | undefined {
    this.check();
    checkBound(timestampMs, "timestampMs");
    const o = offsetForTimestamp(this.state.segs, timestampMs, this.headerAt);
    return o === undefined ? undefined : offset(o);
  }

  setSegmentSettings(settings: LogSettings): void {
    this.check();
    // Checked as LogStore.openLog checks them.
    if (!Number.isSafeInteger(settings.segmentBytes) || settings.segmentBytes < 1 || !(settings.segmentMs > 0)) {
      throw new StorageError("INVALID_ARGUMENT", `${this.name}: segmentBytes must be a positive integer and segmentMs positive, got ${JSON.stringify(settings)}`);
    }
    this.settings = { segmentBytes: settings.segmentBytes, segmentMs: settings.segmentMs };
  }

  segments(): SegmentInfo[] {
    this.check();
    return this.state.segs.map(toSegmentInfo);
  }

  // ---- writes ----------------------------------------------------------

  persist(update: LogUpdate): Promise<void> {
    return this.queue.enqueue(() => {
      checkUpdateShape(update);
      return this.persistOp(update);
    });
  }

  /**
   * Cut the damaged suffix from `from` on (LogStorage.repair): one durable
   * transaction removes the entries, rewrites the catalog as truncateAfter
   * does, and writes the repaired hard state (commit at most from - 1, the
   * promise the larger of the recorded one and the position held before).
   * It reads only the header of entry from - 1 (the new last entry, for the
   * trimmed catalog record), never the damaged ones; when that header is
   * damaged too, it rejects with CORRUPT_ENTRY { index: from - 1 } and
   * changes nothing (repair from there instead).
   */
  repair(from: Index): Promise<void> {
    return this.queue.enqueue(async () => {
      const st = this.state;
      const last = lastIndexOf(st);
      checkRepair(from, st.snap.index, last);
      const held = { term: term(termOf(st, last)!), index: index(last) };
      const hs = repairedHardState(st.hs, from, held);
      const ops: WriteOp[] = [];
      this.removeEntriesAfter(st, from - 1, from - 1, ops);
      const plan = planTruncate(st, from - 1, this.headerAt);
      this.pushCatalog(plan.changes, ops);
      this.pushHardState(hs, ops);
      await this.commit(ops, { ...st, hs, segs: plan.segs });
    });
  }

  truncateAfter(i: Index): Promise<void> {
    return this.queue.enqueue(async () => {
      const st = this.state;
      checkTruncateAfter(i, st.hs.commit, st.snap.index);
      if (i >= lastIndexOf(st)) return;
      const ops: WriteOp[] = [];
      this.removeEntriesAfter(st, i, i, ops);
      const plan = planTruncate(st, i, this.headerAt);
      this.pushCatalog(plan.changes, ops);
      await this.commit(ops, { ...st, segs: plan.segs });
    });
  }

  compact(meta: SnapshotMeta, data: Uint8Array = new Uint8Array(0)): Promise<void> {
    return this.queue
      .enqueue(async () => {
        checkCompaction(meta, data);
        const st = this.state;
        if (meta.index <= st.snap.index) return;
        checkCompactionCommitted(meta, st.hs.commit);
        const last = lastIndexOf(st);
        let cut: EntryHeader | undefined;
        if (meta.index <= last) {
          cut = this.readHeader(meta.index);
          checkCompactionCut(meta, cut.term, cut.offset + cut.count);
        }
        const ops: WriteOp[] = [];
        const plan = planCompaction(st, meta, cut);
        this.pushCatalog(plan.changes, ops);
        const snap: Snapshot = { index: meta.index, term: meta.term, offset: meta.offset, data };
        this.pushSnapshot(snap, ops);
        await this.commit(ops, { ...st, snap, segs: plan.segs });
        this.reclaim.reclaim(st.snap.index + 1, Math.min(meta.index, last));
      })
      .then(() => this.reclaim.done());
  }

  applyRetention(policy: RetentionPolicy, nowMs: number): Promise<RetentionResult> {
    // Most passes find nothing to drop. With no operation queued the state is current, so the (pure)
    // plan decides that at once, without a trip through the queue: the broker's pass over every
    // partition every retentionCheckIntervalMs then costs next to nothing per idle partition (issue 16).
    if (!this.queue.closed && this.queue.pendingOps === 0) {
      try {
        checkRetentionPolicy(policy, nowMs);
      } catch (err) {
        return Promise.reject(err);
      }
      if (planRetention(this.state, policy, nowMs) === undefined) return Promise.resolve({ segmentsDropped: 0, bytesDropped: 0 });
    }
    return this.queue
      .enqueue(async (): Promise<RetentionResult> => {
        checkRetentionPolicy(policy, nowMs);
        const st = this.state;
        const plan = planRetention(st, policy, nowMs);
        if (!plan) return { segmentsDropped: 0, bytesDropped: 0 };
        const ops: WriteOp[] = [];
        this.pushCatalog(plan.changes, ops);
        this.pushSnapshot(plan.snap, ops);
        await this.commit(ops, { ...st, snap: plan.snap, segs: plan.segs });
        this.reclaim.reclaim(st.snap.index + 1, plan.snap.index);
        return { segmentsDropped: plan.segmentsDropped, bytesDropped: plan.bytesDropped };
      })
      .then(async (r) => {
        await this.reclaim.done();
        return r;
      });
  }

  /**
   * Stop accepting calls, let the queued operations finish (space reclamation
   * stops early; the next open finishes it), release the log. Idempotent.
   */
  close(): Promise<void> {
    if (!this.closing) {
      this.queue.close();
      this.closing = (async () => {
        await this.queue.idle();
        // A chunk that failed (a full disk) leaves hidden garbage only, which the next open removes.
        await this.reclaim.done().catch(() => undefined);
        await this.queue.idle();
        this.ctx.onClosed(this);
      })();
    }
    return this.closing;
  }

  /** True once close() was called (or the store closed or deleted the log). */
  isClosed(): boolean {
    return this.queue.closed;
  }

  /**
   * Diagnostics (O(entries)): how many entries of this log are stored in
   * LMDB, including ones hidden below the first index and not yet reclaimed.
   */
  storedEntryCount(): number {
    this.check();
    return this.ctx.entriesDb.getKeysCount({ start: logKeyStart(this.logId), end: logKeyEnd(this.logId) });
  }

  /** Resolves once the space reclamation started so far has finished (for tests and tools). */
  whenReclaimed(): Promise<void> {
    return this.reclaim.done();
  }

  /** @internal Reclaim garbage left by a crash: entries outside [firstIndex, lastIndex]. Used by LogStore at open. */
  reclaimOutside(): Promise<void> {
    const st = this.state;
    return this.reclaim.reclaimOutside(st.snap.index, lastIndexOf(st), INDEX_MAX);
  }

  // ---- internals -------------------------------------------------------

  private check(): void {
    if (this.queue.closed) throw new StorageError("CLOSED", `log ${this.name} is closed`);
  }

  /** Write ops as one transaction, then make `next` the visible state. */
  private async commit(ops: readonly WriteOp[], next: LogState): Promise<void> {
    if (ops.length > 0) await this.ctx.write(ops);
    this.state = next;
  }

  private async persistOp(u: LogUpdate): Promise<void> {
    const st = this.state;
    // In order: a later op on a key wins (a removed segment record may be written anew).
    const ops: WriteOp[] = [];
    let snap = st.snap;
    let segs: readonly SegmentRecord[] = st.segs;
    let reclaim: [number, number] | undefined;
    if (u.snapshot) {
      // Install: the whole log restarts after the snapshot.
      const s = u.snapshot;
      snap = { index: s.index, term: s.term, offset: s.offset, data: s.data };
      this.pushCatalog(planInstall(st).changes, ops);
      const oldFirst = st.snap.index + 1;
      const oldLast = lastIndexOf(st);
      // Entries above the new snapshot could reappear under new appends: delete them now.
      // Those at or below it are hidden and reclaimed afterwards.
      const rewrittenThrough = u.entries?.[0]?.index === s.index + 1 ? s.index + u.entries.length : s.index;
      // Scan rather than count: after an earlier install moved the snapshot back, hidden
      // entries not yet reclaimed can sit above the new snapshot too.
      for (const key of this.ctx.entriesDb.getKeys({ start: entryKey(this.logId, rewrittenThrough + 1), end: logKeyEnd(this.logId) })) {
        ops.push({ db: this.ctx.entriesDb, key: Buffer.from(key) });
      }
      if (oldFirst <= Math.min(oldLast, s.index)) reclaim = [oldFirst, Math.min(oldLast, s.index)];
      segs = [];
      this.pushSnapshot(snap, ops);
    }
    const entries = u.entries ?? [];
    const first = entries[0];
    if (first) {
      const base: LogState = { hs: st.hs, snap, segs };
      const last = lastIndexOf(base);
      checkAppendPlace(first, snap.index, last, st.hs.commit);
      const after = first.index - 1;
      if (after < last) {
        this.removeEntriesAfter(base, after, after + entries.length, ops);
        const plan = planTruncate(base, after, this.headerAt);
        this.pushCatalog(plan.changes, ops);
        segs = plan.segs;
      }
      checkAppendOffset(first, nextOffsetOf({ hs: st.hs, snap, segs }));
      segs = this.planEntries(segs, entries, ops);
    }
    const hs = u.hardState ?? st.hs;
    if (u.hardState) this.pushHardState(hs, ops);
    await this.commit(ops, { hs, snap, segs });
    // Not awaited: the Raft runner waits on persist(), reclamation is background work.
    if (reclaim) this.reclaim.reclaim(reclaim[0], reclaim[1]);
  }

  /**
   * Remove the stored entries after t (snap.index <= t < lastIndex); keys up
   * to `overwrittenThrough` are about to be rewritten and are not removed.
   */
  private removeEntriesAfter(st: LogState, t: number, overwrittenThrough: number, ops: WriteOp[]): void {
    const last = lastIndexOf(st);
    for (let i = Math.max(t, overwrittenThrough) + 1; i <= last; i++) ops.push({ db: this.ctx.entriesDb, key: entryKey(this.logId, i) });
  }

  /** Encode the entries (one slab for the batch) and plan their catalog; returns the segments afterwards. */
  private planEntries(segsIn: readonly SegmentRecord[], entries: readonly Entry[], ops: WriteOp[]): SegmentRecord[] {
    // One allocation for every value of the batch; each put gets a view of it.
    let total = 0;
    for (const e of entries) total += entryValueBytes(e);
    const slab = Buffer.allocUnsafeSlow(total);
    const view = new DataView(slab.buffer, slab.byteOffset, slab.byteLength);
    const values: Buffer[] = new Array<Buffer>(entries.length);
    let at = 0;
    const plan = planAppend(segsIn, entries, this.settings, this.ctx.clock(), (k, e, bytesThrough, timestampMsMax) => {
      const n = entryValueBytes(e);
      writeEntryValue(slab, view, at, e, bytesThrough, timestampMsMax);
      values[k] = slab.subarray(at, at + n);
      at += n;
    });
    ops.push({ logId: this.logId, firstIndex: entries[0]!.index, values });
    this.pushCatalog(plan.changes, ops);
    return plan.segs;
  }

  /** The catalog changes of a plan as meta DB writes, in order. */
  private pushCatalog(changes: readonly CatalogChange[], ops: WriteOp[]): void {
    for (const c of changes) {
      const key = segmentKey(this.logId, c.firstIndex);
      ops.push(c.record ? { db: this.ctx.metaDb, key, value: encodeSegment(c.record, key) } : { db: this.ctx.metaDb, key });
    }
  }

  /** The hard state record write. */
  private pushHardState(hs: HardState, ops: WriteOp[]): void {
    const key = metaKey(this.logId, MetaType.HardState);
    ops.push({ db: this.ctx.metaDb, key, value: encodeHardState(hs, key) });
  }

  /** The snapshot point record write. */
  private pushSnapshot(snap: Snapshot, ops: WriteOp[]): void {
    const key = metaKey(this.logId, MetaType.Snapshot);
    ops.push({ db: this.ctx.metaDb, key, value: encodeSnapshot(snap, key) });
  }

  /**
   * Header of the stored entry i, which the catalog says exists, its checksum
   * verified. A missing or damaged value throws StorageError CORRUPT_ENTRY.
   */
  private readHeader(i: number): EntryHeader {
    const v = this.ctx.entriesDb.getBinaryFast(entryKey(this.logId, i));
    if (!v) throw corruptEntry(this.name, i, "missing from LMDB although the catalog holds it");
    return readEntryHeader(v, v.length, this.name, i);
  }

  /**
   * Entries lo..hi (inclusive, all held), bounded by bytesMax but at least
   * one, each verified (header and payload) before it is handed out: a
   * missing or damaged entry throws StorageError CORRUPT_ENTRY naming it, and
   * nothing of the read is returned.
   */
  private readRange(lo: number, hi: number, bytesMax: number): Entry[] {
    const out: Entry[] = [];
    let bytes = 0;
    let expect = lo;
    for (const { key, value } of this.ctx.entriesDb.getRange({ start: entryKey(this.logId, lo), end: entryKey(this.logId, hi + 1) })) {
      const at = key.byteLength === ENTRY_KEY_BYTES ? entryKeyIndex(key) : -1;
      if (at !== expect) throw corruptEntry(this.name, expect, "missing from LMDB although the catalog holds it");
      const h = readEntryHeader(value, value.byteLength, this.name, expect);
      const e = entryOf(value, h);
      bytes += entryBytes(e);
      if (out.length > 0 && bytes > bytesMax) break;
      // The payload's CRC only for entries handed out: the one past the byte limit is not.
      checkEntryData(value, h, this.name);
      out.push(e);
      expect++;
    }
    if (!(out.length > 0 && (expect === hi + 1 || bytes > bytesMax))) throw corruptEntry(this.name, expect, "missing from LMDB although the catalog holds it");
    return out;
  }
}

