/**
 * The log storage interface: one partition replica's (or one Raft group's)
 * durable log. The Raft core only reads it; the group runner writes to it.
 * Two implementations pass one contract suite (test/storage/contract.ts):
 * the in-memory log used by the simulator (memory-storage.ts) and the LMDB
 * segmented commit log (broker/storage/).
 *
 * Reads are synchronous and see exactly what the last resolved `persist()`
 * left (plus retention). Writes are asynchronous and resolve only once
 * durable (synced), unless the store was opened with `fsync: false`.
 */
import type { Entry, HardState, Index, Offset, Snapshot, SnapshotMeta, Term } from "./types.js";

/**
 * One atomic write. Applied in this order: `snapshot` (discard the whole log
 * and restart it after the snapshot), then `entries` (anything after
 * `entries[0].index - 1` is truncated first, then the entries are appended),
 * then `hardState`. Either all of it is durable after a crash or none of it.
 */
export interface LogUpdate {
  readonly snapshot?: Snapshot;
  readonly entries?: readonly Entry[];
  readonly hardState?: HardState;
}

/** One segment of a log, as the catalog records it. */
export interface SegmentInfo {
  /** Raft index of the first entry in the segment. */
  readonly firstIndex: Index;
  /** Raft index of the last entry in the segment (firstIndex - 1 when empty). */
  readonly lastIndex: Index;
  /** Offset of the first record in the segment. */
  readonly baseOffset: Offset;
  /** Sum of entry sizes in the segment. */
  readonly bytes: number;
  /** When the segment was created (ms since epoch, from the store's clock). */
  readonly createdMs: number;
  /** Largest entry timestamp in the segment, 0 when none. */
  readonly timestampMsMax: number;
}

/** What retention removed. */
export interface RetentionResult {
  readonly segmentsDropped: number;
  readonly bytesDropped: number;
}

export interface RetentionPolicy {
  /** Keep at most this many bytes (whole segments); -1 for no limit. */
  readonly retentionBytes: number;
  /** Drop segments whose newest entry is older than this; -1 for no limit. */
  readonly retentionMs: number;
}

/** The read side, all the Raft core needs. */
export interface LogReader {
  /** Last persisted hard state (EMPTY_HARD_STATE for a new log). */
  hardState(): HardState;
  /** The compaction point: the log holds entries after it only. */
  snapshot(): Snapshot;
  /** Index of the first entry held: snapshot().index + 1. */
  firstIndex(): Index;
  /** Index of the last entry held; snapshot().index when the log holds none. */
  lastIndex(): Index;
  /**
   * Term of the entry at `i`, for snapshot().index <= i <= lastIndex();
   * undefined outside that range.
   */
  term(i: Index): Term | undefined;
  /**
   * Entries with firstIndex() <= lo <= index < hi <= lastIndex() + 1, in order,
   * stopping once their total size (entryBytes) exceeds `bytesMax`, but always
   * at least one when lo < hi. Throws a StorageError COMPACTED when lo < firstIndex().
   */
  entries(lo: Index, hi: Index, bytesMax: number): Entry[];
}

