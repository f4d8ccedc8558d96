/**
 * The broker's log store: ONE LMDB environment per broker data directory,
 * shared by every partition replica (and Raft group) on the broker. Each
 * log is an LmdbLog; writes of all logs batch into shared LMDB transactions
 * (group commit), reads are synchronous.
 *
 * Layout (see codec.ts for the byte formats and docs/STORAGE.md):
 *   logs     log name -> log id (the registry)
 *   meta     per log: hard state, snapshot point, one catalog record per segment
 *   entries  (log id, Raft index) -> entry header + payload
 *
 * Why not one named LMDB database per segment, as DESIGN.md first sketched:
 * LMDB keeps every opened database handle in each transaction (the slots are
 * copied at txn begin and scanned at commit, and mdb_dbi_open is a linear
 * search), so thousands of partitions times their segments would tax every
 * commit; creating a named database is its own write transaction, which
 * lmdb-js runs synchronously outside our batches, so a segment roll could not
 * be atomic with the entries written into it; and dropping a named database
 * walks its pages just as deleting its keys does. So a segment is a
 * contiguous key range of one shared `entries` database, made a segment by
 * its catalog record; dropping one is one small catalog transaction (which
 * hides the entries at once) followed by chunked key deletion.
 *
 * Durability: transactions are committed with LMDB's own sync (lmdb-js
 * overlappingSync is turned off), so an lmdb-js write promise resolves only
 * once the transaction is on disk, and persist() resolves after that.
 * `fsync: false` opens the environment with noSync: a write then survives a
 * process crash (the pages are in the OS page cache) but not an OS crash or
 * power loss. It is an explicit opt-out for tests and throwaway brokers.
 */
import assert from "node:assert/strict";
import type { Database, RootDatabase } from "lmdb";
import type { Logger } from "pino";
import { StorageError } from "../raft/log-storage.js";
import {
  decodeLogRef,
  decodeStoreRecord,
  encodeLogRef,
  encodeStoreRecord,
  entryKey,
  keyLogId,
  LOG_ID_MAX,
  logKeyEnd,
  logKeyStart,
  metaKey,
  MetaType,
  readEntryHeader,
  writeEntryKey,
  type EntryHeader,
} from "./codec.js";
import { corruptRecord, openRecord } from "./record-seal.js";
import { verifyDatabases, type VerifyReport } from "./verify.js";
import { readLogRecords } from "./log-records.js";
import { stateProblem, type LogState } from "./segment-catalog.js";
import { decodeBrokerIdentity, encodeBrokerIdentity, type BrokerIdentity } from "./broker-identity.js";
import { openEnv } from "./lmdb-env.js";
import { lmdbCause, writeError } from "./write-errors.js";
import { LmdbLog, type LogContext, type LogSettings, type WriteOp } from "./lmdb-log.js";
import { LOG_STORE_DEFAULTS } from "../protocol/defaults.js";

export type { LogSettings } from "./lmdb-log.js";
export { LmdbLog } from "./lmdb-log.js";

/** Options of LogStore.open(). Every limit has an explicit default. */
export interface LogStoreOptions {
  /** Data directory of the environment (created if missing). */
  readonly path: string;
  /**
   * Sync every commit to disk before a write resolves (default true). false
   * trades durability against OS crashes and power loss for speed; a process
   * crash still loses nothing that was acknowledged.
   */
  readonly fsync?: boolean;
  /** Initial LMDB map size; lmdb-js grows the map as the data grows. Default: lmdb-js's (small, grows). */
  readonly mapSizeBytes?: number;
  /** Logs open at once (default 100_000); openLog() beyond it is refused with TOO_MANY_OPEN_LOGS. */
  readonly logsOpenMax?: number;
  /** Wall clock for segment creation times (default Date.now). */
  readonly clock?: () => number;
  /** Parent logger; the store logs under `{ component: "storage" }`. */
  readonly logger?: Logger;
  /** Entries deleted per transaction when reclaiming dropped segments or deleted logs (default 4096). */
  readonly reclaimChunkKeys?: number;
  /** Operations (persist, truncate, ...) one log may have queued (default 1024); more are refused with TOO_MANY_PENDING_OPS. */
  readonly pendingOpsMax?: number;
}

