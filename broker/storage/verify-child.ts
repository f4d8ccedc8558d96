/**
 * Entry script of the verification child (verify-in-child.ts starts it):
 *
 *     node dist/broker/storage/verify-child.js <data directory> [--repair]
 *
 * Scans the store read-only (verify.ts) and prints one JSON line on stdout:
 * `{"report": VerifyReport}` and exits 0, or, when lmdb-js throws (LMDB
 * found its own structures damaged: MDB_CORRUPTED, MDB_PAGE_NOTFOUND,
 * MDB_INVALID, ...), `{"error": message}` and exits 3. A crash (a signal) or
 * a hang is the parent's to notice. Usage errors exit 2.
 *
 * With `--repair`, when the only damage is to entries, it then cuts each
 * damaged log from its first damaged entry (LogStorage.repair) here, in the
 * child: writing next to a damaged page is what can crash LMDB (seen: a
 * glibc heap assertion in the broker, during the cut of a log whose scan
 * had passed), and a crash here costs the parent nothing. The cuts are
 * listed in `"repaired": [[log, from], ...]`; a cut that fails (a full
 * disk) is left out, for the parent to make when the log opens.
 */
import { STORAGE_DEFAULTS } from "../protocol/defaults.js";
import { index } from "../raft/types.js";
import { LogStore } from "./log-store.js";
import { EXIT_STORAGE_ENGINE, EXIT_USAGE } from "./verify-in-child.js";
import { verifyDirectory, type VerifyReport } from "./verify.js";

/** The cuts a report calls for: only when nothing but entries is damaged. */
function cutsOf(report: VerifyReport): [string, number][] {
  if (report.storeRecords.length > 0 || report.logs.some((l) => l.damagedRecords.length > 0 || !l.entriesVerified)) return [];
  return report.logs.flatMap((l) => (l.firstDamagedIndex === undefined ? [] : [[l.name, l.firstDamagedIndex] as [string, number]]));
}

async function cut(dir: string, cuts: readonly [string, number][]): Promise<[string, number][]> {
  const done: [string, number][] = [];
  const store = await LogStore.open({ path: dir });
  try {
    for (const [name, from] of cuts) {
      const log = await store.openLog(name, { segmentBytes: STORAGE_DEFAULTS.segmentBytes, segmentMs: STORAGE_DEFAULTS.segmentMs });
      try {
        await log.repair(index(from));
        done.push([name, from]);
      } catch (err) {
        process.stderr.write(`cut of ${name} from ${from} failed: ${err instanceof Error ? err.message : String(err)}\n`);
      }
      await log.close();
    }
  } finally {
    await store.close();
  }
  return done;
}

async function main(): Promise<number> {
  const dir = process.argv[2];
  const repair = process.argv[3] === "--repair";
  if (dir === undefined || process.argv.length > 4 || (process.argv.length === 4 && !repair)) {
    process.stderr.write("usage: verify-child <data directory> [--repair]\n");
    return EXIT_USAGE;
  }
  try {
    const report = await verifyDirectory(dir);
    const repaired = repair ? await cut(dir, cutsOf(report)) : [];
    process.stdout.write(`${JSON.stringify({ report, repaired })}\n`);
    return 0;
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ error: err instanceof Error ? err.message : String(err) })}\n`);
    return EXIT_STORAGE_ENGINE;
  }
}

process.exitCode = await main();
