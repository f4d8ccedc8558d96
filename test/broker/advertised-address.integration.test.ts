/**
 * Bind address and advertised address are two things: a broker may bind
 * 0.0.0.0 or one specific address, and every URL it hands out (metadata,
 * NOT_LEADER hints, cluster status) is the advertised one from its `brokers`
 * entry. Runs on loopback aliases (127.0.0.2-4, and ::1), so it needs no
 * root; test/broker/netns.integration.test.ts does the same across network namespaces.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { RlogClient } from "../../client/index.js";
import { RlogError } from "../../broker/protocol/errors.js";
import { wsUrl } from "../../broker/protocol/endpoint-url.js";
import { sleep, TestCluster } from "./cluster-harness.js";
import { WireClient } from "./wire-client.js";

/** Broker 1 binds every interface, 2 and 3 only the address they advertise. */
const ADDRESSES: Record<number, { bind: string; advertised: string }> = {
  1: { bind: "0.0.0.0", advertised: "127.0.0.2" },
  2: { bind: "127.0.0.3", advertised: "127.0.0.3" },
  3: { bind: "127.0.0.4", advertised: "127.0.0.4" },
};

test("wsUrl brackets IPv6 literals", () => {
  assert.equal(wsUrl("10.0.0.5", 9092), "ws://10.0.0.5:9092");
  assert.equal(wsUrl("broker-1.example", 9092), "ws://broker-1.example:9092");
  assert.equal(wsUrl("fd00::5", 9092), "ws://[fd00::5]:9092");
  assert.equal(wsUrl("[fd00::5]", 9092), "ws://[fd00::5]:9092");
  assert.equal(new URL(wsUrl("::1", 9092)).hostname, "[::1]");
});

test("every URL a broker hands out is its advertised address, whatever it binds", { timeout: 60_000 }, async (t) => {
  const cluster = await TestCluster.start({ size: 3, addresses: (id) => ADDRESSES[id]! });
  t.after(() => cluster.stopAll());
  const advertised = cluster.members.map((m) => ({ brokerId: m.id, clientUrl: `ws://${ADDRESSES[m.id]!.advertised}:${m.clientPort}` }));

  // Metadata from every broker.
  for (const m of cluster.members) {
    const c = await WireClient.connect(cluster.url(m.id));
    const md = await c.request("metadata", { op: "metadata" });
    c.close();
    assert.deepEqual(md.brokers, advertised, `metadata from broker ${m.id}`);
  }

  // Broker 1 binds every interface: 127.0.0.1 reaches it too (a bootstrap address that is not advertised).
  // Broker 2 binds only 127.0.0.3: 127.0.0.1 is refused.
  const viaLoopback = await WireClient.connect(`ws://127.0.0.1:${cluster.member(1).clientPort}`);
  viaLoopback.close();
  await assert.rejects(WireClient.connect(`ws://127.0.0.1:${cluster.member(2).clientPort}`), /ECONNREFUSED/);

  // An SDK bootstrapped through that unadvertised address finds the leaders at their advertised ones.
  const client = new RlogClient({ brokers: [`ws://127.0.0.1:${cluster.member(1).clientPort}`] });
  t.after(() => client.close());
  await client.admin().createTopic({ name: "adv", partitions: 3, replicationFactor: 3 });
  const acked = await client.producer().send({ topic: "adv", messages: [0, 1, 2, 3, 4, 5].map((i) => ({ key: `k${i}`, value: `v${i}` })) });
  assert.equal(acked.length, 6);

  // A NOT_LEADER hint names the leader's advertised URL.
  let leader = 0;
  for (let tries = 0; leader === 0 && tries < 100; tries++) {
    const c = await WireClient.connect(cluster.url(1));
    const md = await c.request("metadata", { op: "metadata", topics: ["adv"] });
    c.close();
    leader = md.topics[0]?.partitions[0]?.leader ?? 0;
    if (leader === 0) await sleep(50);
  }
  assert.notEqual(leader, 0, "adv/0 has a leader");
  const follower = leader === 1 ? 2 : 1;
  const c = await WireClient.connect(cluster.url(follower));
  try {
    await assert.rejects(c.request("transferLeader", { op: "transferLeader", topic: "adv", partition: 0, toBrokerId: follower }), (err: unknown) => {
      assert.ok(err instanceof RlogError);
      assert.equal(err.codeName, "NOT_LEADER");
      assert.deepEqual(err.details?.leader, { brokerId: leader, url: advertised[leader - 1]!.clientUrl });
      return true;
    });
    // Cluster status: the same URLs.
    const status = await c.request("clusterStatus", { op: "clusterStatus" });
    assert.deepEqual(
      status.brokers.map((b) => ({ brokerId: b.brokerId, clientUrl: b.clientUrl })),
      advertised,
    );
  } finally {
    c.close();
  }
});

/** Whether this machine can listen on ::1. */
function ipv6LoopbackWorks(): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(0, "::1", () => srv.close(() => resolve(true)));
  });
}

test("a broker on an IPv6 address advertises a bracketed URL that the SDK can use", { timeout: 60_000 }, async (t) => {
  if (!(await ipv6LoopbackWorks())) {
    t.skip("no IPv6 loopback (::1) on this machine");
    return;
  }
  const cluster = await TestCluster.start({ size: 1, addresses: () => ({ bind: "::1", advertised: "::1" }) });
  t.after(() => cluster.stopAll());
  const url = `ws://[::1]:${cluster.member(1).clientPort}`;
  const client = new RlogClient({ brokers: [url] });
  t.after(() => client.close());
  await client.admin().createTopic({ name: "v6", partitions: 1, replicationFactor: 1 });
  const [meta] = await client.producer().send({ topic: "v6", messages: [{ key: "k", value: "over IPv6" }] });
  const wire = await WireClient.connect(url);
  const md = await wire.request("metadata", { op: "metadata" });
  wire.close();
  assert.deepEqual(md.brokers, [{ brokerId: 1, clientUrl: url }]);
  const consumer = client.consumer();
  consumer.assign([{ topic: "v6", partition: 0, from: { offset: meta!.offset } }]);
  for await (const r of consumer.records()) {
    assert.equal(r.value?.toString(), "over IPv6");
    break;
  }
});
