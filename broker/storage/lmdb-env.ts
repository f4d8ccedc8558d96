/**
 * The one place that opens an LMDB environment, so that the log store and the
 * storage benchmark's raw-LMDB baseline run with identical settings.
 *
 * Durability: overlappingSync is off, so LMDB syncs inside each commit and an
 * lmdb-js write promise resolves only once its transaction is on disk (with
 * overlappingSync, the default on Linux, it would resolve at commit and only
 * `flushed` would mean durable). `fsync: false` sets noSync: commits are
 * written to the OS but not synced, surviving a process crash but not an OS
 * crash or power loss.
 *
 * `readOnly` opens an existing environment with MDB_RDONLY (the verification
 * child, verify-child.ts): nothing is written to data.mdb, only the reader
 * table in lock.mdb; named databases are not created (a missing one opens as
 * undefined).
 *
 * No write map (useWritemap false, lmdb-js's default, spelled out): with
 * MDB_WRITEMAP LMDB writes through the memory map, and a full filesystem
 * (tmpfs above all) then raises SIGBUS in the process instead of failing the
 * commit with ENOSPC. Without it, a full disk fails the commit, LMDB aborts
 * the transaction, and the broker rides it out (docs/STORAGE.md, "A full disk").
 *
 * No event-turn batching (eventTurnBatching false): with it, lmdb-js opens
 * every event turn's transaction with a commit promise of its own that no
 * caller holds, and when that commit fails (a full disk) the promise's
 * rejection is unhandled, which ends the process. Our writes are explicit
 * batches (LogStore.write), each one atomic by itself, and with
 * TXN_START_THRESHOLD lmdb-js still puts the batches of one event turn into
 * one transaction (test/storage/log-store.test.ts checks that eight logs'
 * writes of one turn make one commit).
 */
import { open, type RootDatabase } from "lmdb";

/**
 * Without event-turn batching, lmdb-js starts a transaction once this many
 * writes are queued (default 5), or at the next event turn. So high that
 * only the event turn counts: the writes of every log queued in one turn
 * share one commit (group commit), as with event-turn batching; with the
 * default, 8 logs' one-entry writes ran about 25 % slower (bench:storage).
 */
const TXN_START_THRESHOLD = 1_000_000_000;
const UNTYPED_OPTIONS: { readonly txnStartThreshold: number } = { txnStartThreshold: TXN_START_THRESHOLD };

/** Settings of an LMDB environment. */
export interface EnvOptions {
  /** Data directory (created if missing). */
  readonly path: string;
  /** Sync each commit before its writes resolve (default true). */
  readonly fsync?: boolean;
  /** Initial map size; lmdb-js grows the map when it fills. */
  readonly mapSizeBytes?: number;
  /** Named databases the environment can hold. */
  readonly maxDbs: number;
  /** Open read-only (MDB_RDONLY): no writes, no databases created. Default false. */
  readonly readOnly?: boolean;
}

/** Open (or create) an LMDB environment with rlog's durability settings. */
export function openEnv(opts: EnvOptions): RootDatabase {
  const fsync = opts.fsync ?? true;
  return open({
    path: opts.path,
    maxDbs: opts.maxDbs,
    overlappingSync: false,
    useWritemap: false,
    eventTurnBatching: false,
    // A documented lmdb-js option (README) that its type declarations lack.
    ...UNTYPED_OPTIONS,
    noSync: !fsync,
    ...(opts.readOnly === true ? { readOnly: true } : {}),
    ...(opts.mapSizeBytes !== undefined ? { mapSize: opts.mapSizeBytes } : {}),
  });
}
