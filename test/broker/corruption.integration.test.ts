/**
 * Issue 17, "Corruption", with three real brokers: for each seed, SIGKILL one
 * broker (rotating), flip a handful of seeded random bytes in its data.mdb,
 * restart it, and wait until it has repaired itself (every group that cut a
 * damaged log holds what it held before again, or a set-aside directory has
 * recovered as a lost disk; every partition's leader sees every replica
 * caught up, none recovering or repairing). A producer runs (acks all) from
 * the kill until the repair is done and must see no failed send. Then every
 * acknowledged record must read back byte for byte through every broker:
 * leadership of every partition moves to each broker in turn and an SDK
 * consumer reads from the beginning through it, with no error (no throw, no
 * error line from the SDK's logger).
 *
 * Where the flips go: odd seeds anywhere in data.mdb (mostly free or
 * structural bytes); even seeds inside the 4 KiB pages that hold record
 * payloads (found by the marker every value starts with), so the damaged
 * entry path is exercised for real. Per seed the outcome is read from the
 * victim's log: clean (every checksum held), entries cut (damaged entries,
 * cut and fetched again), or set aside (damaged beyond its entries: the
 * files moved into damaged-<time>/, the broker recovered as a lost disk).
 *
 * RLOG_CORRUPTION_SEEDS=N runs N seeds (default 6) from
 * RLOG_CORRUPTION_SEED_BASE (default 1); RLOG_CORRUPTION_SEEDS=4,17 runs a
 * list. A seed fixes the victim, the number of flips, where they go in the
 * file and the bit masks; what lies at those bytes depends on the run
 * (record timing, elections), so a seed repeats a kind of fault, not the
 * exact one. A failed run keeps its directory (printed) for a look.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { TestCluster, sleep } from "./cluster-harness.js";
import { RlogClient, type Logger, type PartitionStatus } from "../../client/index.js";
import { SeededRandom } from "../../broker/raft/random.js";

const TOPIC = "ledger";
const PARTITIONS = 3;
const BROKERS = [1, 2, 3] as const;
/** Records produced before the first seed, per partition. */
const INITIAL_RECORDS_PER_PARTITION = 150;
/** Every value starts with this, so that its bytes can be found in data.mdb. */
const MARKER = "CRPT~";
/** Filler after the marker: values of about 200 bytes, a few per LMDB page. */
const FILLER = "x".repeat(180);
/** LMDB's page size on Linux (lmdb-js keeps the OS page size). */
const PAGE_BYTES = 4096;
/** Flips per seed: 1..FLIPS_MAX. */
const FLIPS_MAX = 8;
/** Bound on waiting for a restarted broker to repair itself. */
const REPAIR_WAIT_MS = 40_000;
/** Bound on reading a whole partition set back through one broker. */
const CONSUME_WAIT_MS = 20_000;

function seedList(): number[] {
  const env = process.env["RLOG_CORRUPTION_SEEDS"];
  if (env !== undefined && env.includes(",")) return env.split(",").map(Number);
  const count = env === undefined ? 6 : Number(env);
  const base = Number(process.env["RLOG_CORRUPTION_SEED_BASE"] ?? 1);
  return Array.from({ length: count }, (_, i) => base + i);
}
const SEEDS = seedList();

type Outcome = "clean" | "entries cut" | "set aside";

interface LogLine {
  readonly msg: string;
  readonly group?: string;
  readonly level?: number;
  readonly [key: string]: unknown;
}

/** Broker `id`'s JSON log lines from byte `from` of its log file on. */
function logFrom(cluster: TestCluster, id: number, from: number): LogLine[] {
  return readFileSync(cluster.member(id).logFile)
    .subarray(from)
    .toString("utf8")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogLine);
}

/** An SDK logger that counts what it is told at warn and error (and keeps the error lines). */
class CountingLogger implements Logger {
  warns = 0;
  readonly errors: string[] = [];
  debug(): void {}
  info(): void {}
  warn(): void {
    this.warns++;
  }
  error(fields: object, message: string): void {
    this.errors.push(`${message} ${JSON.stringify(fields)}`);
  }
}

