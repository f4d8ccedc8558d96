/**
 * The process the crash test kills: `node crash-child.js <dir> <seed>`.
 * Writes to several logs of one LogStore concurrently, forever, printing each
 * operation before it is issued and once it resolved (see crash-model.ts),
 * until the parent SIGKILLs it.
 */
import { LogStore } from "../../broker/storage/log-store.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { index, offset, term } from "../../broker/raft/types.js";
import { CRASH_LOGS, CRASH_SETTINGS, LogModel, SCRATCH_LOG, toHardState, type Op } from "./crash-model.js";
import { makeEntries } from "./contract.js";

const [dir, seedArg] = process.argv.slice(2);
if (!dir || !seedArg) throw new Error("usage: crash-child <dir> <seed>");
const seed = Number(seedArg);

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function runLog(store: LogStore, logNo: number): Promise<never> {
  const name = CRASH_LOGS[logNo]!;
  const log = await store.openLog(name, CRASH_SETTINGS);
  const rnd = new SeededRandom(seed * 100 + logNo);
  const model = new LogModel(seed, logNo);
  let termNow = 1;
  for (;;) {
    const r = rnd.int(100);
    const last = model.last;
    const commit = model.hs.commit;
    let op: Op;
    if (r < 70 || last === 0) {
      const n = 1 + rnd.int(rnd.chance(0.2) ? 60 : 8);
      const newCommit = Math.min(last + n, commit + rnd.int(n + 3));
      op = { op: "append", from: last + 1, n, term: termNow, ...(rnd.chance(0.7) ? { hs: { term: termNow, vote: logNo, commit: newCommit } } : {}) };
    } else if (r < 82 && last > commit) {
      // A new leader replaces the uncommitted suffix (maybe with fewer entries).
      termNow++;
      const from = commit + 1 + rnd.int(last - commit);
      op = { op: "append", from, n: 1 + rnd.int(10), term: termNow, hs: { term: termNow, vote: 0, commit } };
    } else if (r < 88) {
      op = { op: "hardState", hs: { term: termNow, vote: rnd.int(3), commit: Math.min(last, commit + rnd.int(20)) } };
    } else if (r < 94) {
      op = { op: "retention", retentionBytes: 100 * 1024 };
    } else if (commit >= log.firstIndex()) {
      op = { op: "compact", index: log.firstIndex() + rnd.int(commit - log.firstIndex() + 1) };
    } else {
      continue;
    }
    say(`begin ${name} ${JSON.stringify(op)}`);
    switch (op.op) {
      case "append":
        await log.persist({ entries: model.entriesOf(op), ...(op.hs ? { hardState: toHardState(op.hs) } : {}) });
        break;
      case "hardState":
        await log.persist({ hardState: toHardState(op.hs) });
        break;
      case "retention":
        await log.applyRetention({ retentionBytes: op.retentionBytes, retentionMs: -1 }, Date.now());
        break;
      case "compact":
        await log.compact({ index: index(op.index), term: term(model.terms[op.index]!), offset: offset(model.ends[op.index]!) });
        break;
    }
    model.apply(op);
    say(`ack ${name} ${log.firstIndex()}`);
  }
}

/** Create, fill and delete a scratch log over and over (a kill may cut a deleteLog short). */
async function runScratch(store: LogStore): Promise<never> {
  for (;;) {
    const log = await store.openLog(SCRATCH_LOG, CRASH_SETTINGS);
    for (let k = 0; k < 4; k++) await log.persist({ entries: makeEntries(log.lastIndex() + 1, log.nextOffset(), 50, { bytes: 1500 }) });
    await store.deleteLog(SCRATCH_LOG);
  }
}

const store = await LogStore.open({ path: dir, reclaimChunkKeys: 16 });
say("ready");
await Promise.all([...CRASH_LOGS.map((_, k) => runLog(store, k)), runScratch(store)]);
