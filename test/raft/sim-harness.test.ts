import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { MessageType, type Message } from "../../broker/raft/messages.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { Role } from "../../broker/raft/ready.js";
import { EntryKind, index, nodeId, offset, term, type NodeId } from "../../broker/raft/types.js";
import { NO_FAULTS } from "./sim/faults.js";
import { CrashPoint } from "./sim/member.js";
import { SimNetwork, copyMessage, type NetworkFaults } from "./sim/network.js";
import { Simulation, runOptions, runSeed, type SimOptions } from "./sim/simulation.js";
import { percentile } from "./sim/stats.js";

// ---------------------------------------------------------------- network model

const IDS = [1, 2, 3].map(nodeId);
const hb = (from: number, to: number, t = 1): Message => ({
  type: MessageType.Heartbeat,
  from: nodeId(from),
  to: nodeId(to),
  term: term(t),
  commit: index(0),
});
const all = () => "deliver" as const;
const faults = (f: Partial<NetworkFaults>): NetworkFaults => ({
  dropRate: 0,
  duplicateRate: 0,
  delayRate: 0,
  delayStepsMax: 0,
  reorderRate: 0,
  ...f,
});

test("network: a perfect network delivers everything one step later, in send order", () => {
  const net = new SimNetwork(new SeededRandom(1), IDS);
  for (let t = 1; t <= 5; t++) net.send(hb(1, 2, t), 0);
  assert.deepEqual(net.takeDue(0, all), []);
  assert.deepEqual(
    net.takeDue(1, all).map((m) => m.term),
    [1, 2, 3, 4, 5],
  );
  assert.equal(net.inFlightCount(), 0);
});

test("network: drop, duplicate and delay", () => {
  const lossy = new SimNetwork(new SeededRandom(1), IDS);
  lossy.faults = faults({ dropRate: 1 });
  lossy.send(hb(1, 2), 0);
  assert.deepEqual(lossy.takeDue(10, all), []);
  assert.equal(lossy.counters.dropped, 1);

  const dup = new SimNetwork(new SeededRandom(1), IDS);
  dup.faults = faults({ duplicateRate: 1 });
  dup.send(hb(1, 2), 0);
  const two = dup.takeDue(1, all);
  assert.equal(two.length, 2);
  assert.notEqual(two[0], two[1], "duplicates are independent copies");
  assert.deepEqual(two[0], two[1]);

  const slow = new SimNetwork(new SeededRandom(7), IDS);
  slow.faults = faults({ delayRate: 1, delayStepsMax: 5 });
  for (let k = 0; k < 50; k++) slow.send(hb(1, 2, k), 0);
  assert.deepEqual(slow.takeDue(1, all), [], "every message got an extra delay");
  let got = 0;
  for (let s = 2; s <= 6; s++) got += slow.takeDue(s, all).length;
  assert.equal(got, 50, "all delivered within 1 + delayStepsMax steps");
});

test("network: reordering shuffles one step's deliveries", () => {
  const net = new SimNetwork(new SeededRandom(3), IDS);
  net.faults = faults({ reorderRate: 1 });
  for (let t = 1; t <= 20; t++) net.send(hb(1, 2, t), 0);
  const order = net.takeDue(1, all).map((m) => m.term as number);
  assert.equal(order.length, 20);
  assert.notDeepEqual(order, [...order].sort((a, b) => a - b));
});

test("network: isolation, splits, one-way cuts and heal", () => {
  const net = new SimNetwork(new SeededRandom(1), IDS);
  const [a, b, c] = IDS as [NodeId, NodeId, NodeId];
  net.cutOneWay(a, b); // a cannot reach b, b still reaches a
  assert.equal(net.linkUp(a, b), false);
  assert.equal(net.linkUp(b, a), true);
  net.send(hb(1, 2), 0);
  net.send(hb(2, 1), 0);
  assert.deepEqual(
    net.takeDue(1, all).map((m) => `${m.from}->${m.to}`),
    ["2->1"],
  );
  net.heal();
  assert.equal(net.partitioned(), false);
  net.isolate(c);
  assert.equal(net.linkUp(a, c) || net.linkUp(c, b), false);
  assert.equal(net.linkUp(a, b), true);
  net.heal();
  net.split([a]);
  assert.equal(net.describeCuts(), "1->2 1->3 2->1 3->1");
  net.heal();
  // A message in flight when its link is cut is lost.
  net.send(hb(1, 3), 5);
  net.cut(a, c);
  assert.deepEqual(net.takeDue(6, all), []);
});

