/**
 * GroupRunner: while a log write is stalled, the group's Raft clock stands
 * still, so a disk stall longer than an election timeout does not make a
 * follower campaign; once the write completes, the clock runs again. A
 * write failing with a full disk or an I/O error is tried again with a
 * back-off (never fatal); any other failure is a bug and stops the group.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { GroupRunner, PERSIST_STALL_MS } from "../../broker/group/group-runner.js";
import { MemoryStorage } from "../../broker/raft/memory-storage.js";
import { StorageError, type LogUpdate } from "../../broker/raft/log-storage.js";
import { MessageType, type Message } from "../../broker/raft/messages.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { Role } from "../../broker/raft/ready.js";
import { EntryKind, index, nodeId, offset, term, type Entry, type Index } from "../../broker/raft/types.js";
import { TEST_TIMING } from "../raft/harness.js";
import { LoopbackNet, Ticker, failOnFatal, raftConfig, silentLogger } from "./in-process.js";

/** MemoryStorage whose writes wait for `release()` while `hold` is on. */
class StallingStorage extends MemoryStorage {
  hold = false;
  private waiting: (() => void)[] = [];
  override async persist(update: LogUpdate): Promise<void> {
    if (this.hold) await new Promise<void>((r) => this.waiting.push(r));
    return super.persist(update);
  }
  release(): void {
    this.hold = false;
    for (const r of this.waiting.splice(0)) r();
  }
  get stalled(): number {
    return this.waiting.length;
  }
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

test("a stalled log write stops the raft clock; a follower does not campaign through it, and does after it", async () => {
  const storage = new StallingStorage();
  let nowMs = 0;
  const sent: Message[] = [];
  const runner = new GroupRunner({
    groupId: "g",
    config: { id: nodeId(1), membership: { voters: [nodeId(1), nodeId(2), nodeId(3)] }, priority: [nodeId(1), nodeId(2), nodeId(3)], ...TEST_TIMING },
    storage,
    random: new SeededRandom(1),
    send: (ms) => sent.push(...ms),
    stateMachine: { apply: () => undefined },
    logger: pino({ level: "silent" }),
    monotonicMs: () => nowMs,
    onFatal: (err) => assert.fail(`unexpected fatal storage failure: ${String(err)}`),
  });
  // Broker 2 leads term 1 and sends an entry; this member's write of it stalls.
  storage.hold = true;
  const entry = { index: index(1), term: term(1), kind: EntryKind.Noop, offset: offset(0), count: 0, timestampMs: 0, data: new Uint8Array(0) };
  runner.step({ type: MessageType.Append, from: nodeId(2), to: nodeId(1), term: term(1), prevIndex: index(0), prevTerm: term(0), entries: [entry], commit: index(0) });
  await flush();
  assert.equal(storage.stalled, 1, "the write is in flight");
  // Far more than an election timeout of ticks, 10 ms apart, while the write hangs.
  for (let i = 0; i < 10 * TEST_TIMING.electionTimeoutTicks; i++) {
    nowMs += 10;
    runner.tick();
    await flush();
  }
  assert.ok(nowMs > PERSIST_STALL_MS);
  assert.equal(runner.softState().role, Role.Follower, "no campaign during the stall");
  assert.equal(sent.filter((m) => m.type === MessageType.PreVote).length, 0);

  // The write completes: the follower answers, and without a leader its clock runs out.
  storage.release();
  await flush();
  assert.ok(sent.some((m) => m.type === MessageType.AppendResponse && m.to === 2), "the entry is acknowledged once written");
  for (let i = 0; i < 3 * TEST_TIMING.electionTimeoutTicks; i++) {
    nowMs += 10;
    runner.tick();
    await flush();
  }
  assert.ok(sent.some((m) => m.type === MessageType.PreVote), "with its clock running again and no leader heard, it campaigns");
  await runner.close();
});

test("a log write refused as a bug (not a full disk or an I/O error) stops the group and reports it through onFatal (the runner never ends the process itself)", async () => {
  class FailingStorage extends MemoryStorage {
    override persist(): Promise<void> {
      return Promise.reject(new Error("EIO: the disk is gone"));
    }
  }
  const fatal: string[] = [];
  const runner = new GroupRunner({
    groupId: "g",
    config: { id: nodeId(1), membership: { voters: [nodeId(1)] }, priority: [nodeId(1)], ...TEST_TIMING },
    storage: new FailingStorage(),
    random: new SeededRandom(1),
    send: () => undefined,
    stateMachine: { apply: () => undefined },
    logger: pino({ level: "silent" }),
    onFatal: (err, message) => fatal.push(`${message}: ${(err as Error).message}`),
  });
  const waiting = runner.waitForSoftState((s) => s.role === Role.Leader);
  // A single voter campaigns at once; writing its term fails.
  for (let i = 0; i < 3 * TEST_TIMING.electionTimeoutTicks && fatal.length === 0; i++) {
    runner.tick();
    await flush();
  }
  assert.deepEqual(fatal, ["raft group g: storage failed: EIO: the disk is gone"]);
  assert.equal(await waiting, undefined, "waits on a stopped group end");
  assert.throws(() => runner.propose([{ kind: EntryKind.Noop, count: 0, timestampMs: 0, data: new Uint8Array(0) }]), /closed/);
  await runner.close();
});

test("a damaged entry the leader reads makes it step down and cut its log there; it fetches the rest again, applies nothing twice, and loses nothing", async () => {
  /** MemoryStorage whose reads of `damaged` indexes fail CORRUPT_ENTRY, until a repair cuts them. */
  class DamagedStorage extends MemoryStorage {
    readonly damaged = new Set<number>();
    override entries(lo: Index, hi: Index, bytesMax: number): Entry[] {
      for (const i of this.damaged) if (i >= lo && i < hi) throw new StorageError("CORRUPT_ENTRY", `entry ${i} failed its checksum`, { log: "g", index: i });
      return super.entries(lo, hi, bytesMax);
    }
    override repair(from: Index): Promise<void> {
      for (const i of [...this.damaged]) if (i >= from) this.damaged.delete(i);
      return super.repair(from);
    }
  }
  const net = new LoopbackNet();
  const ids = [1, 2, 3];
  const disks = ids.map(() => new DamagedStorage());
  const applied = ids.map(() => [] as number[]);
  const runners = ids.map(
    (id, k) =>
      new GroupRunner({
        groupId: "g",
        // No recent-entries cache: the leader reads what it sends from storage.
        config: raftConfig(id, ids, { recentEntriesBytesMax: 0 }),
        storage: disks[k]!,
        random: new SeededRandom(id),
        send: net.send,
        stateMachine: { apply: (es) => applied[k]!.push(...es.map((e) => e.index)) },
        logger: silentLogger,
        onFatal: failOnFatal,
      }),
  );
  ids.forEach((id, k) => net.join(nodeId(id), (m) => runners[k]!.step(m)));
  const clock = new Ticker(() => runners.forEach((r) => r.tick()));
  await clock.until(() => runners[0]!.isLeader(), "member 1 leads");
  // Member 3 is away while 20 entries commit on 1 and 2.
  net.isolate(nodeId(3));
  for (let k = 0; k < 20; k++) {
    await clock.settle(runners[0]!.propose([{ kind: EntryKind.Records, count: 1, timestampMs: k, data: new Uint8Array([k]) }]).done);
  }
  const last = disks[0]!.lastIndex();
  // Entry 5 rots on the leader's disk; member 3 comes back and needs it.
  disks[0]!.damaged.add(5);
  net.heal(nodeId(3));
  await clock.until(() => runners[0]!.damagedEntryCount() === 1, "the leader finds the damaged entry");
  assert.ok(!runners[0]!.isLeader(), "it stepped down");
  assert.equal(disks[0]!.hardState().promise?.index, last, "the repair recorded what the log held");
  await clock.until(() => runners.some((r) => r.isLeader()) && !runners[0]!.repairingLog(), "a new leader, and member 1 holds its log again");
  await clock.until(() => disks.every((d) => d.lastIndex() >= last && d.hardState().commit >= last), "every log holds everything committed");
  for (let i = 1; i <= last; i++) {
    const want = disks[1]!.entries(index(i), index(i + 1), Infinity)[0]!;
    for (const d of [disks[0]!, disks[2]!]) assert.deepEqual(d.entries(index(i), index(i + 1), Infinity)[0], want, `entry ${i}`);
  }
  for (const a of applied) for (let k = 1; k < a.length; k++) assert.ok(a[k]! > a[k - 1]!, `applied in order, none twice: ${a.join(",")}`);
  assert.ok(!runners[1]!.isLeader() || !runners[2]!.isLeader());
  await Promise.all(runners.map((r) => r.close()));
});

test("with every reachable copy of an entry damaged the group takes no writes; it resumes when an intact copy returns", async () => {
  const net = new LoopbackNet();
  const ids = [1, 2, 3];
  const disks = ids.map(() => new MemoryStorage());
  const runners = ids.map(
    (id, k) =>
      new GroupRunner({
        groupId: "g",
        config: raftConfig(id, ids),
        storage: disks[k]!,
        random: new SeededRandom(id),
        send: net.send,
        stateMachine: { apply: () => undefined },
        logger: silentLogger,
        onFatal: failOnFatal,
      }),
  );
  ids.forEach((id, k) => net.join(nodeId(id), (m) => runners[k]!.step(m)));
  const clock = new Ticker(() => runners.forEach((r) => r.tick()));
  await clock.until(() => runners[0]!.isLeader(), "member 1 leads");
  for (let k = 0; k < 10; k++) await clock.settle(runners[0]!.propose([{ kind: EntryKind.Records, count: 1, timestampMs: k, data: new Uint8Array([k]) }]).done);
  await clock.until(() => runners.every((r) => r.applied() === disks[0]!.lastIndex()), "all hold every entry");
  // Entry 4 is found damaged on members 1 and 2 while member 3, the only intact copy, is away.
  net.isolate(nodeId(3));
  const damage = (k: number): void => runners[k]!.reportDamage(new StorageError("CORRUPT_ENTRY", "entry 4 failed its checksum", { log: "g", index: 4 }));
  damage(0);
  damage(1);
  await clock.until(() => runners[0]!.repairingLog() && runners[1]!.repairingLog() && disks[0]!.lastIndex() === 3 && disks[1]!.lastIndex() === 3, "both cut at 4");
  // No leader, so no writes, for a hundred election timeouts: neither may campaign, and neither votes for the other.
  for (let k = 0; k < 100 * TEST_TIMING.electionTimeoutTicks; k++) await clock.tick();
  assert.ok(!runners.some((r) => r.isLeader()), "no leader without an intact copy");
  assert.throws(() => runners[0]!.propose([{ kind: EntryKind.Noop, count: 0, timestampMs: 0, data: new Uint8Array(0) }]), /not|repair/i);
  // Member 3 returns: it wins with their votes and sends them the entries again.
  net.heal(nodeId(3));
  await clock.until(() => runners[2]!.isLeader(), "the intact member leads");
  await clock.until(() => !runners[0]!.repairingLog() && !runners[1]!.repairingLog(), "both repaired");
  await clock.settle(runners[2]!.propose([{ kind: EntryKind.Records, count: 1, timestampMs: 99, data: new Uint8Array([99]) }]).done);
  const last = disks[2]!.lastIndex();
  await clock.until(() => disks.every((d) => d.lastIndex() === last), "every log holds everything");
  for (let i = 1; i <= last; i++) {
    const want = disks[2]!.entries(index(i), index(i + 1), Infinity)[0]!;
    for (const d of disks) assert.deepEqual(d.entries(index(i), index(i + 1), Infinity)[0], want, `entry ${i}`);
  }
  await Promise.all(runners.map((r) => r.close()));
});

for (const code of ["NOT_ENOUGH_SPACE", "IO_ERROR"] as const) {
  test(`a log write failing with ${code} is tried again with a doubling, capped back-off until it succeeds; warn once, info once, never fatal`, async () => {
    class FullStorage extends MemoryStorage {
      failuresLeft = 6;
      override persist(update: LogUpdate): Promise<void> {
        if (this.failuresLeft > 0) {
          this.failuresLeft--;
          return Promise.reject(new StorageError(code, "the disk is full"));
        }
        return super.persist(update);
      }
    }
    const storage = new FullStorage();
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: "info" }, { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) });
    const sleeps: number[] = [];
    const failed: string[] = [];
    const runner = new GroupRunner({
      groupId: "g",
      config: { id: nodeId(1), membership: { voters: [nodeId(1)] }, priority: [nodeId(1)], ...TEST_TIMING },
      storage,
      random: new SeededRandom(1),
      send: () => undefined,
      stateMachine: { apply: () => undefined },
      logger,
      onFatal: (err) => assert.fail(`a full disk must not be fatal: ${String(err)}`),
      writeRetry: {
        onWriteFailed: (err) => failed.push(err.code),
        backoffMs: 10,
        backoffMsMax: 50,
        sleepMs: async (ms) => {
          sleeps.push(ms);
          await flush();
        },
      },
    });
    const leading = runner.waitForSoftState((s) => s.role === Role.Leader);
    for (let i = 0; i < 3 * TEST_TIMING.electionTimeoutTicks && storage.failuresLeft > 0; i++) {
      runner.tick();
      await flush();
    }
    assert.ok((await leading) !== undefined, "the single voter leads once its term is written");
    assert.deepEqual(sleeps, [10, 20, 40, 50, 50, 50]);
    assert.equal(failed.length, 6);
    assert.ok(failed.every((c) => c === code));
    assert.equal(runner.writeFailing(), false);
    const warns = lines.filter((l) => l.level === 40 && /log write failed/.test(l.msg));
    const infos = lines.filter((l) => l.level === 30 && /log write succeeded again/.test(l.msg));
    assert.equal(warns.length, 1, "one warning per run of failures, not one per try");
    assert.equal(infos.length, 1);
    const p = runner.propose([{ kind: EntryKind.Noop, count: 0, timestampMs: 0, data: new Uint8Array(0) }]);
    await p.done;
    await runner.close();
  });
}

