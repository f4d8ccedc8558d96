/**
 * The verification scan: walk every log of a store and check every stored
 * record and every entry the log holds (docs/STORAGE.md, "Checksums"):
 *
 * - store-wide: the store record and the broker identity, and the records
 *   of log ids without a registry entry (which must still pass their
 *   checksums, which cover their keys: one that fails was moved there by a
 *   damaged key byte);
 * - per log: its registry record, hard state, snapshot point and segment
 *   catalog records (checksums, shapes, no unknown keys, and the catalog's
 *   invariants);
 * - per entry in (snapshot index, last index]: present, header and payload
 *   checksums (format 2), format and kind, the index it names, its term
 *   against the catalog's term runs, and its offset against the previous
 *   entry's end.
 *
 * Entries hidden below the first index or left above the last one (space
 * not yet reclaimed) are never read by the log, so they are not checked.
 *
 * The scan reads only. It reports what the checksums catch; damage LMDB
 * itself detects (a broken B-tree page) surfaces as an exception from
 * lmdb-js, and a damaged page can also crash the process or loop: run the
 * scan of a directory that may be damaged in a child (verify-in-child.ts).
 *
 * Bounds: each log lists at most DAMAGED_LISTED_MAX damaged items (the
 * count covers all); the walk visits each stored key once.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Database, RootDatabase } from "lmdb";
import { StorageError } from "../raft/log-storage.js";
import { EMPTY_HARD_STATE, EMPTY_SNAPSHOT } from "../raft/types.js";
import {
  checkEntryData,
  decodeLogRef,
  decodeStoreRecord,
  ENTRY_KEY_BYTES,
  entryKey,
  entryKeyIndex,
  keyLogId,
  LOG_ID_MAX,
  logKeyEnd,
  logKeyStart,
  MetaType,
  readEntryHeader,
} from "./codec.js";
import { decodeBrokerIdentity } from "./broker-identity.js";
import { readLogRecords, type DamagedRecord, type RecordKind } from "./log-records.js";
import { corruptRecord, openRecord } from "./record-seal.js";
import { openEnv } from "./lmdb-env.js";
import { checkFreeList } from "./lmdb-free-list.js";
import { lastIndexOf, stateProblem, termOf, type LogState } from "./segment-catalog.js";

/** Damaged items listed per log (and for the store-wide records); the counts include the rest. */
export const DAMAGED_LISTED_MAX = 64;

export type { DamagedRecord, RecordKind } from "./log-records.js";

/** An entry that failed its checks (or is missing although the catalog holds it). */
export interface DamagedEntry {
  readonly index: number;
  readonly message: string;
}

/** What the scan found in one log. */
export interface LogVerifyReport {
  readonly name: string;
  /** Lowest damaged entry: repair(firstDamagedIndex) cuts every damaged entry off. Absent when none. */
  readonly firstDamagedIndex?: number;
  /** The damaged entries, lowest first, at most DAMAGED_LISTED_MAX of them. */
  readonly damagedEntries: readonly DamagedEntry[];
  /** How many entries are damaged in all (a run of missing ones counts each). */
  readonly damagedEntryCount: number;
  /** Damaged records of the log: when any, its catalog or hard state cannot be trusted and the log cannot be opened. */
  readonly damagedRecords: readonly DamagedRecord[];
  /** False when a damaged catalog, snapshot point or registry record left its entries unchecked. */
  readonly entriesVerified: boolean;
  readonly entriesChecked: number;
}

/** What the scan found in a store. */
export interface VerifyReport {
  /** Every log in the registry, in key order. */
  readonly logs: readonly LogVerifyReport[];
  /** Damaged store-wide records (store record, broker identity). */
  readonly storeRecords: readonly DamagedRecord[];
  /** Entries whose checks ran (damaged ones included). */
  readonly entriesChecked: number;
  /** Bytes of stored values read (entries and records). */
  readonly bytesChecked: number;
  /** Wall time of the scan. */
  readonly ms: number;
}

/** The three databases of a store (a read-only open of a store that never created one leaves it undefined). */
export interface StoreDatabases {
  readonly logsDb: Database<Buffer, Buffer> | undefined;
  readonly metaDb: Database<Buffer, Buffer> | undefined;
  readonly entriesDb: Database<Buffer, Buffer> | undefined;
}