test("network: messages for a paused member wait, those for a crashed one are lost", () => {
  const net = new SimNetwork(new SeededRandom(1), IDS);
  net.send(hb(1, 2), 0);
  net.send(hb(1, 3), 0);
  const paused = (to: NodeId) => (to === 2 ? ("hold" as const) : ("drop" as const));
  assert.deepEqual(net.takeDue(1, paused), []);
  assert.equal(net.inFlightCount(), 1);
  assert.equal(net.takeDue(9, all)[0]?.to, 2);
});

test("network: the in-flight queue is bounded", () => {
  const net = new SimNetwork(new SeededRandom(1), IDS, 10);
  for (let k = 0; k < 25; k++) net.send(hb(1, 2), 0);
  assert.equal(net.inFlightCount(), 10);
  assert.equal(net.counters.overflowed, 15);
});

test("network: delivered messages are deep, frozen copies", () => {
  const data = new Uint8Array([1, 2, 3]);
  const m: Message = {
    type: MessageType.Append,
    from: nodeId(1),
    to: nodeId(2),
    term: term(1),
    prevIndex: index(0),
    prevTerm: term(0),
    commit: index(0),
    entries: [{ index: index(1), term: term(1), kind: EntryKind.Records, offset: offset(0), count: 1, timestampMs: 0, data }],
  };
  const c = copyMessage(m);
  assert.deepEqual(c, m);
  assert.ok(c.type === MessageType.Append);
  assert.notEqual(c.entries[0]!.data, data);
  data[0] = 9;
  assert.equal(c.entries[0]!.data[0], 1, "the sender changing its bytes does not change the copy");
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.entries) && Object.isFrozen(c.entries[0]));
});

test("network: one seed gives one delivery schedule", () => {
  const schedule = (seed: number) => {
    const net = new SimNetwork(new SeededRandom(seed), IDS);
    net.faults = faults({ dropRate: 0.2, duplicateRate: 0.2, delayRate: 0.5, delayStepsMax: 4, reorderRate: 0.5 });
    const out: string[] = [];
    for (let s = 0; s < 30; s++) {
      net.send(hb(1 + (s % 3), 1 + ((s + 1) % 3), s), s);
      for (const m of net.takeDue(s, all)) out.push(`${s}:${m.from}->${m.to}:${m.term}`);
    }
    return out.join(" ");
  };
  assert.equal(schedule(11), schedule(11));
  assert.notEqual(schedule(11), schedule(12));
});

// ---------------------------------------------------------------- disk and crash model

function quiet(seed: number, members: 3 | 5 = 3, extra: Partial<SimOptions> = {}): Simulation {
  return new Simulation({
    seed,
    members,
    faultSteps: 0,
    profile: NO_FAULTS,
    priority: members === 3 ? [1, 2, 3] : [1, 2, 3, 4, 5],
    tuning: { preferredLeaderCheckTicks: 0 },
    ...extra,
  });
}

function electedLeader(sim: Simulation) {
  assert.ok(sim.runUntil(() => sim.stableLeader() !== undefined, 200), `no leader: ${sim.describeRoles()}`);
  return sim.stableLeader()!;
}

/** Every message handed to the simulated network from now on. */
function recordSent(sim: Simulation): Message[] {
  const sent: Message[] = [];
  const send = sim.network.send.bind(sim.network);
  sim.network.send = (m, now) => {
    sent.push(m);
    send(m, now);
  };
  return sent;
}