test("a runner closed while its write keeps failing stops retrying and closes", async () => {
  class FullStorage extends MemoryStorage {
    override persist(): Promise<void> {
      return Promise.reject(new StorageError("NOT_ENOUGH_SPACE", "the disk is full"));
    }
  }
  let tries = 0;
  const runner = new GroupRunner({
    groupId: "g",
    config: { id: nodeId(1), membership: { voters: [nodeId(1)] }, priority: [nodeId(1)], ...TEST_TIMING },
    storage: new FullStorage(),
    random: new SeededRandom(1),
    send: () => undefined,
    stateMachine: { apply: () => undefined },
    logger: pino({ level: "silent" }),
    onFatal: (err) => assert.fail(`a full disk must not be fatal: ${String(err)}`),
    writeRetry: { onWriteFailed: () => void tries++, backoffMs: 1, backoffMsMax: 5 },
  });
  for (let i = 0; i < 3 * TEST_TIMING.electionTimeoutTicks && tries < 3; i++) {
    runner.tick();
    await new Promise((r) => setTimeout(r, 2));
  }
  assert.ok(tries >= 3);
  assert.equal(runner.writeFailing(), true);
  await runner.close();
  const after = tries;
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(tries <= after + 1, "no retries after close");
});

test("damage found again after a repair stops the group and reports the store damaged, instead of cutting and refetching for ever", async () => {
  const storage = new MemoryStorage();
  const damaged: string[] = [];
  const runner = new GroupRunner({
    groupId: "g",
    config: raftConfig(1, [1, 2, 3]),
    storage,
    random: new SeededRandom(1),
    send: () => undefined,
    stateMachine: { apply: () => undefined },
    logger: silentLogger,
    onFatal: failOnFatal,
    onStoreDamaged: (err) => damaged.push(err.message),
  });
  const entry = (i: number) => ({ index: index(i), term: term(1), kind: EntryKind.Noop, offset: offset(0), count: 0, timestampMs: 0, data: new Uint8Array(0) });
  runner.step({ type: MessageType.Append, from: nodeId(2), to: nodeId(1), term: term(1), prevIndex: index(0), prevTerm: term(0), entries: [entry(1), entry(2), entry(3)], commit: index(0) });
  await flush();
  assert.equal(storage.lastIndex(), 3);
  runner.reportDamage(new StorageError("CORRUPT_ENTRY", "entry 2 failed its checksum", { log: "g", index: 2 }));
  for (let k = 0; k < 10 && runner.repairingLog() && storage.lastIndex() !== 1; k++) await flush();
  assert.equal(storage.lastIndex(), 1, "the first is cut");
  assert.deepEqual(damaged, []);
  runner.reportDamage(new StorageError("CORRUPT_ENTRY", "entry 2: missing from LMDB although the catalog holds it", { log: "g", index: 2 }));
  assert.equal(damaged.length, 1, "the second is reported as store damage");
  assert.equal(runner.damagedEntryCount(), 2);
  assert.throws(() => runner.propose([{ kind: EntryKind.Noop, count: 0, timestampMs: 0, data: new Uint8Array(0) }]), /closed/);
  assert.equal(runner.isLeader(), false);
  await runner.close();
});

