/**
 * Argument checks for the LMDB log. Anything a caller can get wrong is
 * refused with StorageError INVALID_ARGUMENT before a byte is written, so a
 * bad call never half-applies (lmdb-js commits whatever a batch callback
 * wrote before it threw, so nothing may throw once a batch has started).
 * MemoryStorage makes the same checks; the contract suite holds both to them.
 */
import { StorageError, type LogUpdate, type RetentionPolicy } from "../raft/log-storage.js";
import { EntryKind, type Entry, type HardState, type SnapshotMeta } from "../raft/types.js";

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
  if (e.kind !== EntryKind.Noop && e.kind !== EntryKind.Records && e.kind !== EntryKind.Command) {
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
 * themselves. The log then checks where they attach.
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