/** Run `fn`; a StorageError it throws becomes its message, anything else (lmdb-js) propagates. */
function attempt<T>(fn: () => T): { value: T } | { message: string } {
  try {
    return { value: fn() };
  } catch (err) {
    if (err instanceof StorageError) return { message: err.message };
    throw err;
  }
}

/** Scan the databases of a store (open, read-only use). Throws only what lmdb-js throws. */
export function verifyDatabases(dbs: StoreDatabases): VerifyReport {
  const started = performance.now();
  const counters = { entriesChecked: 0, bytesChecked: 0 };
  const storeRecords: DamagedRecord[] = [];
  const storeDamage = (d: DamagedRecord): void => {
    if (storeRecords.length < DAMAGED_LISTED_MAX) storeRecords.push(d);
  };
  const logs: LogVerifyReport[] = [];
  const { logsDb, metaDb, entriesDb } = dbs;
  const live = new Set<number>();
  if (logsDb) {
    for (const { key, value } of logsDb.getRange({})) {
      const name = Buffer.from(key).toString("utf8");
      counters.bytesChecked += value.byteLength;
      const report = verifyLog(name, key, value, metaDb, entriesDb, counters);
      if (report.logId !== undefined) live.add(report.logId);
      logs.push(report.report);
    }
  }
  if (metaDb) verifyOtherRecords(metaDb, live, counters, storeDamage);
  if (logsDb) verifyKeys("logs", logsDb, undefined, storeDamage);
  if (metaDb) verifyKeys("meta", metaDb, undefined, storeDamage);
  if (entriesDb) verifyKeys("entries", entriesDb, ENTRY_KEY_BYTES, storeDamage);
  return { logs, storeRecords, entriesChecked: counters.entriesChecked, bytesChecked: counters.bytesChecked, ms: performance.now() - started };
}

/**
 * Walk every key of `db` in cursor order: each must be above the one
 * before, and (`keyBytes`) of the one length the database's keys have. A
 * key that is not is a damaged key in a page of LMDB's B-tree (LMDB trusts
 * its pages and never checks): a flipped key byte, or a flipped key-size
 * field of its node, which makes the key run on into the value (in order
 * right after its true key, so only its length shows it; seen in the
 * corruption test too). Cutting a log cannot mend that:
 * the damaged node stays in its page (removal goes by key, and its key is
 * no longer the one it was written under), so every later walk of the range
 * stops or stumbles there again, and lookups by binary search go astray
 * around it. So it is store damage, not entry damage (seen in the
 * corruption test: an entry key's index byte flipped from 154 to
 * 2,315,255,962; the log was cut, fetched again, and the fresh entries were
 * still "missing" behind the stray key). Keys only: no value is read.
 */
function verifyKeys(name: string, db: Database<Buffer, Buffer>, keyBytes: number | undefined, onDamage: (d: DamagedRecord) => void): void {
  let prev: Buffer | undefined;
  for (const key of db.getKeys({})) {
    if (keyBytes !== undefined && key.byteLength !== keyBytes) {
      onDamage({ record: "structure", key: key.toString("hex"), message: `${name} database: a key of ${key.byteLength} bytes (all are ${keyBytes}): LMDB's B-tree is damaged` });
      return;
    }
    if (prev !== undefined && Buffer.compare(prev, key) >= 0) {
      onDamage({ record: "structure", key: key.toString("hex"), message: `${name} database: key ${key.toString("hex")} follows ${prev.toString("hex")}: keys out of order (LMDB's B-tree is damaged)` });
      return;
    }
    prev = Buffer.from(key); // lmdb-js may reuse the key's memory on the next step
  }
}

/**
 * The meta records no log owns: the store record and the broker identity
 * (log id 0), and records of log ids without a registry entry (left by a
 * deleteLog cut short, which the next open removes: those must still pass
 * their checksums; one that does not was moved there by a damaged key).
 */