/** The full log: reads by offset, writes, retention. */
export interface LogStorage extends LogReader {
  /** First offset held (the log start offset). */
  logStartOffset(): Offset;
  /** The offset the next appended record will get. */
  nextOffset(): Offset;
  /**
   * Entries holding records at or after `from`, in order, starting with the
   * entry that contains `from`, bounded by `bytesMax` (at least one entry when
   * any exists) and by `indexMax` (inclusive; pass the commit index to stay
   * below the high watermark). Empty when `from >= nextOffset()` or
   * nothing <= indexMax holds it. Throws StorageError OFFSET_OUT_OF_RANGE
   * when `from < logStartOffset()` or `from > nextOffset()`.
   */
  entriesFromOffset(from: Offset, bytesMax: number, indexMax: Index): Entry[];
  /**
   * The offset of the first record whose entry has timestampMs >= `timestampMs`,
   * or undefined when no entry does.
   */
  offsetForTimestamp(timestampMs: number): Offset | undefined;
  /** Apply one atomic update; resolves when durable. */
  persist(update: LogUpdate): Promise<void>;
  /** Remove every entry after `i` (exact). Resolves when durable. */
  truncateAfter(i: Index): Promise<void>;
  /**
   * Cut a damaged suffix off: remove every entry from `from` on, even
   * committed ones, in one durable write that also lowers the hard state's
   * commit to at most `from - 1` and records hardState().promise as the
   * position the log held before (the larger of it and any promise already
   * recorded). Only for a member whose Raft core is not running (at open, or
   * after its runner stopped it). `from` must be in (snapshot().index, lastIndex()];
   * a damaged entry at or below the snapshot point cannot be cut (the caller
   * treats the log as lost instead).
   */
  repair(from: Index): Promise<void>;
  /**
   * Move the log start forward: drop all entries up to and including `upTo`
   * (which must be <= hardState().commit), recording the snapshot point.
   */
  compact(meta: SnapshotMeta, data?: Uint8Array): Promise<void>;
  /** Drop whole old segments per the policy, never past the commit index. */
  applyRetention(policy: RetentionPolicy, nowMs: number): Promise<RetentionResult>;
  /** The segment catalog, oldest first. */
  segments(): SegmentInfo[];
  /**
   * Change the roll thresholds (a topic's segmentBytes and segmentMs were
   * altered): they decide when the active segment rolls from the next append
   * on; segments already rolled keep the size they have.
   */
  setSegmentSettings(settings: { readonly segmentBytes: number; readonly segmentMs: number }): void;
  /** Release resources; further calls fail. */
  close(): Promise<void>;
}

/**
 * Codes of storage failures: operating conditions, never bugs (a broken
 * invariant asserts instead). Stable and append-only: never rename or reuse
 * one; add new codes at the end. Callers decide by code only, never by the
 * message. They are not sent on the wire: the broker maps each to a protocol
 * error (broker/protocol/errors.ts) in one place; docs/STORAGE.md ("Errors")
 * lists the code each is meant to become.
 */
export const STORAGE_ERRORS = {
  /** A read or write below the first index: those entries were compacted or dropped by retention. */
  COMPACTED: "a read or write below the first index (compacted, dropped by retention, or before an installed snapshot)",
  /** entriesFromOffset() outside [logStartOffset(), nextOffset()]. */
  OFFSET_OUT_OF_RANGE: "an offset outside [logStartOffset, nextOffset]",
  /** The log or the store was closed (or the log deleted). */
  CLOSED: "the log or its store is closed",
  /** A malformed argument or a call the log's state forbids (gap, truncating a committed entry, ...). */
  INVALID_ARGUMENT: "a malformed argument, or a write the log's state refuses (a gap, truncating or compacting past the commit index, ...)",
  /** A log already holds pendingOpsMax queued operations: wait for earlier writes before issuing more. */
  TOO_MANY_PENDING_OPS: "the log already has pendingOpsMax operations queued; await earlier writes and retry",
  /** The store already holds logsOpenMax open logs: close one (or raise the limit) first. */
  TOO_MANY_OPEN_LOGS: "the store already has logsOpenMax logs open",
  /** A stored entry failed its checksum or layout checks; details.index names it. Nothing of it was returned. */
  CORRUPT_ENTRY: "a stored entry failed its checksum or layout checks",
  /** A stored record other than an entry (hard state, snapshot point, catalog, registry) failed its checksum or layout checks. */
  CORRUPT_RECORD: "a stored log record (hard state, snapshot point, catalog, registry) failed its checksum or layout checks",
  /** A write failed because the disk is full (ENOSPC, EDQUOT); nothing of it was applied. */
  NOT_ENOUGH_SPACE: "the disk is full: the write was not applied",
  /** A write or read failed in the operating system or LMDB (EIO, ...); nothing of a failed write was applied. */
  IO_ERROR: "the disk or the storage engine failed the operation",
} as const;

/** Stable, append-only codes for storage failures (see STORAGE_ERRORS). */
export type StorageErrorCode = keyof typeof STORAGE_ERRORS;

/** An operating condition reported by storage (not a bug). */
export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    /** Where: the log's name and, for CORRUPT_ENTRY, the damaged entry's index. */
    readonly details: { readonly log?: string; readonly index?: number } = {},
  ) {
    super(`${code}: ${message}`);
    this.name = "StorageError";
  }
}
