/**
 * Real LMDB stores to damage: a store of several logs whose entries carry
 * findable payloads, and byte surgery on its data.mdb. Shared by the
 * targeted damage tests and the seeded random-flip test.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LogStore } from "../../broker/storage/log-store.js";
import { EntryKind, index, nodeId, offset, term, type Entry } from "../../broker/raft/types.js";
import { ENTRY_HEADER_BYTES } from "../../broker/storage/codec.js";

/** Logs, entries per log and payload size of the fixture store. */
export const FIXTURE_LOGS = ["alpha", "beta", "gamma"] as const;
export const FIXTURE_ENTRIES = 40;
/** Small enough to sit in B-tree leaf pages. */
export const FIXTURE_PAYLOAD_BYTES = 200;
/** Segments roll every few entries, so damage lands in different segments. */
export const FIXTURE_SEGMENT_BYTES = 8 * (FIXTURE_PAYLOAD_BYTES + 40);

/** A 16-byte marker unique to (log, index), at the start of that entry's payload. */
export function marker(log: string, i: number): Buffer {
  return Buffer.from(`@${log.slice(0, 5).padEnd(5, "_")}#${String(i).padStart(8, "0")}@`, "latin1");
}

/** The payload of entry i of `log`: its marker, then deterministic bytes. */
export function fixturePayload(log: string, i: number): Uint8Array {
  const out = Buffer.alloc(FIXTURE_PAYLOAD_BYTES);
  marker(log, i).copy(out, 0);
  let x = (i * 2654435761 + log.length * 97 + log.charCodeAt(0)) >>> 0;
  for (let k = 16; k < out.length; k++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[k] = x >>> 24;
  }
  return out;
}

/** Entry i of `log` (one record each, term 1 then 2 from index 21). */
export function fixtureEntry(log: string, i: number): Entry {
  return {
    index: index(i),
    term: term(i <= 20 ? 1 : 2),
    kind: EntryKind.Records,
    offset: offset(i - 1),
    count: 1,
    timestampMs: 1000 + i,
    data: fixturePayload(log, i),
  };
}

/** Write the fixture store into `dir` (each log in a few persists, commit at 30) and close it. */
export async function writeFixtureStore(dir: string): Promise<void> {
  const store = await LogStore.open({ path: dir, fsync: false });
  for (const name of FIXTURE_LOGS) {
    const log = await store.openLog(name, { segmentBytes: FIXTURE_SEGMENT_BYTES, segmentMs: 1e12 });
    for (let from = 1; from <= FIXTURE_ENTRIES; from += 10) {
      const es: Entry[] = [];
      for (let i = from; i < from + 10; i++) es.push(fixtureEntry(name, i));
      await log.persist({ entries: es, hardState: { term: term(2), vote: nodeId(1), commit: index(Math.min(30, from + 9)) } });
    }
  }
  await store.close();
}

/**
 * Flip bits at `delta` bytes from every copy of the marker of (log, i) in
 * data.mdb (old copies of a page linger in free pages; damaging them too
 * keeps the test independent of which copy is live). Returns how many
 * copies were found (at least one, or it throws).
 */
export function damageAtMarker(dir: string, log: string, i: number, delta: number, mask = 0x5a): number {
  const file = join(dir, "data.mdb");
  const bytes = readFileSync(file);
  const m = marker(log, i);
  let found = 0;
  for (let at = bytes.indexOf(m); at >= 0; at = bytes.indexOf(m, at + 1)) {
    bytes[at + delta]! ^= mask;
    found++;
  }
  if (found === 0) throw new Error(`marker of ${log}/${i} not found in data.mdb`);
  writeFileSync(file, bytes);
  return found;
}

/** Offset from a payload's start to its entry header's term field (inside the CRC-covered header). */
export const HEADER_TERM_DELTA = -ENTRY_HEADER_BYTES + 16;