function verifyOtherRecords(metaDb: Database<Buffer, Buffer>, live: ReadonlySet<number>, counters: { bytesChecked: number }, onDamage: (d: DamagedRecord) => void): void {
  const check = (record: RecordKind, key: Buffer, value: Buffer, decode: () => unknown): void => {
    counters.bytesChecked += value.byteLength;
    const r = attempt(decode);
    if ("message" in r) onDamage({ record, key: key.toString("hex"), message: r.message });
  };
  // Visit each log id present with one seek each; skip the live ones (verifyLog read them).
  for (let id = 0; id <= LOG_ID_MAX; id++) {
    const [first] = metaDb.getKeys({ start: logKeyStart(id), limit: 1 });
    if (first === undefined) break;
    id = keyLogId(first);
    if (live.has(id)) continue;
    for (const { key, value } of metaDb.getRange({ start: logKeyStart(id), end: logKeyEnd(id) })) {
      if (id === 0 && key.byteLength === 5 && key[4] === MetaType.Store) check("store", key, value, () => decodeStoreRecord(value));
      else if (id === 0 && key.byteLength === 5 && key[4] === MetaType.BrokerIdentity) check("broker identity", key, value, () => decodeBrokerIdentity(value));
      else if (id === 0) check("unknown", key, value, () => { throw corruptRecord(`a store record under an unknown key ${key.toString("hex")} (a damaged key?)`); });
      else check("unknown", key, value, () => openRecord(value, key, "orphaned"));
    }
  }
}

/** Scan one log: its records, then its entries when the records allow. */
function verifyLog(
  name: string,
  nameKey: Buffer,
  ref: Buffer,
  metaDb: Database<Buffer, Buffer> | undefined,
  entriesDb: Database<Buffer, Buffer> | undefined,
  counters: { entriesChecked: number; bytesChecked: number },
): { report: LogVerifyReport; logId?: number } {
  const records: DamagedRecord[] = [];
  const damage = new EntryDamage();
  let entriesChecked = 0;
  const done = (verified: boolean): LogVerifyReport => ({
    name,
    ...(damage.first !== undefined ? { firstDamagedIndex: damage.first } : {}),
    damagedEntries: damage.listed,
    damagedEntryCount: damage.count,
    damagedRecords: records,
    entriesVerified: verified,
    entriesChecked,
  });
  const onDamage = (d: DamagedRecord): void => {
    if (records.length < DAMAGED_LISTED_MAX) records.push(d);
  };
  const idRead = attempt(() => decodeLogRef(ref, nameKey, name));
  if ("message" in idRead) {
    onDamage({ record: "registry", key: nameKey.toString("hex"), message: idRead.message });
    return { report: done(false) };
  }
  const logId = idRead.value;
  const stored = metaDb ? readLogRecords(metaDb, logId, name, onDamage) : { hs: EMPTY_HARD_STATE, snap: EMPTY_SNAPSHOT, segs: [], intact: true, bytes: 0 };
  counters.bytesChecked += stored.bytes;
  const st: LogState = { hs: stored.hs, snap: stored.snap, segs: stored.segs };
  // A damaged hard state leaves the catalog usable; a damaged snapshot point or segment does not.
  const catalogIntact = !records.some((r) => r.record === "snapshot" || r.record === "segment" || r.record === "unknown");
  if (!catalogIntact) return { report: done(false), logId };
  const problem = stateProblem(st);
  if (problem !== undefined) {
    onDamage({ record: "catalog", message: `${name}: catalog: ${problem}` });
    return { report: done(false), logId };
  }
  const last = lastIndexOf(st);
  const snapIndex = st.snap.index;
  if (!entriesDb) {
    if (last > snapIndex) damage.add(snapIndex + 1, `${name}: entries ${snapIndex + 1}..${last} missing: the store has no entries database`, last - snapIndex);
    return { report: done(true), logId };
  }
  entriesChecked = scanEntries(name, logId, st, entriesDb, damage, counters);
  return { report: done(true), logId };
}

/** The damaged entries of one log, the first DAMAGED_LISTED_MAX listed. */
class EntryDamage {
  first: number | undefined;
  count = 0;
  readonly listed: DamagedEntry[] = [];

