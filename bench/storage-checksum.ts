/**
 * The cost of the storage checksums (docs/STORAGE.md, "Checksums"):
 *
 *   npm run bench:checksum [-- --seconds N] [--json FILE]
 *
 * 1. CRC-32C alone: MB/s over 1 KiB values, and ns per 60-byte header.
 * 2. Reading 1 KiB entries back from a real LMDB log (sync off, so the page
 *    cache serves every read), 100 entries per read, in alternating 200 ms
 *    slices of four ways to decode the same stored values:
 *      unchecked      lmdb-js getRange + header fields, no CRC (what format 1 cost)
 *      header CRC     + the header's CRC (what offset searches pay per header)
 *      header+payload + the payload's CRC (every entry handed out)
 *      LmdbLog        log.entries(): the production read path, fully verified
 * 3. Writing: encoding 100 entries per batch with both CRCs vs the same
 *    layout without them (the CPU part of an append; the commit's fsync is
 *    not included and dominates a synced append).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { crc32c } from "../broker/storage/checksum.js";
import { checkEntryData, entryKey, entryOf, entryValueBytes, readEntryHeader, writeEntryValue, ENTRY_HEADER_BYTES } from "../broker/storage/codec.js";
import { LogStore, type LmdbLog } from "../broker/storage/log-store.js";
import { openEnv } from "../broker/storage/lmdb-env.js";
import { EntryKind, index, offset, term, type Entry } from "../broker/raft/types.js";

const VALUE_BYTES = 1024;
const ENTRIES = 20_000;
const READ_BATCH = 100;
const SLICE_MS = 200;

interface Args {
  seconds: number;
  json: string | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { seconds: 2, json: undefined };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === "--seconds") args.seconds = Number(argv[++k]);
    else if (a === "--json") args.json = argv[++k];
    else throw new Error(`unknown argument ${a}; usage: storage-checksum.js [--seconds N] [--json FILE]`);
  }
  if (!(args.seconds > 0 && args.seconds <= 20)) throw new Error("--seconds must be in (0, 20]");
  return args;
}

/** Run `fn` repeatedly for about `ms`; returns calls per second. */
function rate(fn: () => void, ms: number): number {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let k = 0; k < 64; k++) fn();
    n += 64;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

function entry(i: number): Entry {
  const data = new Uint8Array(VALUE_BYTES);
  for (let k = 0; k < data.length; k++) data[k] = (i * 31 + k * 7) & 0xff;
  return { index: index(i), term: term(1), kind: EntryKind.Records, offset: offset(i - 1), count: 1, timestampMs: i, data };
}

