/**
 * What a failed LMDB write means, as a StorageError code: a full disk
 * (NOT_ENOUGH_SPACE) or any other failure of the OS or LMDB (IO_ERROR).
 * Either way LMDB aborted the transaction, so nothing of it was applied and
 * the log's in-memory state (swapped in only after a write resolves) is
 * still the truth; the same write can be retried once space returns.
 *
 * How lmdb-js reports a failed commit: the batch promise rejects with
 * "Commit failed (see commitError for details)", whose `commitError` is a
 * second promise rejecting with the errno (`code`: a number). LMDB reports a
 * short write (the filesystem filled in the middle of a page run) as EIO, not
 * ENOSPC (mdb_page_flush), so an EIO with almost no free space left on the
 * data directory's filesystem is taken as a full disk too.
 */
import { statfsSync } from "node:fs";
import { constants } from "node:os";
import { StorageError } from "../raft/log-storage.js";

/**
 * An EIO with less than this free on the filesystem is a full disk: a short
 * write fills the filesystem to its last block, so what is left is far
 * below one LMDB write of any size, while a real I/O error happens with
 * space to spare.
 */
export const SHORT_WRITE_FREE_BYTES_MAX = 1024 * 1024;

const { ENOSPC, EDQUOT, EIO } = constants.errno as { ENOSPC: number; EDQUOT: number; EIO: number };

/** The errno of an lmdb-js or Node error: a number, or a name like "ENOSPC". */
function errnoOf(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "number") return code;
  if (typeof code === "string") {
    const n = (constants.errno as Record<string, number | undefined>)[code];
    return n;
  }
  return undefined;
}

/** Free bytes for unprivileged writers on the filesystem holding `path`; undefined when it cannot be read. */
export function freeBytes(path: string): number | undefined {
  try {
    const s = statfsSync(path);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/**
 * The underlying error of a failed lmdb-js write: its `commitError`
 * promise's reason when it has one (always consumed here, so it never
 * becomes an unhandled rejection), else the error itself.
 */
export async function lmdbCause(err: unknown): Promise<unknown> {
  const commitError = typeof err === "object" && err !== null ? (err as { commitError?: unknown }).commitError : undefined;
  if (commitError instanceof Promise) {
    try {
      await commitError;
    } catch (cause) {
      return cause;
    }
  }
  return err;
}

/** The StorageError for a failed write of the environment at `path` (the cause as found by lmdbCause). */
export function writeError(cause: unknown, path: string): StorageError {
  const errno = errnoOf(cause);
  const what = cause instanceof Error ? cause.message : String(cause);
  if (errno === ENOSPC || errno === EDQUOT) return new StorageError("NOT_ENOUGH_SPACE", `write failed: ${what} (${path})`);
  if (errno === EIO) {
    const free = freeBytes(path);
    if (free !== undefined && free < SHORT_WRITE_FREE_BYTES_MAX) return new StorageError("NOT_ENOUGH_SPACE", `write failed: ${what}, with ${free} bytes free (${path})`);
  }
  return new StorageError("IO_ERROR", `write failed: ${what}${errno === undefined ? "" : ` (errno ${errno})`} (${path})`);
}

/** True for the storage failures a broker rides out (retry, hand leadership away) rather than a bug. */
export function isDiskFailure(err: unknown): err is StorageError {
  return err instanceof StorageError && (err.code === "NOT_ENOUGH_SPACE" || err.code === "IO_ERROR");
}