/** What LogStore.stats() reports. */
export interface LogStoreStats {
  /** Id of the last committed LMDB write transaction (counts commits: group commit keeps it low). */
  readonly lastTxnId: number;
  /** Current size of the LMDB memory map. */
  readonly mapSizeBytes: number;
  readonly logsOpen: number;
  /** Entries stored for all logs, including hidden ones not yet reclaimed. */
  readonly entriesStored: number;
}

/** Default for LogStoreOptions.logsOpenMax. */
export const LOGS_OPEN_MAX_DEFAULT = LOG_STORE_DEFAULTS.logsOpenMax;
/** Default for LogStoreOptions.reclaimChunkKeys. */
export const RECLAIM_CHUNK_KEYS_DEFAULT = LOG_STORE_DEFAULTS.reclaimChunkKeys;
/** Default for LogStoreOptions.pendingOpsMax. */
export const PENDING_OPS_MAX_DEFAULT = LOG_STORE_DEFAULTS.pendingOpsMax;
/** Longest log name in UTF-8 bytes (LMDB keys are at most 1978 bytes). */
export const LOG_NAME_BYTES_MAX = 512;

/** The registry key of a valid log name. */
function nameKey(name: unknown): Buffer {
  const key = typeof name === "string" ? Buffer.from(name, "utf8") : undefined;
  if (!key || key.byteLength === 0 || key.byteLength > LOG_NAME_BYTES_MAX || key.toString("utf8") !== name) {
    throw new StorageError("INVALID_ARGUMENT", `log name must be a non-empty, well-formed string of at most ${LOG_NAME_BYTES_MAX} UTF-8 bytes`);
  }
  return key;
}

function checkSettings(s: LogSettings): LogSettings {
  if (typeof s !== "object" || s === null) throw new StorageError("INVALID_ARGUMENT", "log settings must be an object");
  if (!Number.isSafeInteger(s.segmentBytes) || s.segmentBytes < 1) throw new StorageError("INVALID_ARGUMENT", `segmentBytes must be a positive integer, got ${s.segmentBytes}`);
  if (typeof s.segmentMs !== "number" || !(s.segmentMs > 0)) throw new StorageError("INVALID_ARGUMENT", `segmentMs must be positive, got ${s.segmentMs}`);
  return { segmentBytes: s.segmentBytes, segmentMs: s.segmentMs };
}

/**
 * One LMDB environment holding many logs. Open with LogStore.open(); close
 * with close(), which waits for every log's pending writes.
 */
export class LogStore {
  private readonly logsDb: Database<Buffer, Buffer>;
  private readonly metaDb: Database<Buffer, Buffer>;
  private readonly entriesDb: Database<Buffer, Buffer>;
  private readonly open = new Map<string, LmdbLog>();
  /** Per-name chain serializing openLog/deleteLog of the same name. */
  private readonly nameLocks = new Map<string, Promise<unknown>>();
  private nextLogId: number;
  private closed = false;
  private readonly ctx: LogContext;
  private readonly logsOpenMax: number;
  private readonly scratchKey = Buffer.alloc(12);
  private readonly log: Logger | undefined;
  /** The data directory (write failures are classified by its filesystem's free space). */
  readonly path: string;

