/**
 * The size of the controller log with and without snapshots (issue 14):
 *
 *   npx tsc -p tsconfig.json && node dist/bench/controller-log.js [--commands N] [--snapshot-entries M]
 *
 * One controller voter over a real LMDB log (fsync off: the size, not the
 * speed, is measured) commits N cheap metadata commands (producer-id blocks
 * of one id each, so one entry per allocation: what every producer start cost
 * before blocks), once with snapshots
 * every M applied entries and once without (M = 0), and prints for each: the
 * entries the log still holds, their bytes (segment catalog), the size of
 * data.mdb, and how long a restart on that log takes to rebuild the metadata.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pino from "pino";
import { Controller } from "../broker/cluster/controller.js";
import { CONTROLLER_LOG_DEFAULTS } from "../broker/protocol/defaults.js";
import { DEFAULT_RAFT_TIMING } from "../broker/raft/config.js";
import { SeededRandom } from "../broker/raft/random.js";
import { nodeId } from "../broker/raft/types.js";
import { LogStore } from "../broker/storage/log-store.js";
import { logFootprint } from "./log-footprint.js";

interface Args {
  commands: number;
  snapshotEntries: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { commands: 20_000, snapshotEntries: 10_000 };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const v = Number(argv[k + 1]);
    if (a === "--commands" && Number.isSafeInteger(v) && v > 0) args.commands = v;
    else if (a === "--snapshot-entries" && Number.isSafeInteger(v) && v >= 0) args.snapshotEntries = v;
    else throw new Error(`bad argument ${String(a)}; usage: controller-log.js [--commands N] [--snapshot-entries M]`);
    k++;
  }
  return args;
}

const logger = pino({ level: "silent" });
const ID = nodeId(1);

function controllerOn(store: LogStore, log: Awaited<ReturnType<LogStore["openLog"]>>, snapshotEntries: number): Controller {
  return new Controller({
    raft: { id: ID, membership: { voters: [ID] }, priority: [ID], ...DEFAULT_RAFT_TIMING },
    log,
    random: new SeededRandom(1),
    send: () => undefined,
    logger,
    brokers: [ID],
    liveBrokers: () => [ID],
    leaderHint: (id) => ({ brokerId: id, url: "ws://127.0.0.1:9092" }),
    clock: () => Date.now(),
    onChange: () => undefined,
    onFatal: (err, message) => {
      throw new Error(`${message}: ${String(err)}`);
    },
    ...(snapshotEntries > 0 ? { snapshotEntries } : {}),
    producerIdBlockSize: 1,
  });
}

async function run(commands: number, snapshotEntries: number): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), "rlog-controller-log-"));
  try {
    let store = await LogStore.open({ path: dir, fsync: false });
    const settings = { segmentBytes: CONTROLLER_LOG_DEFAULTS.segmentBytes, segmentMs: CONTROLLER_LOG_DEFAULTS.segmentMs };
    let log = await store.openLog("__controller", settings);
    const c = controllerOn(store, log, snapshotEntries);
    while (!c.isLeader()) {
      c.runner.tick();
      await new Promise((r) => setImmediate(r));
    }
    const startedMs = performance.now();
    for (let i = 0; i < commands; i++) await c.allocateProducerId();
    const commitMs = performance.now() - startedMs;
    await c.runner.close();
    const footprint = logFootprint(log);
    await store.close();
    const mdbBytes = (await stat(join(dir, "data.mdb"))).size;
    // Restart: open the store and the log, rebuild the metadata (restore the snapshot, replay the rest).
    const reopenedMs = performance.now();
    store = await LogStore.open({ path: dir, fsync: false });
    log = await store.openLog("__controller", settings);
    const again = controllerOn(store, log, snapshotEntries);
    const restartMs = performance.now() - reopenedMs;
    const applied = again.metadata.appliedIndex;
    await again.runner.close();
    await store.close();
    return { commands, snapshotEntries, ...footprint, dataMdbBytes: mdbBytes, restartMs: Math.round(restartMs), appliedAfterRestart: applied, commitMs: Math.round(commitMs) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const args = parseArgs(process.argv.slice(2));
for (const m of [0, args.snapshotEntries]) console.log(JSON.stringify(await run(args.commands, m)));
