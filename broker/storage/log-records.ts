/**
 * Reading one log's records from the meta database: every key under its log
 * id is one of its hard state, its snapshot point or a segment catalog
 * record; anything else there (a key of another length or an unknown type,
 * which only a damaged key byte makes) is damage too, since the record it
 * came from is then missing from where the log looks for it. Shared by the
 * log store's open (which refuses a damaged log) and the verification scan
 * (which lists the damage).
 */
import type { Database } from "lmdb";
import { StorageError } from "../raft/log-storage.js";
import { EMPTY_HARD_STATE, EMPTY_SNAPSHOT, type HardState, type Snapshot } from "../raft/types.js";
import { corruptRecord } from "./record-seal.js";
import { decodeHardState, decodeSegment, decodeSnapshot, logKeyEnd, logKeyStart, MetaType, type SegmentRecord } from "./codec.js";

/** Which stored record failed. Stable strings (tools and logs match on them). */
/** Which record failed; "structure" is a database whose keys are out of order (LMDB's B-tree itself is damaged). */
export type RecordKind = "store" | "broker identity" | "registry" | "hard state" | "snapshot" | "segment" | "catalog" | "unknown" | "structure";

/** A stored record that failed its checks. */
export interface DamagedRecord {
  readonly record: RecordKind;
  /** The record's LMDB key, hex. */
  readonly key?: string;
  readonly message: string;
}

/** A log's records as stored (before the catalog invariants are checked). */
export interface LogRecords {
  readonly hs: HardState;
  readonly snap: Snapshot;
  readonly segs: readonly SegmentRecord[];
  /** True when every record decoded (hard state, snapshot point and catalog can be trusted as far as checksums go). */
  readonly intact: boolean;
  /** Bytes of the values read. */
  readonly bytes: number;
}

/**
 * Read every meta record of log `logId`, calling `onDamage` with each one
 * that fails and its StorageError CORRUPT_RECORD (a damaged one is left out
 * of the result). `onDamage` may throw to stop at the first. Throws only what lmdb-js or `onDamage` throws.
 */
export function readLogRecords(
  metaDb: Database<Buffer, Buffer>,
  logId: number,
  name: string,
  onDamage: (d: DamagedRecord, err: StorageError) => void,
): LogRecords {
  let hs: HardState = EMPTY_HARD_STATE;
  let snap: Snapshot = EMPTY_SNAPSHOT;
  const segs: SegmentRecord[] = [];
  let intact = true;
  let bytes = 0;
  for (const { key, value } of metaDb.getRange({ start: logKeyStart(logId), end: logKeyEnd(logId) })) {
    bytes += value.byteLength;
    const type = key.byteLength >= 5 ? key[4] : undefined;
    const kind: RecordKind =
      key.byteLength === 5 && type === MetaType.HardState
        ? "hard state"
        : key.byteLength === 5 && type === MetaType.Snapshot
          ? "snapshot"
          : key.byteLength === 13 && type === MetaType.Segment
            ? "segment"
            : "unknown";
    let failure: StorageError;
    try {
      if (kind === "hard state") hs = decodeHardState(value, key, name);
      else if (kind === "snapshot") snap = decodeSnapshot(value, key, name);
      else if (kind === "segment") segs.push(decodeSegment(value, key, name));
      else throw corruptRecord(`a record under an unknown key ${key.toString("hex")} (a damaged key?)`, name);
      continue;
    } catch (err) {
      if (!(err instanceof StorageError)) throw err;
      failure = err;
    }
    intact = false;
    onDamage({ record: kind, key: key.toString("hex"), message: failure.message }, failure);
  }
  return { hs, snap, segs, intact, bytes };
}