/** Acknowledged records by partition: offset -> value. */
class Ledger {
  readonly acked: Map<number, Buffer>[] = Array.from({ length: PARTITIONS }, () => new Map());
  sends = 0;
  readonly failures: string[] = [];
  count(): number {
    return this.acked.reduce((n, m) => n + m.size, 0);
  }
  value(partition: number, tag: string): Buffer {
    return Buffer.from(`${MARKER}${tag}:p${partition}:${this.sends++}:${FILLER}`);
  }
  /** Send `values` to `partition`, acks all; remember each acknowledged offset, or the failure. */
  async send(producer: ReturnType<RlogClient["producer"]>, partition: number, values: readonly Buffer[]): Promise<void> {
    try {
      const md = await producer.send({ topic: TOPIC, messages: values.map((value) => ({ value, partition })) });
      md.forEach((m, i) => {
        assert.equal(m.partition, partition);
        assert.ok(!this.acked[partition]!.has(m.offset), `offset ${m.offset} of partition ${partition} acknowledged twice`);
        this.acked[partition]!.set(m.offset, values[i]!);
      });
    } catch (err) {
      this.failures.push(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    }
  }
}

/** Flip 1..FLIPS_MAX bytes of `file`: anywhere, or (payloadPages) inside pages holding MARKER. Returns where. */
function flipBytes(file: string, rnd: SeededRandom, payloadPages: boolean): { positions: number[]; targeted: boolean } {
  const bytes = readFileSync(file);
  let pages: number[] = [];
  if (payloadPages) {
    const marker = Buffer.from(MARKER);
    const seen = new Set<number>();
    for (let at = bytes.indexOf(marker); at >= 0; at = bytes.indexOf(marker, at + 1)) seen.add(Math.floor(at / PAGE_BYTES));
    pages = [...seen].sort((a, b) => a - b);
  }
  const targeted = pages.length > 0;
  const flips = 1 + rnd.int(FLIPS_MAX);
  const positions: number[] = [];
  const fd = openSync(file, "r+");
  try {
    const size = fstatSync(fd).size;
    for (let k = 0; k < flips; k++) {
      const at = targeted ? Math.min(size - 1, rnd.pick(pages) * PAGE_BYTES + rnd.int(PAGE_BYTES)) : rnd.int(size);
      const b = Buffer.alloc(1);
      readSync(fd, b, 0, 1, at);
      b[0]! ^= 1 + rnd.int(255);
      writeSync(fd, b, 0, 1, at);
      positions.push(at);
    }
  } finally {
    closeSync(fd);
  }
  return { positions, targeted };
}

/** Every partition's clusterStatus row from its leader (of the highest term heard), by "topic/partition". */
async function leaderRows(cluster: TestCluster): Promise<Map<string, PartitionStatus>> {
  const rows = new Map<string, PartitionStatus>();
  for (const id of BROKERS) {
    const c = new RlogClient({ brokers: [cluster.url(id)], clientId: `corrupt-status-${id}`, requestTimeoutMs: 3_000, retry: { retriesMax: 0 } });
    try {
      const s = await c.admin().clusterStatus();
      for (const p of s.partitions) {
        const key = `${p.topic}/${p.partition}`;
        // A deposed leader that has not heard of the new term yet still answers as leader: the highest term wins.
        if (p.replicas.length > 0 && p.leader === id && (rows.get(key)?.term ?? -1) < p.term) rows.set(key, p);
      }
    } catch {
      // not answering yet: its partitions count as not caught up
    } finally {
      await c.close();
    }
  }
  return rows;
}

/** Why the cluster is not yet whole after broker `victim`'s restart, or undefined when it is. */
async function notRepaired(cluster: TestCluster, victim: number, since: number, partitions: number): Promise<string | undefined> {
  const lines = logFrom(cluster, victim, since);
  if (lines.some((l) => l.msg.startsWith("data directory is damaged beyond its entries"))) {
    if (!lines.some((l) => l.msg === "caught up after a lost disk in every group: this broker votes again")) return "still recovering after the set-aside";
  }
  // A group that cut its log must hold what it held before again (its promise dropped).
  const open = new Map<string, boolean>();
  for (const l of lines) {
    if (l.group === undefined) continue;
    if (l.msg.startsWith("log repaired after a damaged entry") || l.msg.startsWith("damaged entry found")) open.set(l.group, true);
    if (l.msg === "damaged log repaired: it holds what it held before again") open.set(l.group, false);
  }
  const repairing = [...open].filter(([, v]) => v).map(([g]) => g);
  if (repairing.length > 0) return `groups still repairing: ${repairing.join(", ")}`;
  const rows = await leaderRows(cluster);
  if (rows.size < partitions) return `${rows.size} of ${partitions} partitions have a leader that answers`;
  for (const [name, p] of rows) {
    if (p.replicas.length !== 3) return `${name}: ${p.replicas.length} replicas`;
    const behind = p.replicas.filter((r) => r.lagEntries > 0 || !r.reachable || r.recovering === true || r.repairing === true);
    if (behind.length > 0) return `${name}: ${JSON.stringify(behind)}`;
  }
  return undefined;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, stillOk: () => void = () => undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    stillOk();
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Move leadership of every partition of TOPIC to broker `to`; returns the transfer attempts that failed (retried). */
async function leadAll(admin: ReturnType<RlogClient["admin"]>, to: number): Promise<number> {
  let retried = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await admin.transferLeader({ topic: TOPIC, partition: p, toBrokerId: to, timeoutMs: 3_000 });
        if (r.leader === to) break;
      } catch (err) {
        if (attempt >= 20) throw err;
      }
      retried++;
      await sleep(200);
    }
  }
  return retried;
}

