/**
 * The one set of argument and placement checks of LogStorage, shared by both
 * implementations: MemoryStorage (broker/raft/memory-storage.ts) and the LMDB
 * log (broker/storage/lmdb-log.ts). It lives in broker/raft because the
 * in-memory log is core-side and may import only broker/raft files (see
 * test/architecture/imports.test.ts); broker/storage imports it from here.
 *
 * Every check runs before anything is written and refuses with a
 * StorageError: INVALID_ARGUMENT for anything a caller can get wrong,
 * COMPACTED for a position below the first index, OFFSET_OUT_OF_RANGE for an
 * offset outside the log. So a bad call never half-applies (the LMDB log needs
 * that: lmdb-js commits whatever a batch callback wrote before it threw, so
 * nothing may throw once a batch has started). The contract suite
 * (test/storage/contract.ts) holds both implementations to these rules.
 *
 * Pure: no I/O, no imports outside broker/raft.
 */
import { StorageError, type LogUpdate, type RetentionPolicy } from "./log-storage.js";
import { EntryKind, index, type Entry, type HardState, type LogPosition, type SnapshotMeta } from "./types.js";

/** Largest record count one entry may carry (stored as u32). */
export const ENTRY_COUNT_MAX = 0xffff_ffff;

function bad(message: string): StorageError {
  return new StorageError("INVALID_ARGUMENT", message);
}

function isNat(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

/** A Raft index / term / offset / node id argument: a safe integer >= 0. */
export function checkNat(x: unknown, what: string): number {
  if (!isNat(x)) throw bad(`${what} must be a non-negative safe integer, got ${String(x)}`);
  return x;
}

/** A byte or index bound: any number that is not NaN (Infinity allowed). */
export function checkBound(x: unknown, what: string): number {
  if (typeof x !== "number" || Number.isNaN(x)) throw bad(`${what} must be a number, got ${String(x)}`);
  return x;
}

/** The shape of one entry (not its place in the log). */
export function checkEntryShape(e: Entry): void {
  if (typeof e !== "object" || e === null) throw bad("entry must be an object");
  if (!isNat(e.index) || e.index < 1) throw bad(`entry index must be a safe integer >= 1, got ${String(e.index)}`);
  if (!isNat(e.term)) throw bad(`entry ${e.index}: term must be a non-negative safe integer`);
  if (e.kind !== EntryKind.Noop && e.kind !== EntryKind.Records && e.kind !== EntryKind.Command && e.kind !== EntryKind.Config) {
    throw bad(`entry ${e.index}: unknown kind ${String(e.kind)}`);
  }
  if (!isNat(e.offset)) throw bad(`entry ${e.index}: offset must be a non-negative safe integer`);
  if (!isNat(e.count) || e.count > ENTRY_COUNT_MAX) throw bad(`entry ${e.index}: count must be an integer in [0, ${ENTRY_COUNT_MAX}]`);
  if (!isNat(e.offset + e.count)) throw bad(`entry ${e.index}: offset + count overflows`);
  if (typeof e.timestampMs !== "number" || !Number.isFinite(e.timestampMs)) throw bad(`entry ${e.index}: timestampMs must be finite`);
  if (!(e.data instanceof Uint8Array)) throw bad(`entry ${e.index}: data must be a Uint8Array`);
}

/** A hard state: term, vote and commit are safe integers >= 0. */
export function checkHardState(hs: HardState): void {
  if (typeof hs !== "object" || hs === null) throw bad("hard state must be an object");
  checkNat(hs.term, "hardState.term");
  checkNat(hs.vote, "hardState.vote");
  checkNat(hs.commit, "hardState.commit");
  if (hs.promise !== undefined) {
    if (typeof hs.promise !== "object" || hs.promise === null) throw bad("hardState.promise must be an object");
    checkNat(hs.promise.term, "hardState.promise.term");
    checkNat(hs.promise.index, "hardState.promise.index");
  }
}

/** A snapshot point: index, term and offset are safe integers >= 0. */
export function checkSnapshotMeta(s: SnapshotMeta): void {
  if (typeof s !== "object" || s === null) throw bad("snapshot must be an object");
  checkNat(s.index, "snapshot.index");
  checkNat(s.term, "snapshot.term");
  checkNat(s.offset, "snapshot.offset");
}

/**
 * Everything about an update that does not depend on the log's state:
 * field types, and entries dense by index with contiguous offsets among
 * themselves. checkAppendPlace() and checkAppendOffset() then check where
 * they attach.
 */
export function checkUpdateShape(u: LogUpdate): void {
  if (typeof u !== "object" || u === null) throw bad("update must be an object");
  if (u.snapshot !== undefined) {
    checkSnapshotMeta(u.snapshot);
    if (!(u.snapshot.data instanceof Uint8Array)) throw bad("snapshot.data must be a Uint8Array");
  }
  if (u.hardState !== undefined) checkHardState(u.hardState);
  if (u.entries !== undefined) {
    if (!Array.isArray(u.entries)) throw bad("entries must be an array");
    let prev: Entry | undefined;
    for (const e of u.entries as readonly Entry[]) {
      checkEntryShape(e);
      if (prev) {
        if (e.index !== prev.index + 1) throw bad(`entries not contiguous at ${e.index}`);
        if (e.offset !== prev.offset + prev.count) throw bad(`entry ${e.index} has offset ${e.offset}, expected ${prev.offset + prev.count}`);
      }
      prev = e;
    }
  }
}

/** A retention policy (limits are integers >= -1, -1 meaning none) and a finite nowMs. */
export function checkRetentionPolicy(p: RetentionPolicy, nowMs: number): void {
  if (typeof p !== "object" || p === null) throw bad("retention policy must be an object");
  for (const [k, v] of [
    ["retentionBytes", p.retentionBytes],
    ["retentionMs", p.retentionMs],
  ] as const) {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < -1) throw bad(`${k} must be an integer >= -1 (-1: no limit), got ${String(v)}`);
  }
  if (typeof nowMs !== "number" || !Number.isFinite(nowMs)) throw bad(`nowMs must be finite, got ${String(nowMs)}`);
}