  private constructor(
    private readonly env: RootDatabase,
    opts: LogStoreOptions,
  ) {
    this.path = opts.path;
    this.logsDb = env.openDB<Buffer, Buffer>({ name: "logs", keyEncoding: "binary", encoding: "binary" });
    this.metaDb = env.openDB<Buffer, Buffer>({ name: "meta", keyEncoding: "binary", encoding: "binary" });
    this.entriesDb = env.openDB<Buffer, Buffer>({ name: "entries", keyEncoding: "binary", encoding: "binary" });
    const store = this.metaDb.get(metaKey(0, MetaType.Store));
    this.nextLogId = store ? decodeStoreRecord(store) : 1;
    this.logsOpenMax = opts.logsOpenMax ?? LOGS_OPEN_MAX_DEFAULT;
    this.log = opts.logger?.child({ component: "storage" });
    const entriesDb = this.entriesDb;
    this.ctx = {
      entriesDb,
      metaDb: this.metaDb,
      clock: opts.clock ?? Date.now,
      reclaimChunkKeys: opts.reclaimChunkKeys ?? RECLAIM_CHUNK_KEYS_DEFAULT,
      pendingOpsMax: opts.pendingOpsMax ?? PENDING_OPS_MAX_DEFAULT,
      write: (ops) => this.write(ops),
      onClosed: (l) => {
        if (this.open.get(l.name) === l) this.open.delete(l.name);
      },
    };
  }

  /**
   * Open (or create) the environment at opts.path, and remove what a crash
   * in the middle of deleteLog() left behind.
   */
  static async open(opts: LogStoreOptions): Promise<LogStore> {
    const fsync = opts.fsync ?? true;
    // Writes resolve only after LMDB's own synced commit; see lmdb-env.ts.
    const env = openEnv({ path: opts.path, fsync, maxDbs: 4, ...(opts.mapSizeBytes !== undefined ? { mapSizeBytes: opts.mapSizeBytes } : {}) });
    const store = new LogStore(env, opts);
    try {
      await store.reclaimOrphans();
    } catch (err) {
      await env.close();
      throw err;
    }
    store.log?.info({ path: opts.path, fsync, logs: store.listLogs().length }, "log store open");
    return store;
  }

  /** Figures about the environment, for metrics and tests. */
  stats(): LogStoreStats {
    this.check();
    const st = this.env.getStats() as { lastTxnId?: unknown; mapSize?: unknown };
    assert(typeof st.lastTxnId === "number" && typeof st.mapSize === "number", "lmdb-js getStats() changed shape");
    const es = this.entriesDb.getStats() as { entryCount?: unknown };
    assert(typeof es.entryCount === "number", "lmdb-js getStats() changed shape");
    return { lastTxnId: st.lastTxnId, mapSizeBytes: st.mapSize, logsOpen: this.open.size, entriesStored: es.entryCount };
  }

  /**
   * Scan every log's records and entries, in this process (verify.ts). For a
   * directory that may be damaged at the LMDB level, use verifyInChild
   * before opening the store instead.
   */
  verify(): VerifyReport {
    this.check();
    return verifyDatabases({ logsDb: this.logsDb, metaDb: this.metaDb, entriesDb: this.entriesDb });
  }

  /** The data directory's identity record, if one was written (broker-identity.ts). */
  readIdentity(): BrokerIdentity | undefined {
    this.check();
    const v = this.metaDb.get(metaKey(0, MetaType.BrokerIdentity));
    return v ? decodeBrokerIdentity(v) : undefined;
  }

  /** Write the identity record; resolves once durable. */
  writeIdentity(id: BrokerIdentity): Promise<void> {
    this.check();
    return this.write([{ db: this.metaDb, key: metaKey(0, MetaType.BrokerIdentity), value: encodeBrokerIdentity(id) }]);
  }

  /** Names of every log in the store, in key order. */
  listLogs(): string[] {
    this.check();
    return Array.from(this.logsDb.getKeys({}), (k) => Buffer.from(k).toString("utf8"));
  }