/** Read every partition of TOPIC from the beginning through broker `id` (which leads them all) and compare with the ledger. */
async function readBackThrough(cluster: TestCluster, id: number, ledger: Ledger): Promise<void> {
  const logger = new CountingLogger();
  const client = new RlogClient({ brokers: [cluster.url(id)], clientId: `corrupt-reader-${id}`, logger });
  const consumer = client.consumer({ maxWaitMs: 100 });
  const ends = ledger.acked.map((m) => m.size); // offsets are dense: 0 .. size - 1 (asserted below)
  const got: Map<number, Buffer>[] = Array.from({ length: PARTITIONS }, () => new Map());
  const done = (): boolean => got.every((m, p) => m.size >= ends[p]!);
  let threw: unknown;
  const timer = setTimeout(() => void consumer.stop(), CONSUME_WAIT_MS);
  try {
    consumer.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: TOPIC, partition, from: "earliest" as const })));
    if (!done()) {
      for await (const r of consumer.records()) {
        // Copy: records view the fetched frame.
        got[r.partition]!.set(r.offset, Buffer.from(r.value ?? Buffer.alloc(0)));
        if (done()) break;
      }
    }
  } catch (err) {
    threw = err;
  } finally {
    clearTimeout(timer);
    await consumer.stop();
    await client.close();
  }
  assert.equal(threw, undefined, `the consumer through broker ${id} threw: ${String(threw)}`);
  assert.deepEqual(logger.errors, [], `the SDK logged errors reading through broker ${id}`);
  for (let p = 0; p < PARTITIONS; p++) {
    const want = ledger.acked[p]!;
    for (let o = 0; o < want.size; o++) {
      const w = want.get(o);
      assert.ok(w, `partition ${p}: offset ${o} was never acknowledged (offsets not dense)`);
      const g = got[p]!.get(o);
      assert.ok(g, `partition ${p}: acknowledged offset ${o} not read back through broker ${id} (read ${got[p]!.size} of ${want.size})`);
      assert.ok(g.equals(w), `partition ${p}: offset ${o} read back through broker ${id} differs: ${g.subarray(0, 40).toString()} vs ${w.subarray(0, 40).toString()}`);
    }
  }
}

