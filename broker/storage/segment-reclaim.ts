/**
 * Background space reclamation for one log. Dropping segments (retention,
 * compaction, snapshot install) first moves the snapshot point and removes
 * their catalog records in one transaction, which hides their entries at
 * once; this then deletes the hidden entries in bounded chunks, each its own
 * queued operation of the log so that appends interleave with it.
 *
 * Invariants:
 * - only entries at or below the log's current snapshot index are deleted
 *   by reclaim(): the bound is re-read at every chunk, so entries that a later
 *   snapshot install made reachable again are never touched;
 * - a chunk deletes at most chunkKeys entries in one transaction;
 * - reclamations run one after the other (done() chains them) and stop early
 *   once the log closes; entries below the first index are never read, so
 *   what is left is only garbage, which the next open removes
 *   (reclaimOutside);
 * - a chunk whose write fails (a full disk, an I/O error) fails that
 *   reclamation (done() rejects), but not the ones after it: the next
 *   reclaim() starts from the failed chunk again, so nothing is left behind
 *   for long once writes succeed again.
 *
 * Pure: the log's stored keys are reached through a ReclaimTarget
 * (test/storage/segment-reclaim.test.ts drives it with an in-memory one).
 */

/** What reclamation needs from its log. */
import { StorageError } from "../raft/log-storage.js";

export interface ReclaimTarget {
  /** The log's current snapshot index: entries at or below it are hidden. */
  snapIndex(): number;
  /** Indexes of stored entries in [from, to] (to undefined: to the end of the log's keys), ascending, at most `limit`. */
  storedIndexes(from: number, to: number | undefined, limit: number): number[];
  /** Delete the stored entries in one transaction; resolves once durable. */
  deleteEntries(indexes: readonly number[]): Promise<void>;
  /** Run `op` on the log's queue, after the operations queued before it (OpQueue.runInternal). */
  runQueued<T>(op: () => Promise<T>): Promise<T>;
  /** True once the log is closing: reclamation stops early. */
  isClosed(): boolean;
}

/** One log's background deletion of hidden entries. */
export class SegmentReclaim {
  /** Resolves when the reclamations started so far are done. */
  private reclaimed: Promise<void> = Promise.resolve();
  /** Start of a chunk whose write failed: the next reclamation starts there (or lower). */
  private retryFrom: number | undefined;

  constructor(
    private readonly target: ReclaimTarget,
    /** Entries deleted per transaction. */
    private readonly chunkKeys: number,
  ) {}

  /**
   * Delete the stored entries lo..hi that lie at or below the snapshot index,
   * in chunks, in the background (not awaited by the write that hid them).
   */
  reclaim(lo: number, hi: number): void {
    if (lo > hi) return;
    this.reclaimed = this.reclaimed
      .catch(() => undefined)
      .then(async () => {
        let from: number | undefined = Math.min(lo, this.retryFrom ?? lo);
        this.retryFrom = undefined;
        while (from !== undefined && !this.target.isClosed()) {
          const start: number = from;
          try {
            from = await this.target.runQueued(() => this.chunk(start, hi));
          } catch (err) {
            this.retryFrom = Math.min(start, this.retryFrom ?? start);
            throw err;
          }
        }
      });
  }

  /** Resolves once the reclamation started so far has finished (rejects if the last one's chunk write failed). */
  done(): Promise<void> {
    return this.reclaimed;
  }

  /**
   * At open, before the log is handed out: delete garbage a crash left,
   * entries at or below snapIndex and after lastIndex.
   */
  async reclaimOutside(snapIndex: number, lastIndex: number, indexMax: number): Promise<void> {
    this.reclaim(0, snapIndex);
    await this.reclaimed;
    if (lastIndex >= indexMax) return;
    let before: number | undefined;
    for (;;) {
      const indexes = this.target.storedIndexes(lastIndex + 1, undefined, this.chunkKeys);
      if (indexes.length === 0) return;
      // Keys come in order, from where asked, and deleted ones are gone, so each chunk starts past the
      // last. Only a damaged B-tree breaks that (a key out of order, which a delete cannot find): never spin on it.
      const sorted = indexes.every((i, k) => i > lastIndex && (k === 0 || i > indexes[k - 1]!));
      if (!sorted || (before !== undefined && indexes[0]! <= before)) {
        throw new StorageError("CORRUPT_RECORD", `entries past the log's end (${indexes[0]}, ...) come out of order or cannot be deleted: the store's structure is damaged`);
      }
      before = indexes[indexes.length - 1]!;
      await this.target.deleteEntries(indexes);
    }
  }

  /** One chunk: returns where the next starts, or undefined when done. */
  private async chunk(from: number, hi: number): Promise<number | undefined> {
    const top = Math.min(hi, this.target.snapIndex());
    if (from > top) return undefined;
    const indexes = this.target.storedIndexes(from, top, this.chunkKeys);
    if (indexes.length === 0) return undefined;
    await this.target.deleteEntries(indexes);
    return indexes.length < this.chunkKeys ? undefined : indexes[indexes.length - 1]! + 1;
  }
}
