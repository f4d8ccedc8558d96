import { test } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { MemoryStorage } from "../../broker/raft/memory-storage.js";
import { RaftLog } from "../../broker/raft/raft-log.js";
import { EntryKind, entryBytes, index, offset, term, type Entry, type Index } from "../../broker/raft/types.js";

function entry(i: number, t: number): Entry {
  return { index: index(i), term: term(t), kind: EntryKind.Records, offset: offset(i - 1), count: 1, timestampMs: 0, data: new Uint8Array(60) };
}

/** A MemoryStorage that counts entry reads. */
function countingStorage(): { storage: MemoryStorage; reads: () => number } {
  const storage = new MemoryStorage();
  let reads = 0;
  const read = storage.entries.bind(storage);
  storage.entries = (lo: Index, hi: Index, bytesMax: number) => {
    reads++;
    return read(lo, hi, bytesMax);
  };
  return { storage, reads: () => reads };
}

/** Append entries lo..hi of term t and persist them, the way the runner does. */
function appendAndPersist(log: RaftLog, storage: MemoryStorage, lo: number, hi: number, t: number): void {
  const es: Entry[] = [];
  for (let i = lo; i <= hi; i++) es.push(entry(i, t));
  log.append(es);
  storage.apply({ entries: log.unstable().slice() });
  const last = es[es.length - 1]!;
  log.stableTo(last.index, last.term);
}

test("recent entries: just-persisted entries are served from memory, older ones from storage", () => {
  const { storage, reads } = countingStorage();
  const bytes = entryBytes(entry(1, 1));
  const log = new RaftLog(storage, undefined, 3 * bytes);
  appendAndPersist(log, storage, 1, 5, 1);
  assert.equal(log.unstable().length, 0);
  assert.deepEqual(log.entries(index(3), index(6), Infinity)?.map((e) => e.index), [3, 4, 5]);
  assert.equal(reads(), 0, "the last three (the byte bound) come from memory");
  assert.deepEqual(log.entries(index(1), index(6), Infinity)?.map((e) => e.index), [1, 2, 3, 4, 5]);
  assert.equal(reads(), 1, "evicted entries come from storage");
  // The byte bound applies to cached reads as to storage reads: at least one entry.
  assert.deepEqual(log.entries(index(3), index(6), bytes + 1)?.map((e) => e.index), [3]);
});

test("recent entries: a truncation drops the replaced cached entries", () => {
  const { storage } = countingStorage();
  const log = new RaftLog(storage, undefined, 1 << 20);
  appendAndPersist(log, storage, 1, 5, 1);
  // A newer leader's entries replace 4 and 5.
  appendAndPersist(log, storage, 4, 6, 2);
  assert.deepEqual(log.entries(index(1), index(7), Infinity)?.map((e) => `${e.index}t${e.term}`), ["1t1", "2t1", "3t1", "4t2", "5t2", "6t2"]);
  assert.deepEqual(log.entries(index(1), index(7), Infinity), storage.entries(index(1), index(7), Infinity));
});

test("recent entries: a snapshot from the leader empties the cache", () => {
  const { storage, reads } = countingStorage();
  const log = new RaftLog(storage, undefined, 1 << 20);
  appendAndPersist(log, storage, 1, 3, 1);
  log.restore({ index: index(10), term: term(2), offset: offset(10), data: new Uint8Array(0) });
  assert.equal(log.entries(index(2), index(4), Infinity), undefined, "compacted");
  storage.apply({ snapshot: log.pendingSnapshot()! });
  log.stableSnapTo(index(10));
  appendAndPersist(log, storage, 11, 12, 2);
  assert.deepEqual(log.entries(index(11), index(13), Infinity)?.map((e) => e.index), [11, 12]);
  assert.equal(reads(), 0);
});

test("recent entries: 0 turns the cache off", () => {
  const { storage, reads } = countingStorage();
  const log = new RaftLog(storage, undefined, 0);
  appendAndPersist(log, storage, 1, 3, 1);
  assert.deepEqual(log.entries(index(1), index(4), Infinity)?.map((e) => e.index), [1, 2, 3]);
  assert.equal(reads(), 1);
});

test("recent entries: an evicted entry is not held, so its payload can be collected", async () => {
  // The garbage collector, reachable from a test (the flag only exposes gc(); it changes nothing else).
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const storage = new MemoryStorage();
  const payloadBytes = 64 * 1024;
  const log = new RaftLog(storage, undefined, 2 * (payloadBytes + entryBytes(entry(1, 1)))); // about two entries
  const payloads: WeakRef<Uint8Array>[] = [];
  const n = 200;
  for (let i = 1; i <= n; i++) {
    const data = new Uint8Array(payloadBytes);
    payloads.push(new WeakRef(data));
    const e: Entry = { ...entry(i, 1), data };
    log.append([e]);
    storage.apply({ entries: [{ ...e, data: data.slice() }] }); // storage keeps a copy of its own
    log.stableTo(e.index, e.term);
  }
  await new Promise((resolve) => setImmediate(resolve)); // WeakRef targets stay alive until the job ends
  gc();
  const held = payloads.map((r, k) => (r.deref() === undefined ? -1 : k + 1)).filter((i) => i > 0);
  // Before the fix every evicted slot kept its entry until 1,024 had piled up: all 200 were held.
  assert.ok(held.length <= 3, `payloads still held: entries ${held.join(", ")}`);
  assert.ok(held.every((i) => i > n - 3), `only the newest entries stay cached, held: ${held.join(", ")}`);
  assert.deepEqual(log.entries(index(n - 1), index(n + 1), Infinity)?.map((e) => e.index), [n - 1, n], "the cache still serves what it holds");
});
