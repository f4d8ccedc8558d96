/**
 * Seeded random damage: N random bytes of a closed store's data.mdb flipped
 * (anywhere: meta pages, branch and leaf pages, keys, values, free pages),
 * then the verification child, then a read-back child. Over many seeds:
 *
 * - nothing hangs or takes the test process down (both run in children with
 *   timeouts);
 * - whenever the scan reports ok, every entry it did not flag (in a log whose
 *   records are intact) reads back byte-identical through the log, and no
 *   read anywhere ever returns different bytes: damaged data is never handed
 *   out as good.
 *
 * Prints the share of seeds that gave a structural failure (the scan child
 * crashed, timed out or LMDB reported corruption), flagged damage, or came
 * back clean. One seed replays: RLOG_DAMAGE_SEEDS=17 (a comma list).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SeededRandom } from "../../broker/raft/random.js";
import { verifyInChild } from "../../broker/storage/verify-in-child.js";
import type { LogVerifyReport } from "../../broker/storage/verify.js";
import { FIXTURE_ENTRIES, FIXTURE_LOGS, writeFixtureStore } from "./damage-fixture.js";
import type { ReadBack, ReadBackResult } from "./readback-child.js";

const READBACK = fileURLToPath(new URL("./readback-child.js", import.meta.url));
const SEEDS = process.env.RLOG_DAMAGE_SEEDS ? process.env.RLOG_DAMAGE_SEEDS.split(",").map(Number) : Array.from({ length: 40 }, (_, k) => k + 1);
const CHILD_TIMEOUT_MS = 10_000;

/** Run the read-back child; undefined when it crashed or timed out. */
function readBack(dir: string): Promise<{ result?: ReadBackResult; failure?: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [READBACK, dir], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ result: JSON.parse(out) as ReadBackResult });
      else resolve({ failure: `read-back child ${signal ?? `exit ${code}`}: ${err.trim().split("\n").slice(-3).join(" | ")}` });
    });
  });
}

/**
 * Entries the scan flagged in a log: the listed ones, and, when the list does
 * not account for every damaged entry (cut short, or a run of missing ones),
 * everything from the first damaged index on.
 */
function flagged(l: LogVerifyReport): (i: number) => boolean {
  const listed = new Set(l.damagedEntries.map((d) => d.index));
  const complete = listed.size === l.damagedEntryCount;
  return (i) => listed.has(i) || (!complete && l.firstDamagedIndex !== undefined && i >= l.firstDamagedIndex);
}

test(`random byte flips in data.mdb over ${SEEDS.length} seeds: never a hang or crash, never damaged bytes returned`, async () => {
  const base = await mkdtemp(join(tmpdir(), "rlog-flips-base-"));
  const tally = { structural: 0, flagged: 0, clean: 0, readBackCrashed: 0, storeRefused: 0 };
  const structuralKinds = new Map<string, number>();
  /** Store refusals and read-back crashes, by seed, for the summary line. */
  const refusals: string[] = [];
  try {
    await writeFixtureStore(base);
    const pristine = readFileSync(join(base, "data.mdb"));
    for (const seed of SEEDS) {
      const dir = await mkdtemp(join(tmpdir(), `rlog-flips-${seed}-`));
      try {
        const rnd = new SeededRandom(seed);
        const bytes = Buffer.from(pristine);
        const flips = 1 + rnd.int(8);
        for (let k = 0; k < flips; k++) bytes[rnd.int(bytes.length)]! ^= 1 + rnd.int(255);
        writeFileSync(join(dir, "data.mdb"), bytes);
        copyFileSync(join(base, "lock.mdb"), join(dir, "lock.mdb"));
        const outcome = await verifyInChild(dir, { timeoutMs: CHILD_TIMEOUT_MS });
        if (!outcome.ok) {
          tally.structural++;
          structuralKinds.set(outcome.failure, (structuralKinds.get(outcome.failure) ?? 0) + 1);
          continue;
        }
        const r = outcome.report;
        const anyDamage = r.storeRecords.length > 0 || r.logs.some((l) => l.damagedRecords.length > 0 || l.damagedEntryCount > 0) || r.logs.length !== FIXTURE_LOGS.length;
        if (anyDamage) tally.flagged++;
        else tally.clean++;
        const back = await readBack(dir);
        if (!back.result) {
          // Opening for writes touches what a read-only scan does not (the free list); count it, the property is about reads.
          tally.readBackCrashed++;
          refusals.push(`seed ${seed}: ${back.failure}`);
          continue;
        }
        if (back.result.storeOpen !== undefined) {
          tally.storeRefused++;
          refusals.push(`seed ${seed}: ${back.result.storeOpen}`);
          assert.ok(anyDamage, `seed ${seed}: the store refused to open (${back.result.storeOpen}) but the scan was clean`);
          continue;
        }
        for (const name of FIXTURE_LOGS) {
          const rb: ReadBack | undefined = back.result.logs?.[name];
          assert.ok(rb, `seed ${seed}: no read-back of ${name}`);
          const lr = r.logs.find((l) => l.name === name);
          const readsOk = lr !== undefined && lr.damagedRecords.length === 0 && lr.entriesVerified;
          if (rb.open !== undefined) {
            assert.ok(!readsOk, `seed ${seed}: ${name} failed to open (${rb.open}) but the scan found its records intact`);
            continue;
          }
          const isFlagged = lr ? flagged(lr) : () => true;
          for (let i = 1; i <= FIXTURE_ENTRIES; i++) {
            const got: string | undefined = rb.reads[i];
            assert.notEqual(got, "different", `seed ${seed}: ${name}/${i} read back different bytes`);
            assert.ok(got === "same" || got === "CORRUPT_ENTRY" || got === "CORRUPT_RECORD", `seed ${seed}: ${name}/${i} read gave ${got}`);
            if (readsOk && !isFlagged(i)) assert.equal(got, "same", `seed ${seed}: ${name}/${i} not flagged by the scan but read gave ${got}`);
          }
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await rm(base, { recursive: true, force: true });
  }
  const n = SEEDS.length;
  const pct = (k: number): string => `${k}/${n} (${Math.round((100 * k) / n)} %)`;
  console.log(
    `random damage over ${n} seeds: structural ${pct(tally.structural)} ${JSON.stringify(Object.fromEntries(structuralKinds))}, flagged ${pct(tally.flagged)}, clean ${pct(tally.clean)}; ` +
      `read-back child crashed ${tally.readBackCrashed}, store refused to open ${tally.storeRefused} ${JSON.stringify(refusals)}`,
  );
  assert.equal(tally.structural + tally.flagged + tally.clean, n);
});
