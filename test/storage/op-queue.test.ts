/** The per-log write queue (broker/storage/op-queue.ts): order, same-turn start, the bound, failures, close. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { StorageError } from "../../broker/raft/log-storage.js";
import { OpQueue } from "../../broker/storage/op-queue.js";

/** A promise and its resolver. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const code = (c: string) => (e: unknown) => e instanceof StorageError && e.code === c;

describe("op queue", () => {
  it("starts an operation on an empty queue in the same turn, and the next only after it settles", async () => {
    const q = new OpQueue("p", 10);
    const log: string[] = [];
    const first = deferred();
    const a = q.enqueue(async () => {
      log.push("a start");
      await first.promise;
      log.push("a end");
    });
    assert.deepEqual(log, ["a start"], "ran synchronously");
    const b = q.enqueue(async () => {
      log.push("b");
    });
    await Promise.resolve();
    assert.deepEqual(log, ["a start"]);
    first.resolve();
    await Promise.all([a, b]);
    assert.deepEqual(log, ["a start", "a end", "b"]);
    assert.equal(q.pendingOps, 0);
  });

  it("refuses an operation beyond pendingOpsMax with TOO_MANY_PENDING_OPS, without queueing it", async () => {
    const q = new OpQueue("p", 2);
    const gate = deferred();
    const ran: number[] = [];
    const ok = [1, 2].map((n) => q.enqueue(async () => {
      await gate.promise;
      ran.push(n);
    }));
    await assert.rejects(q.enqueue(async () => ran.push(3)), code("TOO_MANY_PENDING_OPS"));
    gate.resolve();
    await Promise.all(ok);
    assert.deepEqual(ran, [1, 2]);
    await q.enqueue(async () => ran.push(4));
    assert.deepEqual(ran, [1, 2, 4]);
  });

  it("rejects only the failing operation; throws become rejections", async () => {
    const q = new OpQueue("p", 10);
    const results = await Promise.allSettled([
      q.enqueue(async () => 1),
      q.enqueue(() => {
        throw new Error("sync");
      }),
      q.enqueue(async () => {
        throw new Error("async");
      }),
      q.enqueue(async () => 4),
    ]);
    assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "rejected", "fulfilled"]);
    assert.equal(q.pendingOps, 0);
  });

  it("after close refuses calls with CLOSED, still runs internal operations, and drains", async () => {
    const q = new OpQueue("p", 1);
    const gate = deferred();
    const log: string[] = [];
    const a = q.enqueue(async () => {
      await gate.promise;
      log.push("a");
    });
    q.close();
    assert.equal(q.closed, true);
    await assert.rejects(q.enqueue(async () => log.push("refused")), code("CLOSED"));
    const internal = q.runInternal(async () => log.push("internal"));
    let idle = false;
    const drained = q.idle().then(() => (idle = true));
    await Promise.resolve();
    assert.equal(idle, false);
    gate.resolve();
    await Promise.all([a, internal, drained]);
    assert.deepEqual(log, ["a", "internal"]);
  });

  it("runs an internal operation after the queued ones, never in the same turn", async () => {
    const q = new OpQueue("p", 10);
    let ran = false;
    const p = q.runInternal(async () => {
      ran = true;
    });
    assert.equal(ran, false);
    await p;
    assert.equal(ran, true);
  });
});
