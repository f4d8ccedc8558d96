/**
 * Crash safety with a real process: a child writes to a LogStore and is
 * SIGKILLed at a seeded moment; the reopened store must hold every
 * acknowledged write intact, nothing torn (each log is exactly its last
 * acknowledged state, or that plus the one write in flight), and no garbage.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LogStore, type LmdbLog } from "../../broker/storage/log-store.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { index } from "../../broker/raft/types.js";
import { CRASH_LOGS, CRASH_SETTINGS, LogModel, makeEntry, toHardState, type Op } from "./crash-model.js";
import { assertEntriesEqual } from "./contract.js";

/** Fixed seeds: which runs happen is deterministic (the kill moment is as exact as timers are). */
const SEEDS = [101, 202, 303, 404, 505, 606];
const CHILD = fileURLToPath(new URL("./crash-child.js", import.meta.url));

interface Tracked {
  acked: LogModel;
  ackedFirst: number;
  inflight: Op | undefined;
  acks: number;
}

/** Run the child until `killAfterMs` past its first acknowledged write, then SIGKILL it; returns what it reported. */
async function runChild(dir: string, seed: number, killAfterMs: number): Promise<Map<string, Tracked>> {
  const tracked = new Map<string, Tracked>(CRASH_LOGS.map((name, k) => [name, { acked: new LogModel(seed, k), ackedFirst: 1, inflight: undefined, acks: 0 }]));
  const child = spawn(process.execPath, [CHILD, dir, String(seed)], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const guard = setTimeout(() => child.kill("SIGKILL"), 15_000);
  let buf = "";
  let timer: NodeJS.Timeout | undefined;
  let failure: unknown;
  const onLine = (line: string): void => {
    const [what, name, rest] = line.split(/ (\S+) ?/);
    if (what === "ready") return;
    const t = tracked.get(name ?? "");
    assert.ok(t, `unexpected line from the child: ${line}`);
    if (what === "begin") {
      assert.equal(t.inflight, undefined, `${name}: two writes in flight`);
      t.inflight = JSON.parse(rest!) as Op;
    } else if (what === "ack") {
      assert.ok(t.inflight, `${name}: ack without begin`);
      t.acked.apply(t.inflight);
      t.ackedFirst = Number(rest);
      t.inflight = undefined;
      t.acks++;
      // The kill clock starts at the first acknowledged write, so a slow start never makes a vacuous run.
      timer ??= setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    } else {
      assert.fail(`unexpected line from the child: ${line}`);
    }
  };
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        onLine(line);
      } catch (err) {
        failure ??= err;
        child.kill("SIGKILL");
      }
    }
  });
  const { signal } = await exited;
  clearTimeout(guard);
  if (timer) clearTimeout(timer);
  if (failure) throw failure;
  assert.equal(signal, "SIGKILL", `the child died on its own: ${stderr}`);
  return tracked;
}

describe("LogStore crash safety (SIGKILL)", () => {
  for (const seed of SEEDS) {
    it(`recovers every acknowledged write, nothing torn (seed ${seed})`, async (ctx) => {
      const dir = await mkdtemp(join(tmpdir(), "rlog-crash-"));
      try {
        const killAfterMs = 150 + new SeededRandom(seed).int(600);
        const tracked = await runChild(dir, seed, killAfterMs);
        assert.ok([...tracked.values()].some((t) => t.acks > 0), "the child acknowledged nothing before the kill");

        const store = await LogStore.open({ path: dir });
        try {
          const opened = new Map<string, LmdbLog>();
          for (const [name, t] of tracked) {
            const log = await store.openLog(name, CRASH_SETTINGS);
            opened.set(name, log);
            // Candidates: the last acknowledged state, or that plus the write in flight.
            const candidates = [t.acked];
            if (t.inflight) {
              const next = t.acked.clone();
              next.apply(t.inflight);
              candidates.push(next);
            }
            const hs = log.hardState();
            const last = log.lastIndex();
            const c: LogModel | undefined = candidates.find((m) => m.last === last && JSON.stringify(toHardState(m.hs)) === JSON.stringify(hs));
            ctx.diagnostic(`${name}: ${t.acks} acks, last ${last}, in flight: ${t.inflight ? (c === t.acked ? "not applied" : "applied") : "none"}`);
            assert.ok(c, `${name}: disk (last ${last}, hs ${JSON.stringify(hs)}) matches neither the acked state (last ${t.acked.last}, hs ${JSON.stringify(t.acked.hs)}) nor the one in flight ${JSON.stringify(t.inflight)}`);
            const first = log.firstIndex();
            assert.ok(first >= t.ackedFirst, `${name}: first index ${first} moved back from ${t.ackedFirst}`);
            assert.ok(first - 1 <= c.hs.commit, `${name}: compacted through ${first - 1}, past the commit index ${c.hs.commit}`);
            // Every entry held is exactly what was written: terms, offsets, bytes.
            const expected = [];
            for (let i = first; i <= last; i++) expected.push(makeEntry(seed, c.logNo, i, c.terms[i]!, c.ends[i - 1]!));
            const got = last >= first ? log.entries(index(first), index(last + 1), Number.MAX_SAFE_INTEGER) : [];
            assertEntriesEqual(got, expected, name);
            for (let i = first; i <= last; i++) assert.equal(log.term(index(i)), c.terms[i], `${name}: term(${i})`);
            assert.equal(log.logStartOffset(), c.ends[first - 1]);
            assert.equal(log.nextOffset(), c.ends[last]);
            assert.equal(log.snapshot().index, first - 1);
            // Nothing hidden left behind once open.
            assert.equal(log.storedEntryCount(), Math.max(0, last - first + 1), `${name}: garbage entries after reopen`);
          }
          // No entries of deleted logs (the scratch log) survive a cut deleteLog.
          let held = 0;
          for (const name of store.listLogs()) held += (opened.get(name) ?? (await store.openLog(name, CRASH_SETTINGS))).storedEntryCount();
          assert.equal(store.stats().entriesStored, held, "entries stored for logs that no longer exist");
        } finally {
          await store.close();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
