/**
 * Storage benchmark: append throughput of the LMDB commit log against raw
 * lmdb-js puts of the same bytes with the same environment settings (sync on).
 *
 *   npm run bench:storage [-- --seconds 5] [--json FILE] [--no-fsync]
 *
 * Each scenario opens a fresh temp directory for each side and alternates
 * 250 ms slices of raw and log for `--seconds` each (the disk's fsync latency
 * drifts; alternating exposes both sides to the same conditions), awaiting
 * every write before the next one, as a partition's append path does:
 *   batch 1     one 1 KiB record per persist()    vs  one put per transaction
 *   batch 100   100 records per persist()         vs  100 puts in one batch
 *   8 logs x 1  eight logs appending concurrently vs  eight concurrent put loops
 *               (shows group commit: concurrent writes share a transaction)
 * A record is one Records entry of count 1 with a 1 KiB payload; MiB/s counts
 * payload bytes only.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openEnv } from "../broker/storage/lmdb-env.js";
import { LogStore, type LmdbLog } from "../broker/storage/log-store.js";
import { entryKey } from "../broker/storage/codec.js";
import { EntryKind, index, offset, term, type Entry } from "../broker/raft/types.js";

const RECORD_BYTES = 1024;

interface Args {
  seconds: number;
  json: string | undefined;
  fsync: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { seconds: 5, json: undefined, fsync: true };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === "--seconds") args.seconds = Number(argv[++k]);
    else if (a === "--json") args.json = argv[++k];
    else if (a === "--no-fsync") args.fsync = false;
    else throw new Error(`unknown argument ${a}; usage: storage.js [--seconds N] [--json FILE] [--no-fsync]`);
  }
  if (!(args.seconds > 0 && args.seconds <= 20)) throw new Error("--seconds must be in (0, 20]");
  return args;
}

/** Result of one timed loop. */
interface Measure {
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSec: number;
  readonly mibPerSec: number;
  /** Per-write latency percentiles (one write = one batch), ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Latency samples per side: bounded, a side stops recording once full. */
const SAMPLES_MAX = 1_000_000;
/** Length of one slice: raw and log alternate slice by slice. */
const SLICE_MS = 250;

/** Writes `batch` records per call, in loop `loop`. */
type Writer = (loop: number) => Promise<unknown>;

class Side {
  readonly samples = new Float64Array(SAMPLES_MAX);
  n = 0;
  writes = 0;
  elapsedMs = 0;

  constructor(readonly write: Writer) {}

  /** Run `loops` concurrent loops of back-to-back writes for one slice. */
  async slice(loops: number, sliceMs: number): Promise<void> {
    const start = performance.now();
    const deadline = start + sliceMs;
    await Promise.all(
      Array.from({ length: loops }, async (_, loop) => {
        while (performance.now() < deadline) {
          const t0 = performance.now();
          await this.write(loop);
          if (this.n < SAMPLES_MAX) this.samples[this.n++] = performance.now() - t0;
          this.writes++;
        }
      }),
    );
    this.elapsedMs += performance.now() - start;
  }

