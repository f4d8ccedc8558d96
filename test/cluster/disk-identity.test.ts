/**
 * DiskIdentity's start-up decisions over a real LMDB store: a new data
 * directory recovers when its peers name a cluster, starts a new cluster when
 * a majority of controller voters have none, and refuses another cluster's or
 * another broker's data.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { DiskIdentity } from "../../broker/cluster/disk-identity.js";
import { nodeId } from "../../broker/raft/types.js";
import { IdentityState } from "../../broker/storage/broker-identity.js";
import { LogStore } from "../../broker/storage/log-store.js";

const logger = pino({ level: "silent" });
const ids = (...xs: number[]) => xs.map(nodeId);

async function withStore(f: (store: LogStore, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "rlog-identity-"));
  const store = await LogStore.open({ path: dir, fsync: false });
  try {
    await f(store, dir);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const opts = (store: LogStore, brokerId = 1) => ({ store, brokerId: nodeId(brokerId), controllerVoters: ids(1, 2, 3), peers: ids(1, 2, 3).filter((x) => x !== brokerId), logger });

test("a new directory whose peer names a cluster recovers, with a random incarnation, and keeps recovering after a restart", async () => {
  await withStore(async (store, dir) => {
    const d = await DiskIdentity.load(opts(store));
    assert.equal(d.state(), IdentityState.New);
    assert.deepEqual(d.local(), { clusterId: "", state: IdentityState.New });
    const settling = d.settle();
    d.onPeer(nodeId(2), { clusterId: "c-9", state: IdentityState.Member });
    await settling;
    assert.equal(d.state(), IdentityState.Recovering);
    assert.equal(d.clusterId(), "c-9");
    const inc = d.raftOptions(ids(1, 2, 3)).recovering?.incarnation;
    assert.ok(inc !== undefined && inc >= 1);
    await d.close();
    // A crash in the middle: the record says recovering, with the same incarnation.
    await store.close();
    const again = await LogStore.open({ path: dir, fsync: false });
    try {
      const d2 = await DiskIdentity.load(opts(again));
      assert.equal(d2.state(), IdentityState.Recovering);
      assert.equal(d2.raftOptions(ids(1, 2, 3)).recovering?.incarnation, inc);
      await d2.close();
    } finally {
      await again.close();
    }
  });
});

test("a new directory recovers when a peer is itself recovering, even before the cluster has an id", async () => {
  await withStore(async (store) => {
    const d = await DiskIdentity.load(opts(store));
    const settling = d.settle();
    d.onPeer(nodeId(3), { clusterId: "", state: IdentityState.Recovering });
    await settling;
    assert.equal(d.state(), IdentityState.Recovering);
    await d.close();
  });
});

test("a new directory starts a new cluster when a majority of controller voters (itself included) have no cluster id", async () => {
  await withStore(async (store) => {
    const d = await DiskIdentity.load(opts(store));
    const settling = d.settle();
    d.onPeer(nodeId(2), { clusterId: "", state: IdentityState.New });
    d.onPeer(nodeId(3), { clusterId: "", state: IdentityState.Member }); // decided already, cluster not named yet
    await settling;
    assert.equal(d.state(), IdentityState.Member);
    assert.deepEqual(d.raftOptions(ids(1, 2, 3)), {});
    await d.close();
  });
});

test("a new directory waits while it hears from no majority, and an older peer that tells nothing does not count", async () => {
  await withStore(async (store) => {
    const d = await DiskIdentity.load(opts(store));
    let done = false;
    const settling = d.settle().then(() => (done = true));
    d.onPeer(nodeId(2), undefined);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(done, false);
    d.onPeer(nodeId(3), { clusterId: "", state: IdentityState.New });
    await settling;
    assert.equal(d.state(), IdentityState.Member);
    await d.close();
  });
});

test("a directory of another cluster or another broker refuses to start", async () => {
  await withStore(async (store) => {
    await store.writeIdentity({ clusterId: "ours", brokerId: 1, incarnation: 7, state: IdentityState.Member, createdMs: 0 });
    await assert.rejects(DiskIdentity.load(opts(store, 2)), /belongs to broker 1, not 2/);
    const d = await DiskIdentity.load(opts(store));
    d.onPeer(nodeId(2), { clusterId: "theirs", state: IdentityState.Member });
    d.onPeer(nodeId(3), { clusterId: "ours", state: IdentityState.Member });
    await assert.rejects(d.settle(), /belongs to cluster ours but peer broker 2 is in cluster theirs/);
    await d.close();
  });
});

test("a directory with logs but no record predates identity records: it is this broker's, a member", async () => {
  await withStore(async (store) => {
    const log = await store.openLog("p/1/0", { segmentBytes: 1 << 20, segmentMs: 3_600_000 });
    await log.close();
    const d = await DiskIdentity.load(opts(store));
    assert.equal(d.state(), IdentityState.Member);
    assert.equal(store.readIdentity()?.brokerId, 1);
    await d.close();
  });
});