  /**
   * Open the log `name`, creating it (durably) when it does not exist.
   * A log can be open once at a time: close it before opening it again.
   */
  openLog(name: string, settings: LogSettings): Promise<LmdbLog> {
    return this.withName(name, async () => {
      this.check();
      const key = nameKey(name);
      const s = checkSettings(settings);
      if (this.open.has(name)) throw new StorageError("INVALID_ARGUMENT", `log ${name} is already open`);
      if (this.open.size >= this.logsOpenMax) throw new StorageError("TOO_MANY_OPEN_LOGS", `${this.open.size} logs are open: logsOpenMax reached`);
      let logId: number;
      const ref = this.logsDb.get(key);
      if (ref) {
        logId = decodeLogRef(ref, key, name);
      } else {
        assert(this.nextLogId <= LOG_ID_MAX, "log ids exhausted");
        logId = this.nextLogId++;
        await this.write([
          { db: this.logsDb, key, value: encodeLogRef(logId, key) },
          { db: this.metaDb, key: metaKey(0, MetaType.Store), value: encodeStoreRecord(this.nextLogId) },
        ]);
        this.log?.info({ log: name, logId }, "log created");
      }
      const log = new LmdbLog(name, logId, s, this.ctx, this.loadState(name, logId));
      await log.reclaimOutside();
      this.open.set(name, log);
      return log;
    });
  }

  /**
   * Delete the log `name` and all its data: closes it if open (waiting for its
   * pending writes), removes its registry entry and catalog in one
   * transaction, then its entries in chunks. A no-op for an unknown name.
   */
  deleteLog(name: string): Promise<void> {
    return this.withName(name, async () => {
      this.check();
      const key = nameKey(name);
      await this.open.get(name)?.close();
      const ref = this.logsDb.get(key);
      if (!ref) return;
      const logId = decodeLogRef(ref, key, name);
      const ops: WriteOp[] = [{ db: this.logsDb, key }];
      for (const k of this.metaDb.getKeys({ start: logKeyStart(logId), end: logKeyEnd(logId) })) ops.push({ db: this.metaDb, key: Buffer.from(k) });
      await this.write(ops);
      await this.reclaimKeys(this.entriesDb, logId);
      this.log?.info({ log: name, logId }, "log deleted");
    });
  }

  /** Close every open log (waiting for their pending writes), then the environment. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.nameLocks.values()].map((p) => p.catch(() => undefined)));
    await Promise.all([...this.open.values()].map((l) => l.close()));
    await this.env.close();
    this.log?.info({}, "log store closed");
  }

  // ---- internals -------------------------------------------------------

  private check(): void {
    if (this.closed) throw new StorageError("CLOSED", "the log store is closed");
  }

  /**
   * One atomic LMDB transaction (shared with other writes of this event turn).
   * Nothing in the batch callback may throw: lmdb-js commits whatever a batch
   * wrote before an exception, so every key and value is built beforehand.
   */
  private write(ops: readonly WriteOp[]): Promise<void> {
    const key = this.scratchKey;
    // Every put and remove of a batch returns the batch's one promise; it rejects with the
    // batch when the commit fails, so it gets a handler once (else: an unhandled rejection).
    let opResult: Promise<unknown> | undefined;
    const note = (p: Promise<unknown>): void => {
      if (p === opResult) return;
      opResult = p;
      p.catch(() => undefined);
    };
    return this.entriesDb
      .batch(() => {
        for (const op of ops) {
          if ("values" in op) {
            // lmdb-js copies a key when the put is queued, so one scratch key serves every entry.
            for (let k = 0; k < op.values.length; k++) {
              writeEntryKey(key, op.logId, op.firstIndex + k);
              note(this.entriesDb.put(key, op.values[k]!));
            }
          } else if (op.value === undefined) note(op.db.remove(op.key));
          else note(op.db.put(op.key, op.value));
        }
      })
      .then(
        () => undefined,
        // LMDB aborted the transaction: nothing of it was applied (write-errors.ts).
        async (err: unknown) => {
          const failure = writeError(await lmdbCause(err), this.path);
          this.log?.debug({ err: failure }, "write failed");
          throw failure;
        },
      );
  }