/** Decoders of one stored value, from the cheapest to the full check. */
const DECODERS = {
  unchecked: (v: Buffer, i: number): number => {
    // The header fields as format 1 read them: no CRC at all.
    const count = v.readUInt32LE(4);
    const t = v.readDoubleLE(16);
    return count + t + i + new Uint8Array(v.buffer, v.byteOffset + ENTRY_HEADER_BYTES, v.byteLength - ENTRY_HEADER_BYTES).byteLength;
  },
  headerCrc: (v: Buffer, i: number): number => entryOf(v, readEntryHeader(v, v.byteLength, "bench", i)).count,
  headerAndPayloadCrc: (v: Buffer, i: number): number => {
    const h = readEntryHeader(v, v.byteLength, "bench", i);
    checkEntryData(v, h, "bench");
    return entryOf(v, h).count;
  },
};

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const ms = args.seconds * 1000;
  const results: Record<string, number> = {};

  // 1. CRC-32C alone.
  const kib = new Uint8Array(VALUE_BYTES).map((_, k) => k * 13);
  const header = kib.subarray(0, 60);
  let sink = 0;
  const kibPerSec = rate(() => (sink ^= crc32c(kib)), ms);
  const headersPerSec = rate(() => (sink ^= crc32c(header)), ms);
  results.crc32cMBps = (kibPerSec * VALUE_BYTES) / 1e6;
  results.crc32cNsPer1KiB = 1e9 / kibPerSec;
  results.crc32cNsPerHeader = 1e9 / headersPerSec;

  // 2. Reads from a real log.
  const dir = await mkdtemp(join(tmpdir(), "rlog-bench-crc-"));
  let store: LogStore | undefined;
  try {
    store = await LogStore.open({ path: dir, fsync: false });
    const log: LmdbLog = await store.openLog("bench", { segmentBytes: 64 << 20, segmentMs: 1e12 });
    for (let from = 1; from <= ENTRIES; from += 1000) await log.persist({ entries: Array.from({ length: 1000 }, (_, k) => entry(from + k)) });
    // The entries DB as the log reads it (lmdb-js getRange copies each value), through a second handle on the same environment.
    const env = openEnv({ path: dir, fsync: false, maxDbs: 4 });
    const db = env.openDB<Buffer, Buffer>({ name: "entries", keyEncoding: "binary", encoding: "binary" });
    let cursor = 1;
    const nextLo = (): number => {
      const lo = cursor;
      cursor = cursor + READ_BATCH > ENTRIES ? 1 : cursor + READ_BATCH;
      return lo;
    };
    const ways: Record<string, () => void> = {};
    for (const [name, decode] of Object.entries(DECODERS)) {
      ways[name] = () => {
        const lo = nextLo();
        let i = lo;
        for (const { value } of db.getRange({ start: entryKey(log.logId, lo), end: entryKey(log.logId, lo + READ_BATCH) })) sink ^= decode(value, i++);
      };
    }
    ways.lmdbLog = () => {
      const lo = nextLo();
      sink ^= log.entries(index(lo), index(lo + READ_BATCH), 1 << 30).length;
    };
    const elapsed: Record<string, number> = {};
    const calls: Record<string, number> = {};
    for (const name of Object.keys(ways)) rate(ways[name]!, 50); // warm up
    for (let round = 0; round * SLICE_MS < ms; round++) {
      for (const [name, fn] of Object.entries(ways)) {
        const start = performance.now();
        let n = 0;
        while (performance.now() - start < SLICE_MS) {
          fn();
          n++;
        }
        elapsed[name] = (elapsed[name] ?? 0) + performance.now() - start;
        calls[name] = (calls[name] ?? 0) + n;
      }
    }
    for (const name of Object.keys(ways)) results[`read_${name}_entriesPerSec`] = (calls[name]! * READ_BATCH * 1000) / elapsed[name]!;
  } finally {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  }

  // 3. Encoding a batch of 100 entries, with and without the CRCs.
  const batch = Array.from({ length: 100 }, (_, k) => entry(k + 1));
  const slab = Buffer.allocUnsafeSlow(batch.reduce((n, e) => n + entryValueBytes(e), 0));
  const view = new DataView(slab.buffer, slab.byteOffset, slab.byteLength);
  const withCrc = rate(() => {
    let at = 0;
    for (const e of batch) {
      writeEntryValue(slab, view, at, e, 0, 0);
      at += entryValueBytes(e);
    }
  }, ms);
  const withoutCrc = rate(() => {
    let at = 0;
    for (const e of batch) {
      // The same header stores and payload copy, without the two CRCs.
      view.setUint8(at, 2);
      view.setUint8(at + 1, e.kind);
      view.setUint32(at + 4, e.count, true);
      view.setFloat64(at + 8, e.index, true);
      view.setFloat64(at + 16, e.term, true);
      view.setFloat64(at + 24, e.offset, true);
      view.setFloat64(at + 32, e.timestampMs, true);
      view.setFloat64(at + 40, 0, true);
      view.setFloat64(at + 48, 0, true);
      slab.set(e.data, at + ENTRY_HEADER_BYTES);
      at += entryValueBytes(e);
    }
  }, ms);
  results.encode_withCrc_entriesPerSec = withCrc * batch.length;
  results.encode_withoutCrc_entriesPerSec = withoutCrc * batch.length;

  const f = (x: number): string => Math.round(x).toLocaleString("en-US");
  console.log(`CRC-32C (@node-rs/crc32): ${f(results.crc32cMBps)} MB/s over 1 KiB values (${results.crc32cNsPer1KiB.toFixed(0)} ns each), ${results.crc32cNsPerHeader.toFixed(0)} ns per 60-byte header`);
  console.log(`reads of 1 KiB entries, ${READ_BATCH} per read (entries/s):`);
  for (const name of ["unchecked", "headerCrc", "headerAndPayloadCrc", "lmdbLog"]) {
    const r = results[`read_${name}_entriesPerSec`]!;
    console.log(`  ${name.padEnd(20)} ${f(r).padStart(12)}  (${((100 * r) / results.read_unchecked_entriesPerSec!).toFixed(0)} % of unchecked)`);
  }
  console.log(`encoding 1 KiB entries (entries/s): with CRCs ${f(results.encode_withCrc_entriesPerSec)}, without ${f(results.encode_withoutCrc_entriesPerSec)}`);
  if (sink === 0.5) console.log("");
  if (args.json) await writeFile(args.json, JSON.stringify(results, null, 2));
}

await main();
