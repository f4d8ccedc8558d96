/**
 * What a Raft group's owner does with storage that failed: which failures
 * are a damaged entry to repair (docs/STORAGE.md, "A damaged entry") and
 * which a write to try again (docs/STORAGE.md, "A full disk"), and the
 * repair itself, tried again while the disk fails it.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { StorageError, type LogStorage } from "../raft/log-storage.js";
import type { Index } from "../raft/types.js";

/** Wait between attempts of a repair whose write failed (a full disk, an I/O error). */
const REPAIR_RETRY_MS = 1000;

/** Whether `err` reports a damaged stored entry (which the runner repairs). */
export function isDamagedEntry(err: unknown): err is StorageError {
  return err instanceof StorageError && err.code === "CORRUPT_ENTRY" && err.details.index !== undefined;
}

/**
 * A write failure the runner rides out: the disk is full, or the OS failed
 * the write. LMDB aborted the transaction, so nothing of the write was
 * applied and the log's state is what it was (broker/storage/write-errors.ts):
 * the same write can be tried again. Anything else a write throws is a bug.
 */
export function isRetriableWriteFailure(err: unknown): err is StorageError {
  return err instanceof StorageError && (err.code === "NOT_ENOUGH_SPACE" || err.code === "IO_ERROR");
}

/**
 * Cut `storage` from the damaged entry `at` (LogStorage.repair), trying again
 * every REPAIR_RETRY_MS while the write fails on the disk (a full disk, an
 * I/O error). Resolves false when `stopped()` turns true first; any other
 * failure (damage below the snapshot point, a bug) is thrown.
 */
export async function repairRetrying(storage: LogStorage, at: Index, log: Logger, stopped: () => boolean): Promise<boolean> {
  for (;;) {
    if (stopped()) return false;
    try {
      await storage.repair(at);
      return true;
    } catch (err) {
      if (!isRetriableWriteFailure(err)) throw err;
      log.warn({ index: at, err: err.message, retryMs: REPAIR_RETRY_MS }, "repairing a damaged log failed to write; retrying");
      await sleep(REPAIR_RETRY_MS);
    }
  }
}
