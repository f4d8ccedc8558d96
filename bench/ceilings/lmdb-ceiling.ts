/**
 * The storage ceiling: raw lmdb-js puts of records of the same size, with
 * the same environment settings as the broker's store (lmdb-env.ts, sync on
 * unless --no-fsync), in a temporary directory. Throughput: `loops`
 * concurrent loops each awaiting a batch of `batchRecords` puts (concurrent
 * batches share commits, as the broker's partitions do). Then the latency of
 * single-put transactions one at a time: the cost of one synced commit,
 * which every acks=all produce pays at least once on the leader and once on
 * a follower.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openEnv } from "../../broker/storage/lmdb-env.js";
import { entryKey } from "../../broker/storage/codec.js";
import { releaseDir, trackDir } from "../cleanup.js";
import { LatencyHistogram, type LatencySummaryMs } from "../histogram.js";
import { filler } from "../record-value.js";
import { nowMs } from "../time.js";

/** Single-put commits timed for the latency figure. */
const COMMITS = 200;

/** Figures of the lmdb ceiling. */
export interface LmdbCeiling {
  readonly settings: { readonly recordBytes: number; readonly batchRecords: number; readonly loops: number; readonly fsync: boolean; readonly seconds: number };
  readonly putsPerSec: number;
  readonly mbPerSec: number;
  /** One put per transaction, awaited: one synced commit. */
  readonly commitMs: LatencySummaryMs;
}

/** Measure the lmdb ceiling for `seconds`. */
export async function measureLmdbCeiling(recordBytes: number, batchRecords: number, fsync: boolean, seconds: number, loops = 4): Promise<LmdbCeiling> {
  const dir = mkdtempSync(join(tmpdir(), "rlog-bench-lmdb-"));
  trackDir(dir);
  const env = openEnv({ path: dir, fsync, maxDbs: 4 });
  try {
    const db = env.openDB<Buffer, Buffer>({ name: "raw", keyEncoding: "binary", encoding: "binary" });
    const values = Array.from({ length: 64 }, (_, k) => filler(recordBytes, k + 1));
    let puts = 0;
    const next = new Array<number>(loops).fill(0);
    const batch = (loop: number): Promise<unknown> =>
      db.batch(() => {
        for (let k = 0; k < batchRecords; k++) {
          const i = ++next[loop]!;
          void db.put(entryKey(loop + 1, i), values[i % values.length]!);
        }
      });
    // Warm up (map growth, page cache), then measure.
    await Promise.all(Array.from({ length: loops }, (_, loop) => batch(loop)));
    const start = nowMs();
    const end = start + seconds * 1000;
    await Promise.all(
      Array.from({ length: loops }, async (_, loop) => {
        while (nowMs() < end) {
          await batch(loop);
          puts += batchRecords;
        }
      }),
    );
    const elapsedS = (nowMs() - start) / 1000;
    const hist = new LatencyHistogram();
    for (let k = 0; k < COMMITS; k++) {
      const i = ++next[0]!;
      const t0 = nowMs();
      await db.put(entryKey(1, i), values[i % values.length]!);
      hist.recordMs(nowMs() - t0);
    }
    return {
      settings: { recordBytes, batchRecords, loops, fsync, seconds },
      putsPerSec: puts / elapsedS,
      mbPerSec: (puts * recordBytes) / elapsedS / 1e6,
      commitMs: hist.summary(),
    };
  } finally {
    await env.close();
    releaseDir(dir);
  }
}