  measure(batch: number): Measure {
    const sorted = this.samples.subarray(0, this.n).sort();
    const pct = (p: number) => sorted[Math.min(this.n - 1, Math.floor(p * this.n))] ?? 0;
    const records = this.writes * batch;
    const seconds = this.elapsedMs / 1000;
    return {
      records,
      seconds,
      recordsPerSec: records / seconds,
      mibPerSec: (records * RECORD_BYTES) / seconds / (1024 * 1024),
      p50Ms: pct(0.5),
      p99Ms: pct(0.99),
    };
  }
}

/**
 * Alternate raw and log slices for `seconds` each: the disk's fsync latency
 * drifts (other processes, the host), and alternating exposes both sides to
 * the same conditions, which sequential runs do not.
 */
async function compare(seconds: number, loops: number, batch: number, raw: Writer, log: Writer): Promise<{ raw: Measure; log: Measure }> {
  // Warm up both (map growth, page cache) before measuring.
  await new Side(raw).slice(loops, 100);
  await new Side(log).slice(loops, 100);
  const rr = new Side(raw);
  const ll = new Side(log);
  const slices = Math.max(1, Math.round((seconds * 1000) / SLICE_MS));
  for (let k = 0; k < slices; k++) {
    // Swap who goes first each round so neither always follows the other.
    if (k % 2 === 0) {
      await rr.slice(loops, SLICE_MS);
      await ll.slice(loops, SLICE_MS);
    } else {
      await ll.slice(loops, SLICE_MS);
      await rr.slice(loops, SLICE_MS);
    }
  }
  return { raw: rr.measure(batch), log: ll.measure(batch) };
}

function payload(seed: number): Uint8Array {
  const out = new Uint8Array(RECORD_BYTES);
  let x = seed >>> 0 || 1;
  for (let k = 0; k < out.length; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[k] = x & 0xff;
  }
  return out;
}

/** A writer with its environment; close() removes its temp dir. */
interface Target {
  readonly write: Writer;
  close(): Promise<void>;
}

async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "rlog-bench-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Raw lmdb-js: each call puts `batch` values in one transaction (same env settings as the log store). */
async function rawTarget(args: Args, loops: number, batch: number): Promise<Target> {
  const { dir, remove } = await tempDir();
  const env = openEnv({ path: dir, fsync: args.fsync, maxDbs: 4 });
  const db = env.openDB<Buffer, Buffer>({ name: "raw", keyEncoding: "binary", encoding: "binary" });
  const values = Array.from({ length: 64 }, (_, k) => Buffer.from(payload(k + 1)));
  const next = new Array<number>(loops).fill(0);
  return {
    write: (loop) => {
      if (batch === 1) {
        const i = ++next[loop]!;
        return db.put(entryKey(loop + 1, i), values[i % values.length]!);
      }
      return db.batch(() => {
        for (let k = 0; k < batch; k++) {
          const i = ++next[loop]!;
          void db.put(entryKey(loop + 1, i), values[i % values.length]!);
        }
      });
    },
    close: async () => {
      await env.close();
      await remove();
    },
  };
}

/** The commit log: one log per loop, each call one persist() of `batch` records. */
async function logTarget(args: Args, loops: number, batch: number): Promise<Target> {
  const { dir, remove } = await tempDir();
  const store = await LogStore.open({ path: dir, fsync: args.fsync });
  const logs: LmdbLog[] = [];
  for (let k = 0; k < loops; k++) logs.push(await store.openLog(`bench-${k}`, { segmentBytes: 64 * 1024 * 1024, segmentMs: 7 * 24 * 3600 * 1000 }));
  const datas = Array.from({ length: 64 }, (_, k) => payload(k + 1));
  const t = term(1);
  return {
    write: (loop) => {
      const log = logs[loop]!;
      let i = log.lastIndex() + 1;
      let off = log.nextOffset() as number;
      const entries = new Array<Entry>(batch);
      for (let k = 0; k < batch; k++, i++, off++) {
        entries[k] = { index: index(i), term: t, kind: EntryKind.Records, offset: offset(off), count: 1, timestampMs: 0, data: datas[i % datas.length]! };
      }
      return log.persist({ entries });
    },
    close: async () => {
      await store.close();
      await remove();
    },
  };
}

interface Row {
  readonly scenario: string;
  readonly log: Measure;
  readonly raw: Measure;
  /** log records/s divided by raw records/s. */
  readonly ratio: number;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const scenarios: { name: string; loops: number; batch: number }[] = [
    { name: "batch 1", loops: 1, batch: 1 },
    { name: "batch 100", loops: 1, batch: 100 },
    { name: "8 logs x batch 1", loops: 8, batch: 1 },
  ];
  console.log(`rlog storage bench: ${RECORD_BYTES}-byte records, sync ${args.fsync ? "on" : "OFF"}, ${args.seconds} s per run, node ${process.version}`);
  const rows: Row[] = [];
  for (const s of scenarios) {
    const rawT = await rawTarget(args, s.loops, s.batch);
    const logT = await logTarget(args, s.loops, s.batch);
    try {
      const { raw, log } = await compare(args.seconds, s.loops, s.batch, rawT.write, logT.write);
      rows.push({ scenario: s.name, log, raw, ratio: log.recordsPerSec / raw.recordsPerSec });
    } finally {
      await rawT.close();
      await logT.close();
    }
  }
  const header = ["scenario", "log rec/s", "log MiB/s", "log p50 ms", "log p99 ms", "raw rec/s", "raw MiB/s", "raw p50 ms", "log/raw"];
  const table = rows.map((r) => [
    r.scenario,
    fmt(r.log.recordsPerSec),
    fmt(r.log.mibPerSec, 1),
    fmt(r.log.p50Ms, 2),
    fmt(r.log.p99Ms, 2),
    fmt(r.raw.recordsPerSec),
    fmt(r.raw.mibPerSec, 1),
    fmt(r.raw.p50Ms, 2),
    `${fmt(r.ratio * 100, 0)}%`,
  ]);
  const widths = header.map((h, k) => Math.max(h.length, ...table.map((row) => row[k]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of table) console.log(line(row));
  if (args.json) {
    await writeFile(args.json, JSON.stringify({ recordBytes: RECORD_BYTES, fsync: args.fsync, seconds: args.seconds, node: process.version, rows }, null, 2));
    console.log(`wrote ${args.json}`);
  }
}

await main();