test("disk: a crash before the write is synced loses it; only the leader's early appends left", () => {
  const sim = quiet(5);
  const l = electedLeader(sim);
  sim.steps(5);
  const lastBefore = l.storage.lastIndex();
  const sent = recordSent(sim);
  l.crashInNextReady = CrashPoint.WriteLost;
  assert.equal(sim.propose(2, l).length, 2);
  while (l.state === "up") l.drain();
  assert.equal(l.storage.lastIndex(), lastBefore, "the unsynced entries are gone");
  assert.ok(sent.some((m) => m.type === MessageType.Append && m.entries.length === 2), "the leader's appends left before its write");
  assert.ok(sent.every((m) => m.from === l.id && m.type === MessageType.Append), `only early appends left: ${sent.map((m) => m.type).join(",")}`);
  sim.restart(l.id);
  sim.healAndConverge();
  assert.equal(sim.violation, undefined, sim.violation?.message);
});

test("disk: a crash after the sync keeps the write, without sending its messages", () => {
  const sim = quiet(6);
  const l = electedLeader(sim);
  sim.steps(5);
  const lastBefore = l.storage.lastIndex();
  const sent = recordSent(sim);
  l.crashInNextReady = CrashPoint.WriteDurable;
  sim.propose(2, l);
  while (l.state === "up") l.drain();
  assert.equal(l.storage.lastIndex(), lastBefore + 2);
  assert.ok(sent.every((m) => m.type === MessageType.Append), "only the early appends left");
  sim.restart(l.id);
  sim.healAndConverge();
  assert.equal(sim.violation, undefined, sim.violation?.message);
});

test("disk: a restarted member rebuilds its state machine from the committed entries", () => {
  const sim = quiet(7);
  sim.workload = { proposeRate: 1, transferRate: 0 };
  const l = electedLeader(sim);
  sim.steps(20);
  const f = sim.members.find((m) => m !== l)!;
  const applied = f.appliedIndex;
  assert.ok(applied > 5);
  sim.crash(f.id);
  sim.restart(f.id);
  assert.equal(f.incarnation, 2);
  assert.ok(f.appliedIndex >= applied, "committed entries were handed out again at once");
  sim.workload = undefined;
  assert.ok(sim.runUntil(() => sim.converged(), 100));
  sim.finalCheck();
  assert.equal(sim.violation, undefined, sim.violation?.message);
});

test("pause: a paused member neither ticks nor receives, then resumes with stale state", () => {
  const sim = quiet(8);
  sim.workload = { proposeRate: 1, transferRate: 0 };
  const l = electedLeader(sim);
  const f = sim.members.find((m) => m !== l)!;
  sim.pause(f.id, 30);
  const statusBefore = f.raft()!.status();
  sim.steps(29);
  assert.equal(f.state, "paused");
  assert.deepEqual(f.raft()!.status(), statusBefore, "nothing moved while paused");
  sim.steps(2);
  assert.equal(f.state, "up");
  sim.workload = undefined;
  assert.ok(sim.runUntil(() => sim.converged(), 100));
  assert.equal(f.raft()!.status().commit, l.raft()!.status().commit);
});

// ---------------------------------------------------------------- whole runs

test("one seed replays a whole run exactly", () => {
  const trace = (seed: number) => {
    const lines: string[] = [];
    const r = new Simulation({ ...runOptions(seed, 5, 150), verbose: (l) => lines.push(l) }).run();
    return { lines, stats: r.stats, ok: r.ok };
  };
  const a = trace(42);
  const b = trace(42);
  assert.ok(a.lines.length > 500);
  assert.deepEqual(a, b);
  assert.notDeepEqual(trace(43).lines, a.lines);
});

