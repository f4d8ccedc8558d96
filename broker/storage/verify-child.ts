/**
 * Entry script of the verification child (verify-in-child.ts starts it):
 *
 *     node dist/broker/storage/verify-child.js <data directory>
 *
 * Scans the store read-only (verify.ts) and prints one JSON line on stdout:
 * `{"report": VerifyReport}` and exits 0, or, when lmdb-js throws (LMDB
 * found its own structures damaged: MDB_CORRUPTED, MDB_PAGE_NOTFOUND,
 * MDB_INVALID, ...), `{"error": message}` and exits 3. A crash (a signal) or
 * a hang is the parent's to notice. Usage errors exit 2.
 */
import { EXIT_STORAGE_ENGINE, EXIT_USAGE } from "./verify-in-child.js";
import { verifyDirectory } from "./verify.js";

async function main(): Promise<number> {
  const dir = process.argv[2];
  if (dir === undefined || process.argv.length !== 3) {
    process.stderr.write("usage: verify-child <data directory>\n");
    return EXIT_USAGE;
  }
  try {
    const report = await verifyDirectory(dir);
    process.stdout.write(`${JSON.stringify({ report })}\n`);
    return 0;
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ error: err instanceof Error ? err.message : String(err) })}\n`);
    return EXIT_STORAGE_ENGINE;
  }
}

process.exitCode = await main();