  add(i: number, message: string, howMany = 1): void {
    if (this.first === undefined || i < this.first) this.first = i;
    this.count += howMany;
    if (this.listed.length < DAMAGED_LISTED_MAX) this.listed.push({ index: i, message });
  }
}

/** Check entries (snapshot index, last index] of a log whose catalog is intact; returns how many were checked. */
function scanEntries(
  name: string,
  logId: number,
  st: LogState,
  entriesDb: Database<Buffer, Buffer>,
  damage: EntryDamage,
  counters: { entriesChecked: number; bytesChecked: number },
): number {
  const last = lastIndexOf(st);
  let expect = st.snap.index + 1;
  if (expect > last) return 0;
  let checked = 0;
  /** Where the next entry's records must start; undefined after a damaged entry. */
  let nextOffset: number | undefined = st.segs[0]!.baseOffset;
  for (const { key, value } of entriesDb.getRange({ start: entryKey(logId, expect), end: entryKey(logId, last + 1) })) {
    const at = attempt(() => entryKeyIndex(key));
    if ("message" in at || at.value < expect || at.value > last) {
      // Keys out of order or out of range: the B-tree itself is damaged; nothing after this can be trusted.
      damage.add(expect, `${name}: entry ${expect}: entry keys out of order in LMDB`, last - expect + 1);
      return checked;
    }
    const i = at.value;
    if (i > expect) {
      damage.add(expect, `${name}: entries ${expect}..${i - 1} missing from LMDB although the catalog holds them`, i - expect);
      nextOffset = undefined;
    }
    checked++;
    counters.entriesChecked++;
    counters.bytesChecked += value.byteLength;
    const r = attempt(() => {
      const h = readEntryHeader(value, value.byteLength, name, i);
      checkEntryData(value, h, name);
      return h;
    });
    if ("message" in r) {
      damage.add(i, r.message);
      nextOffset = undefined;
    } else {
      const h = r.value;
      const t = termOf(st, i);
      if (h.term !== t) {
        damage.add(i, `${name}: entry ${i}: term ${h.term}, but the catalog says ${t}`);
        nextOffset = undefined;
      } else if (nextOffset !== undefined && h.offset !== nextOffset) {
        damage.add(i, `${name}: entry ${i}: offset ${h.offset}, but the previous entry ends at ${nextOffset}`);
        nextOffset = undefined;
      } else {
        nextOffset = h.offset + h.count;
      }
    }
    expect = i + 1;
  }
  if (expect <= last) damage.add(expect, `${name}: entries ${expect}..${last} missing from LMDB although the catalog holds them`, last - expect + 1);
  return checked;
}

/**
 * Scan the store in data directory `path`, opened read-only (nothing is
 * written to data.mdb), and LMDB's free list (lmdb-free-list.ts). A
 * directory without data.mdb is an empty store.
 * Throws what lmdb-js throws on a damaged environment; it can also crash or
 * hang on one: use verifyInChild (verify-in-child.ts) for a directory that
 * may be damaged.
 */
export async function verifyDirectory(path: string): Promise<VerifyReport> {
  if (!existsSync(join(path, "data.mdb"))) return { logs: [], storeRecords: [], entriesChecked: 0, bytesChecked: 0, ms: 0 };
  const env: RootDatabase = openEnv({ path, maxDbs: 4, readOnly: true });
  try {
    // lmdb-js returns undefined for a named database a read-only open cannot find.
    const open = (name: string): Database<Buffer, Buffer> | undefined =>
      env.openDB<Buffer, Buffer>({ name, keyEncoding: "binary", encoding: "binary" }) as Database<Buffer, Buffer> | undefined;
    const report = verifyDatabases({ logsDb: open("logs"), metaDb: open("meta"), entriesDb: open("entries") });
    // LMDB's free list, read from the file itself (lmdb-js cannot reach it): a damaged page number there breaks the next writes.
    const freeList = checkFreeList(join(path, "data.mdb"));
    if (freeList === undefined || report.storeRecords.length >= DAMAGED_LISTED_MAX) return report;
    return { ...report, storeRecords: [...report.storeRecords, { record: "structure", message: `LMDB free list: ${freeList}` }] };
  } finally {
    await env.close();
  }
}
