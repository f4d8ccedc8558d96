/**
 * Child of the random-damage test: opens a (possibly damaged) fixture store
 * with LogStore and reads every fixture entry back through the log, one
 * entry per read, comparing with what was written. Prints one JSON line:
 * ReadBackResult: { storeOpen: code } when the store refused to open, else
 * { logs: { [log]: { open?: code, reads: { [index]: "same" | "different" | code } } } }.
 * Run in a child because opening a damaged LMDB file can crash the process.
 *
 *     node dist/test/storage/readback-child.js <dir>
 */
import { StorageError } from "../../broker/raft/log-storage.js";
import { index } from "../../broker/raft/types.js";
import { LogStore } from "../../broker/storage/log-store.js";
import { FIXTURE_ENTRIES, FIXTURE_LOGS, FIXTURE_SEGMENT_BYTES, fixtureEntry } from "./damage-fixture.js";

/** What one log gave back. */
export interface ReadBack {
  open?: string;
  reads: Record<number, string>;
}

/** The child's output. */
export interface ReadBackResult {
  storeOpen?: string;
  logs?: Record<string, ReadBack>;
}

function codeOf(err: unknown): string {
  return err instanceof StorageError ? err.code : `thrown: ${err instanceof Error ? err.message : String(err)}`;
}

function same(a: { index: number; term: number; offset: number; count: number; kind: number; timestampMs: number; data: Uint8Array }, i: number, log: string): boolean {
  const e = fixtureEntry(log, i);
  return (
    a.index === e.index &&
    a.term === e.term &&
    a.offset === e.offset &&
    a.count === e.count &&
    a.kind === e.kind &&
    a.timestampMs === e.timestampMs &&
    Buffer.compare(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength), Buffer.from(e.data)) === 0
  );
}

async function main(): Promise<void> {
  const dir = process.argv[2]!;
  const out: Record<string, ReadBack> = {};
  let store: LogStore;
  try {
    store = await LogStore.open({ path: dir, fsync: false });
  } catch (err) {
    const result: ReadBackResult = { storeOpen: err instanceof StorageError ? err.message : codeOf(err) };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  for (const name of FIXTURE_LOGS) {
    const rb: ReadBack = { reads: {} };
    out[name] = rb;
    // Never create a log here: a log missing from the registry is reported as such.
    if (!store.listLogs().includes(name)) {
      rb.open = "MISSING";
      continue;
    }
    try {
      const log = await store.openLog(name, { segmentBytes: FIXTURE_SEGMENT_BYTES, segmentMs: 1e12 });
      for (let i = 1; i <= FIXTURE_ENTRIES; i++) {
        try {
          const [e] = log.entries(index(i), index(i + 1), 1 << 30);
          rb.reads[i] = e && same(e, i, name) ? "same" : "different";
        } catch (err) {
          rb.reads[i] = codeOf(err);
        }
      }
    } catch (err) {
      rb.open = codeOf(err);
    }
  }
  await store.close();
  const result: ReadBackResult = { logs: out };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
