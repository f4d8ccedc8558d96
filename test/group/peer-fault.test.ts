/**
 * GroupRunner: a peer's message that the core throws on, that leads to a
 * write storage refuses, or that carries a snapshot the state machine
 * cannot read is that peer's fault: the runner reports it (the broker then
 * closes that peer's connection), restarts its core from storage, and goes
 * on. onFatal is never called, and nothing of the refused message is stored.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { GroupRunner, type PeerFault } from "../../broker/group/group-runner.js";
import { MemoryStorage } from "../../broker/raft/memory-storage.js";
import { MessageType, type Message } from "../../broker/raft/messages.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { EntryKind, index, nodeId, offset, term, type Entry, type Index, type Snapshot, type Term } from "../../broker/raft/types.js";
import { failOnFatal, raftConfig, silentLogger, turn } from "./in-process.js";

function entry(i: number, t: number, off: number, count = 1): Entry {
  return { index: index(i), term: term(t), kind: EntryKind.Records, offset: offset(off), count, timestampMs: 0, data: new Uint8Array([i]) };
}

function append(t: number, prevIndex: number, prevTerm: number, entries: Entry[], commit = 0): Message {
  return { type: MessageType.Append, from: nodeId(2), to: nodeId(1), term: term(t), prevIndex: index(prevIndex), prevTerm: term(prevTerm), entries, commit: index(commit) };
}

function follower(storage: MemoryStorage, extra: { checkSnapshot?: (s: Snapshot) => void } = {}): { runner: GroupRunner; sent: Message[]; faults: PeerFault[] } {
  const sent: Message[] = [];
  const faults: PeerFault[] = [];
  const runner = new GroupRunner({
    groupId: "g",
    config: raftConfig(1, [1, 2, 3]),
    storage,
    random: new SeededRandom(1),
    send: (ms) => sent.push(...ms),
    stateMachine: { apply: () => undefined, ...(extra.checkSnapshot ? { checkSnapshot: extra.checkSnapshot } : {}) },
    logger: silentLogger,
    onFatal: failOnFatal,
  });
  runner.watchPeerFaults((f) => faults.push(f));
  return { runner, sent, faults };
}

const acked = (sent: Message[], i: number): boolean => sent.some((m) => m.type === MessageType.AppendResponse && m.success && m.index >= i);

test("entries whose offsets do not continue the log: storage refuses the write, the leader is blamed, the group restarts its core and goes on", async () => {
  const storage = new MemoryStorage();
  const { runner, sent, faults } = follower(storage);
  runner.step(append(1, 0, 0, [entry(1, 1, 0), entry(2, 1, 1)]));
  await turn();
  assert.ok(acked(sent, 2));
  // Index 3 chains by index and term, but its offset is not where entry 2 ended (2).
  runner.step(append(2, 2, 1, [entry(3, 2, 77)]));
  await turn();
  await turn();
  assert.equal(faults.length, 1);
  assert.equal(faults[0]!.peer, 2);
  assert.match(faults[0]!.reason, /could not be written/);
  assert.equal(storage.lastIndex(), 2, "nothing of the refused message is stored");
  assert.equal(storage.hardState().term, 1, "not even its term");
  assert.equal(runner.peerFaultCount(), 1);
  // The group goes on: a correct Append from the (real) leader is taken.
  runner.step(append(2, 2, 1, [entry(3, 2, 2)], 3));
  await turn();
  assert.ok(acked(sent, 3));
  assert.equal(storage.lastIndex(), 3);
  await runner.close();
});

test("a snapshot the state machine cannot read is refused before it is written", async () => {
  const storage = new MemoryStorage();
  const { runner, faults } = follower(storage, {
    checkSnapshot: (s) => {
      if (s.data.byteLength > 0 && s.data[0] === 0xff) throw new Error("unreadable snapshot");
    },
  });
  const snapshot: Snapshot = { index: index(50) as Index, term: term(1) as Term, offset: offset(50), data: new Uint8Array([0xff, 1, 2]) };
  runner.step({ type: MessageType.Snapshot, from: nodeId(2), to: nodeId(1), term: term(1), snapshot });
  await turn();
  await turn();
  assert.equal(faults.length, 1);
  assert.match(faults[0]!.reason, /unreadable snapshot/);
  assert.equal(storage.snapshot().index, 0, "not installed");
  await runner.close();
});

test("the core throwing on a message (a storage read that fails) blames the sender and restarts the core; the process is not involved", async () => {
  class ThrowingTerm extends MemoryStorage {
    armed = false;
    override term(i: Index): Term | undefined {
      if (this.armed && i === 2) throw new Error("term read failed");
      return super.term(i);
    }
  }
  const storage = new ThrowingTerm();
  const { runner, sent, faults } = follower(storage);
  runner.step(append(1, 0, 0, [entry(1, 1, 0), entry(2, 1, 1)]));
  await turn();
  assert.ok(acked(sent, 2));
  storage.armed = true;
  runner.step(append(1, 2, 1, []));
  await turn();
  assert.equal(faults.length, 1);
  assert.match(faults[0]!.reason, /Append message broke a rule of the Raft core: term read failed/);
  storage.armed = false;
  await turn();
  runner.step(append(1, 2, 1, [entry(3, 1, 2)]));
  await turn();
  assert.ok(acked(sent, 3));
  await runner.close();
});