// ---- checks against the log's state ------------------------------------
// Callers pass the few numbers of their state each rule needs, so both
// implementations refuse the same calls with the same code and message.

/** entries(lo, hi, bytesMax) on a log holding snapIndex + 1 .. lastIndex. */
export function checkEntriesRange(lo: number, hi: number, bytesMax: number, snapIndex: number, lastIndex: number): void {
  if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi)) throw bad(`entries(${lo}, ${hi}): bounds must be integers`);
  checkBound(bytesMax, "bytesMax");
  if (lo <= snapIndex) throw new StorageError("COMPACTED", `index ${lo} is below the first index ${snapIndex + 1}`);
  if (hi > lastIndex + 1) throw bad(`index ${hi - 1} is past the last index ${lastIndex}`);
}

/** entriesFromOffset(from, bytesMax, indexMax) on a log holding offsets startOffset .. nextOffset - 1. */
export function checkOffsetRead(from: number, bytesMax: number, indexMax: number, startOffset: number, nextOffset: number): void {
  if (!Number.isSafeInteger(from)) throw bad(`offset ${from} must be an integer`);
  checkBound(bytesMax, "bytesMax");
  checkBound(indexMax, "indexMax");
  if (from < startOffset || from > nextOffset) throw new StorageError("OFFSET_OUT_OF_RANGE", `offset ${from} is outside [${startOffset}, ${nextOffset}]`);
}

/**
 * Where the first entry of an update attaches: after the snapshot point
 * (snapIndex, the new one when the update installs a snapshot), at most right
 * after lastIndex (no gap), and never truncating a committed entry.
 */
export function checkAppendPlace(first: Entry, snapIndex: number, lastIndex: number, commit: number): void {
  if (first.index <= snapIndex) throw new StorageError("COMPACTED", `cannot append at ${first.index}: compacted through ${snapIndex}`);
  if (first.index > lastIndex + 1) throw bad(`gap: appending ${first.index} after last index ${lastIndex}`);
  const after = first.index - 1;
  if (after < lastIndex && after < commit) throw bad(`cannot truncate after ${after}: commit index is ${commit}`);
}

/** The first appended entry continues the offsets of the entry it follows (expectOffset is that entry's end). */
export function checkAppendOffset(first: Entry, expectOffset: number): void {
  if (first.offset !== expectOffset) throw bad(`entry ${first.index} has offset ${first.offset}, expected ${expectOffset}`);
}

/** truncateAfter(i): a safe integer, not below the commit index, not below the snapshot point. */
export function checkTruncateAfter(i: number, commit: number, snapIndex: number): void {
  checkNat(i, "index");
  if (i < commit) throw bad(`cannot truncate after ${i}: commit index is ${commit}`);
  // Entries up to the snapshot are gone: truncating below it cannot be exact.
  if (i < snapIndex) throw new StorageError("COMPACTED", `cannot truncate after ${i}: compacted through ${snapIndex}`);
}

/** repair(from): a safe integer in (snapshot index, last index]. */
export function checkRepair(from: number, snapIndex: number, lastIndex: number): void {
  checkNat(from, "from");
  if (from <= snapIndex) throw new StorageError("COMPACTED", `cannot repair from ${from}: compacted through ${snapIndex}`);
  if (from > lastIndex) throw bad(`cannot repair from ${from}: the log ends at ${lastIndex}`);
}

/**
 * The hard state a repair from `from` leaves: commit lowered to at most
 * from - 1, and the promise the larger of the recorded one and `held`, the
 * position the log held before the cut.
 */
export function repairedHardState(hs: HardState, from: number, held: LogPosition): HardState {
  const old = hs.promise;
  const promise = old !== undefined && (old.term > held.term || (old.term === held.term && old.index >= held.index)) ? old : held;
  // The committed configuration stays: it is committed group-wide, whatever this member's log lost.
  const membership = hs.membership !== undefined ? { membership: hs.membership, membershipIndex: hs.membershipIndex ?? index(0) } : {};
  return { term: hs.term, vote: hs.vote, commit: index(Math.min(hs.commit, from - 1)), promise, ...membership };
}

/** compact(meta, data): the arguments' shape (a compaction point at or below the current one is then a no-op). */
export function checkCompaction(meta: SnapshotMeta, data: unknown): void {
  checkSnapshotMeta(meta);
  if (!(data instanceof Uint8Array)) throw bad("snapshot data must be a Uint8Array");
}

/** A compaction point past the current one may not pass the commit index. */
export function checkCompactionCommitted(meta: SnapshotMeta, commit: number): void {
  if (meta.index > commit) throw bad(`cannot compact past the commit index ${commit}`);
}

/**
 * A compaction point inside the log must be that entry's term and end offset,
 * or the log start offset and term() would lie afterwards.
 */
export function checkCompactionCut(meta: SnapshotMeta, cutTerm: number, cutEndOffset: number): void {
  if (cutTerm !== meta.term || cutEndOffset !== meta.offset) {
    throw bad(`compaction point (${meta.index}, term ${meta.term}, offset ${meta.offset}) does not match the log (term ${cutTerm}, offset ${cutEndOffset})`);
  }
}