test("quiescence: ticking only the awake runners, an idle group goes quiet, a proposal wakes it, a leader reported down is replaced", async () => {
  const net = new LoopbackNet();
  const ids = [1, 2, 3];
  const awake = new Set<number>();
  let sent = 0;
  const runners = ids.map(
    (id) =>
      new GroupRunner({
        groupId: "g",
        config: raftConfig(id, ids, { quiesce: true }),
        storage: new MemoryStorage(),
        random: new SeededRandom(id),
        send: (ms) => {
          sent += ms.length;
          net.send(ms);
        },
        stateMachine: { apply: () => undefined },
        logger: silentLogger,
        onFatal: failOnFatal,
      }),
  );
  // As the broker does: the tick visits only the runners whose group is awake.
  runners.forEach((r, k) => r.watchQuiescence((q) => (q ? awake.delete(k) : awake.add(k))));
  ids.forEach((id, k) => net.join(nodeId(id), (m) => runners[k]!.step(m)));
  const clock = new Ticker(() => [...awake].forEach((k) => runners[k]!.tick()));
  await clock.until(() => runners[0]!.isLeader(), "member 1 leads");
  await clock.until(() => awake.size === 0, "every member quiesced");
  const quietSent = sent;
  for (let i = 0; i < 100; i++) await clock.tick();
  assert.equal(sent, quietSent, "a quiet group sends nothing");

  const done = runners[0]!.propose([{ kind: EntryKind.Records, count: 1, timestampMs: 1, data: new Uint8Array([1]) }]).done;
  assert.ok(awake.has(0), "a proposal wakes the leader");
  await clock.settle(done);
  await clock.until(() => awake.size === 0, "quiet again after the commit");

  // Member 1's broker dies; the others are told, wake and elect without waiting out a timeout.
  net.isolate(nodeId(1));
  for (const k of [1, 2]) runners[k]!.peerDown(nodeId(1));
  assert.ok(awake.has(1) && awake.has(2), "the followers of a leader reported down wake");
  const before = clock.ticks;
  await clock.until(() => runners[1]!.isLeader() || runners[2]!.isLeader(), "a new leader");
  assert.ok(clock.ticks - before < TEST_TIMING.electionTimeoutTicks, `elected within an election timeout (${clock.ticks - before} ticks)`);
  await Promise.all(runners.map((r) => r.close()));
});