  /** Serialize store-level operations on one name. */
  private withName<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.nameLocks.get(name) ?? Promise.resolve();
    const p = prev.then(fn, fn);
    const settled = p.catch(() => undefined);
    this.nameLocks.set(name, settled);
    void settled.then(() => {
      if (this.nameLocks.get(name) === settled) this.nameLocks.delete(name);
    });
    return p;
  }

  /**
   * Read a log's catalog, hard state and snapshot point, and check them
   * against each other and against its last entry. A damaged or inconsistent
   * record throws StorageError CORRUPT_RECORD { log }. A damaged or missing
   * entry does not stop the open: reads of it throw CORRUPT_ENTRY, and the
   * owner can verify (verify.ts) and repair the log.
   */
  private loadState(name: string, logId: number): LogState {
    const { hs, snap, segs } = readLogRecords(this.metaDb, logId, name, (_d, err) => {
      throw err;
    });
    const st: LogState = { hs, snap, segs };
    const problem = stateProblem(st);
    if (problem !== undefined) throw corruptRecord(`catalog: ${problem}`, name);
    const last = segs[segs.length - 1];
    const v = last && this.entriesDb.getBinary(entryKey(logId, last.lastIndex));
    if (last && v) {
      // The catalog and the entries were written in the same transactions: an intact last entry must match.
      let h: EntryHeader | undefined;
      try {
        h = readEntryHeader(v, v.byteLength, name, last.lastIndex);
      } catch (err) {
        if (!(err instanceof StorageError && err.code === "CORRUPT_ENTRY")) throw err;
      }
      if (h && h.offset + h.count !== last.endOffset) throw corruptRecord(`catalog: last entry ends at offset ${h.offset + h.count}, catalog says ${last.endOffset}`, name);
    }
    return st;
  }

  /** Remove entries and meta records of log ids that no longer have a registry entry (a deleteLog cut short). */
  private async reclaimOrphans(): Promise<void> {
    const live = new Set<number>();
    // A damaged registry record throws CORRUPT_RECORD: without its id, that log's data would look orphaned.
    for (const { key, value } of this.logsDb.getRange({})) live.add(decodeLogRef(value, key, Buffer.from(key).toString("utf8")));
    for (const db of [this.entriesDb, this.metaDb]) {
      // Visit each log id present in the DB with one seek each (id 0 holds store records).
      for (let id = 1; id <= LOG_ID_MAX; id++) {
        const [first] = db.getKeys({ start: logKeyStart(id), limit: 1 });
        if (first === undefined) break;
        id = keyLogId(first);
        if (live.has(id)) continue;
        if (db === this.metaDb) this.checkOrphanRecords(id);
        this.log?.warn({ logId: id, db: db === this.entriesDb ? "entries" : "meta" }, "removing the data of a deleted log");
        await this.reclaimKeys(db, id);
      }
    }
  }

  /**
   * The meta records of a log id without a registry entry must pass their
   * checksums (which cover their keys): one that fails was moved there by a
   * damaged key, so its log is damaged, and deleting it would hide that.
   * Throws StorageError CORRUPT_RECORD then.
   */
  private checkOrphanRecords(logId: number): void {
    for (const { key, value } of this.metaDb.getRange({ start: logKeyStart(logId), end: logKeyEnd(logId) })) {
      openRecord(value, key, `orphaned (log id ${logId}, key ${key.toString("hex")}: a damaged key?)`);
    }
  }

  /** Delete every key of a log id in one DB, in chunks of reclaimChunkKeys. */
  private async reclaimKeys(db: Database<Buffer, Buffer>, logId: number): Promise<void> {
    for (;;) {
      const ops: WriteOp[] = [];
      for (const key of db.getKeys({ start: logKeyStart(logId), end: logKeyEnd(logId), limit: this.ctx.reclaimChunkKeys })) {
        ops.push({ db, key: Buffer.from(key) });
      }
      if (ops.length === 0) return;
      await this.write(ops);
    }
  }
}
