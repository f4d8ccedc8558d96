/**
 * DiskGate (broker/storage/disk-gate.ts) with an injected free-space reader
 * and allocator: the threshold, a NOT_ENOUGH_SPACE write failure closing the
 * gate at once and keeping it closed through the next read, the callbacks,
 * and the space reserve past the data file's end.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { DiskGate, dataFileOf } from "../../broker/storage/disk-gate.js";
import { StorageError } from "../../broker/raft/log-storage.js";

const silent = pino({ level: "silent" });

function gate(opts: { free: () => number; reserveBytes?: number; path?: string; allocate?: (file: string, offset: number, length: number) => Promise<void> }): { gate: DiskGate; changes: boolean[]; fullChecks: () => number } {
  const changes: boolean[] = [];
  let fullChecks = 0;
  const g = new DiskGate({
    path: opts.path ?? "/nonexistent-rlog-dir",
    freeBytesMin: 100,
    reserveBytes: opts.reserveBytes ?? 0,
    checkIntervalMs: 1_000_000,
    logger: silent,
    onChange: (full) => changes.push(full),
    onFullCheck: () => void fullChecks++,
    freeBytes: async () => opts.free(),
    ...(opts.allocate ? { allocate: opts.allocate } : {}),
  });
  return { gate: g, changes, fullChecks: () => fullChecks };
}

test("below freeBytesMin the disk is full; with room again it is not; each change is reported once", async () => {
  let free = 1000;
  const { gate: g, changes, fullChecks } = gate({ free: () => free });
  await g.check();
  assert.equal(g.full(), false);
  free = 99;
  await g.check();
  await g.check();
  assert.equal(g.full(), true);
  assert.match(g.reason()!, /99 bytes free, below storage.diskFreeMinBytes \(100\)/);
  assert.equal(fullChecks(), 2, "every read while full lets the broker move leaderships");
  free = 100;
  await g.check();
  assert.equal(g.full(), false);
  assert.deepEqual(changes, [true, false]);
});

test("a NOT_ENOUGH_SPACE write closes the gate at once, and it stays closed through the next read even with room", async () => {
  const { gate: g, changes } = gate({ free: () => 1_000_000 });
  await g.check();
  g.writeFailed(new StorageError("IO_ERROR", "EIO"));
  assert.equal(g.full(), false, "an I/O error is no full disk");
  g.writeFailed(new StorageError("NOT_ENOUGH_SPACE", "ENOSPC"));
  assert.equal(g.full(), true);
  assert.match(g.reason()!, /a log write failed/);
  await g.check();
  assert.equal(g.full(), true, "the first read after a failure does not reopen");
  await g.check();
  assert.equal(g.full(), false, "a later read with room does");
  assert.deepEqual(changes, [true, false]);
});

test("twice the reserve is allocated past the data file's end, and topped up once less than the reserve is left", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rlog-gate-"));
  try {
    const calls: [number, number][] = [];
    const { gate: g } = gate({ free: () => 1_000_000, path: dir, reserveBytes: 1000, allocate: async (_f, offset, length) => void calls.push([offset, length]) });
    await g.check();
    assert.deepEqual(calls, [], "no data file yet: nothing to reserve");
    writeFileSync(dataFileOf(dir), Buffer.alloc(500));
    await g.check();
    assert.deepEqual(calls, [[500, 2000]]);
    truncateSync(dataFileOf(dir), 1500);
    await g.check();
    assert.deepEqual(calls, [[500, 2000]], "1000 still ahead: no top-up");
    truncateSync(dataFileOf(dir), 1600);
    await g.check();
    assert.deepEqual(calls, [[500, 2000], [1600, 2000]]);
    assert.equal(g.reservedEnd(), 3600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a failing top-up is tried again at the next read; a missing fallocate(1) is not", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rlog-gate-"));
  try {
    writeFileSync(dataFileOf(dir), Buffer.alloc(10));
    let tries = 0;
    let fail: NodeJS.ErrnoException | undefined = Object.assign(new Error("fallocate: No space left on device"), { code: "1" });
    const { gate: g } = gate({
      free: () => 0,
      path: dir,
      reserveBytes: 100,
      allocate: async () => {
        tries++;
        if (fail) throw fail;
      },
    });
    await g.check();
    await g.check();
    assert.equal(tries, 2);
    fail = undefined;
    await g.check();
    assert.equal(tries, 3);
    assert.equal(g.reservedEnd(), 210);
    const { gate: g2 } = gate({
      free: () => 0,
      path: dir,
      reserveBytes: 100,
      allocate: async () => {
        tries++;
        throw Object.assign(new Error("spawn fallocate ENOENT"), { code: "ENOENT" });
      },
    });
    await g2.check();
    await g2.check();
    assert.equal(tries, 4, "not tried again without fallocate(1)");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