test("the simulator catches planted bugs in the runner", () => {
  // Each mutation breaks one durability or apply rule; some seed of a few must catch it.
  const mutations: { name: string; filter: NonNullable<SimOptions["readyFilter"]>; kinds: string[] }[] = [
    {
      name: "vote not persisted",
      filter: (_m, rd) => (rd.hardState ? { ...rd, hardState: { ...rd.hardState, vote: nodeId(0) } } : rd),
      kinds: ["NOT_DURABLE", "DOUBLE_VOTE"],
    },
    {
      name: "acks before entries are durable",
      filter: (m, rd) => (m.role !== Role.Leader && rd.entries.length > 0 ? { ...rd, entries: [] } : rd),
      kinds: ["NOT_DURABLE", "CORE_ERROR", "COMMIT_BEYOND_LOG"],
    },
    {
      name: "a committed entry applied twice",
      filter: (_m, rd) => (rd.committed.length > 1 ? { ...rd, committed: [...rd.committed, rd.committed[0]!] } : rd),
      kinds: ["APPLIED_MISMATCH"],
    },
    {
      name: "every message sent before the write is durable",
      filter: (_m, rd) => ({ ...rd, earlyMessages: [...rd.earlyMessages, ...rd.messages], messages: [] }),
      kinds: ["NOT_DURABLE"],
    },
    {
      name: "new entries not written",
      filter: (_m, rd) => (rd.entries.length > 0 && !rd.snapshot && !rd.hardState ? { ...rd, mustSync: false } : rd),
      kinds: ["NOT_DURABLE", "CORE_ERROR", "COMMIT_BEYOND_LOG", "LOG_MISMATCH", "ACK_MISSING", "COMMITTED_ENTRY_LOST"],
    },
    {
      name: "commit index persisted ahead",
      filter: (_m, rd) => (rd.hardState && rd.hardState.commit > 0 ? { ...rd, hardState: { ...rd.hardState, commit: index(rd.hardState.commit + 1) } } : rd),
      kinds: ["COMMIT_BEYOND_LOG", "LOG_MISMATCH", "CORE_ERROR", "APPLIED_MISMATCH"],
    },
  ];
  for (const mu of mutations) {
    const found: string[] = [];
    for (let seed = 1; seed <= 10 && found.length === 0; seed++) {
      const r = runSeed({ ...runOptions(seed, "mixed", 150), readyFilter: mu.filter });
      if (!r.ok) found.push(r.violation!.kind);
    }
    assert.ok(found.length > 0, `mutation "${mu.name}" went unnoticed`);
    assert.ok(mu.kinds.includes(found[0]!), `mutation "${mu.name}" reported as ${found[0]}`);
  }
});

test("percentile uses the nearest rank", () => {
  assert.equal(percentile([5, 1, 4, 2, 3], 0.5), 3);
  assert.equal(percentile([5, 1, 4, 2, 3], 0.99), 5);
  assert.equal(percentile([7], 0.01), 7);
  assert.ok(Number.isNaN(percentile([], 0.5)));
});

test("npm run sim: the summary line, statistics and exit codes", () => {
  const main = fileURLToPath(new URL("./sim/main.js", import.meta.url));
  const ok = spawnSync(process.execPath, [main, "--runs", "3", "--seed", "5", "--steps", "50"], { encoding: "utf8" });
  assert.equal(ok.status, 0, ok.stderr);
  const lines = ok.stdout.trim().split("\n");
  assert.equal(lines[0], "runs: 3, violations: 0");
  assert.match(ok.stdout, /leader crash -> new leader: p50 \S+ ticks, p99 \S+ ticks/);
  assert.match(ok.stdout, /transfer completion: p50 \S+ ticks, p99 \S+ ticks/);
  assert.match(ok.stdout, /steady state: [\d.]+ messages per committed entry/);
  const bad = spawnSync(process.execPath, [main, "--members", "4"], { encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--members must be 3, 5 or mixed/);
  const changes = spawnSync(process.execPath, [main, "--runs", "2", "--seed", "5", "--steps", "100", "--members", "3", "--membership-changes"], { encoding: "utf8" });
  assert.equal(changes.status, 0, changes.stderr);
  assert.match(changes.stdout, /^runs: 2, violations: 0$/m);
  assert.match(changes.stdout, /membership changes: \d+ started of \d+ asked/);
  const mixed = spawnSync(process.execPath, [main, "--membership-changes"], { encoding: "utf8" });
  assert.equal(mixed.status, 2);
  assert.match(mixed.stderr, /--membership-changes needs --members 3/);
});