test(`corruption: random byte flips in a stopped broker's data.mdb over ${SEEDS.length} seeds; it repairs itself and every acknowledged record reads back through every broker`, { timeout: 60_000 + SEEDS.length * 60_000 }, async () => {
  const started = Date.now();
  const cluster = await TestCluster.start({ size: 3, extra: { raft: { preferredLeaderCheckTicks: 0 } } });
  const producerLog = new CountingLogger();
  const client = new RlogClient({ brokers: cluster.urls(), clientId: "corrupt-main", logger: producerLog });
  const admin = client.admin();
  const ledger = new Ledger();
  const outcomes = new Map<Outcome, number[]>([["clean", []], ["entries cut", []], ["set aside", []]]);
  let transferRetries = 0;
  let passed = false;
  try {
    await admin.createTopic({ name: TOPIC, partitions: PARTITIONS, replicationFactor: 3 });
    const producer = client.producer({ acks: "all", lingerMs: 2 });
    await Promise.all(
      Array.from({ length: PARTITIONS }, async (_, p) => {
        for (let i = 0; i < INITIAL_RECORDS_PER_PARTITION; i += 10) await ledger.send(producer, p, Array.from({ length: 10 }, () => ledger.value(p, "initial")));
      }),
    );
    assert.deepEqual(ledger.failures, []);
    // All partitions, the internal ones included, whose leaders must see the victim caught up.
    const partitionCount = (await leaderRows(cluster)).size;
    assert.ok(partitionCount >= PARTITIONS, `${partitionCount} partitions`);

    for (const [n, seed] of SEEDS.entries()) {
      const seedStarted = Date.now();
      const rnd = new SeededRandom(seed);
      const victim = BROKERS[(seed - 1 + BROKERS.length * 1000) % BROKERS.length]!;
      await cluster.kill(victim);
      const dataFile = join(cluster.member(victim).dataDir, "data.mdb");
      const { positions, targeted } = flipBytes(dataFile, rnd, seed % 2 === 0);

      // A producer runs from the kill until the victim has repaired itself.
      let producing = true;
      const before = ledger.count();
      // A lane stops at its first failed send (the assertion below reports it): a send that fails at once
      // would otherwise spin on settled promises and starve the event loop (it did, when a broker died).
      const lanes = Array.from({ length: PARTITIONS }, async (_, p) => {
        while (producing && ledger.failures.length === 0) {
          await ledger.send(producer, p, Array.from({ length: 3 }, () => ledger.value(p, `seed${seed}`)));
          await new Promise((r) => setImmediate(r));
        }
      });
      const since = statSync(cluster.member(victim).logFile).size;
      await cluster.restart(victim);
      const alive = (): void => assert.ok(cluster.isRunning(victim), `seed ${seed}: broker ${victim} exited after the restart:\n${cluster.logTail(victim, 60)}`);
      try {
        await waitFor(`seed ${seed}: broker ${victim} to repair itself`, async () => ((await notRepaired(cluster, victim, since, partitionCount)) === undefined ? true : undefined), REPAIR_WAIT_MS, alive);
      } catch (err) {
        const why = await notRepaired(cluster, victim, since, partitionCount);
        throw new Error(`${(err as Error).message} (${why}):\n${cluster.logTail(victim, 40)}`);
      } finally {
        producing = false;
        await Promise.all(lanes);
      }
      const repairedMs = Date.now() - seedStarted;
      assert.deepEqual(ledger.failures, [], `seed ${seed}: the producer saw failed sends`);
      assert.deepEqual(producerLog.errors, [], `seed ${seed}: the producer's SDK logged errors`);
      const producedDuring = ledger.count() - before;

      // What the victim did, from its log.
      const lines = logFrom(cluster, victim, since);
      const has = (prefix: string): boolean => lines.some((l) => l.msg.startsWith(prefix));
      const outcome: Outcome = has("data directory is damaged beyond its entries")
        ? "set aside"
        : has("damaged entries found") || has("damaged log cut") || has("damaged entry found")
          ? "entries cut"
          : "clean";
      if (outcome === "clean") {
        assert.ok(has("start-up check of the data directory: every checksum holds"), `seed ${seed}: broker ${victim} reported no damage and no clean check:\n${cluster.logTail(victim, 40)}`);
      }
      // The start-up check finds all the damage: a read that finds more later means the check missed it
      // (unless the check did not complete, when reads are the only check).
      const foundLater = lines.filter((l) => l.msg.startsWith("damaged entry found")).map((l) => `${String(l.group)}@${String(l["index"])}: ${String(l["err"])}`);
      if (!has("start-up check of the data directory did not complete")) assert.deepEqual(foundLater, [], `seed ${seed}: damage the start-up check of broker ${victim} did not find`);
      if (outcome === "set aside") {
        assert.ok(readdirSync(cluster.member(victim).dataDir).some((n) => n.startsWith("damaged-")), `seed ${seed}: the damaged files of broker ${victim} are kept in damaged-<time>/`);
      }
      const cutLogs = lines.filter((l) => l.msg === "damaged log cut before it opens").map((l) => `${String(l["log"])}@${String(l["from"])}`);
      outcomes.get(outcome)!.push(seed);

      // Every acknowledged record, through every broker in turn.
      const readStarted = Date.now();
      for (const id of BROKERS) {
        transferRetries += await leadAll(admin, id);
        await readBackThrough(cluster, id, ledger);
        // A status answer can be slow on a loaded machine: wait for every partition's row, then check its leader.
        const rows = await waitFor(
          `seed ${seed}: the status of every partition of ${TOPIC}`,
          async () => {
            const r = await leaderRows(cluster);
            return Array.from({ length: PARTITIONS }, (_, p) => r.has(`${TOPIC}/${p}`)).every(Boolean) ? r : undefined;
          },
          15_000,
        );
        for (let p = 0; p < PARTITIONS; p++) assert.equal(rows.get(`${TOPIC}/${p}`)?.leader, id, `seed ${seed}: partition ${p} stayed led by broker ${id} while read`);
      }
      alive();
      console.log(
        `seed ${seed} (${n + 1}/${SEEDS.length}): broker ${victim}, ${positions.length} flip(s) ${targeted ? "in payload pages" : "anywhere"} at [${positions.join(", ")}]: ${outcome}` +
          `${cutLogs.length > 0 ? ` (${cutLogs.join(", ")})` : ""}; repaired in ${repairedMs} ms with ${producedDuring} records produced meanwhile; ` +
          `${ledger.count()} records read back through brokers 1, 2, 3 in ${Date.now() - readStarted} ms`,
      );
    }
    await producer.close();
    passed = true;
  } finally {
    await client.close();
    // A failed run keeps the brokers' logs and data for a look.
    await cluster.stopAll(!passed);
    if (!passed) console.log(`kept ${cluster.dir}`);
  }
  const summary = [...outcomes].map(([k, v]) => `${k} ${v.length}${v.length > 0 ? ` [${v.join(",")}]` : ""}`).join(", ");
  console.log(`corruption over ${SEEDS.length} seeds: ${summary}; ${ledger.count()} records acknowledged, ${ledger.failures.length} failed sends, ${transferRetries} transfer retries; ${Date.now() - started} ms`);
});
