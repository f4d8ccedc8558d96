/**
 * A broker joins a running cluster (docs/OPERATIONS.md): three real brokers;
 * `rlog-cli broker add 4`, then broker 4 starts with a config listing brokers
 * 1..4 and controllerVoters 1,2,3. It follows the metadata as a controller
 * learner (topics from before and after it joined), is listed as live, and
 * gets replicas of a new topic; a partition of a topic from before it joined
 * moves onto it while a producer writes. The controller voters then become 1,2,4, and
 * with broker 3 SIGKILLed the controller still commits. The refusals, through
 * the real CLI, get one line and a non-zero status and change nothing.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { RlogClient, type ListBrokersResult } from "../../client/index.js";
import { TestCluster, sleep } from "./cluster-harness.js";
import { WireClient } from "./wire-client.js";
import { assertOneLineErrors, runCli } from "../cli/run-cli.js";

let cluster: TestCluster;

before(async () => {
  cluster = await TestCluster.start({ size: 3 });
});

after(async () => {
  await cluster?.stopAll();
});

/** Poll `check` every 100 ms until it returns a value other than undefined; fail after `timeoutMs`. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The topic names broker `id` itself has applied (its own metadata answer). */
async function topicsOn(id: number): Promise<string[]> {
  const c = await WireClient.connect(cluster.url(id));
  try {
    const md = await c.request("metadata", { op: "metadata" });
    return md.topics.map((t) => t.name);
  } finally {
    c.close();
  }
}

const cli = (args: readonly string[], urls = cluster.urls().slice(0, 3)) => runCli([...args, "--brokers", urls.join(",")]);

async function listBrokers(): Promise<ListBrokersResult> {
  const r = await cli(["broker", "list", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.toString()) as ListBrokersResult;
}

test("broker 4 joins: registered, started, follows the metadata as a controller learner, and takes replicas of a new topic", { timeout: 120_000 }, async () => {
  const client = new RlogClient({ brokers: cluster.urls(), clientId: "add-broker" });
  try {
    await client.admin().createTopic({ name: "before", partitions: 2, replicationFactor: 3 });
    const b4 = await cluster.addMember(4);
    const added = await cli(["broker", "add", "4", "--host", "127.0.0.1", "--client-port", String(b4.clientPort), "--peer-port", String(b4.peerPort)]);
    assert.equal(added.status, 0, added.stderr);
    assert.match(added.stdout.toString(), /^broker 4 registered: clients ws:\/\/127\.0\.0\.1:\d+, peers 127\.0\.0\.1:\d+/);
    const listed = await listBrokers();
    assert.deepEqual(
      listed.brokers.map((b) => [b.brokerId, b.source, b.live]),
      [
        [1, "configured", true],
        [2, "configured", true],
        [3, "configured", true],
        [4, "registered", false],
      ],
    );

    await cluster.startNew(4);
    await until("broker 4 to apply the topic created before it joined", async () => ((await topicsOn(4)).includes("before") ? true : undefined));
    const joined = await until("broker 4 to be live and a controller learner", async () => {
      const l = await listBrokers();
      const four = l.brokers.find((b) => b.brokerId === 4);
      return four?.live === true && four.controllerRole === "learner" ? l : undefined;
    });
    assert.deepEqual(joined.controller.voters, [1, 2, 3]);
    assert.deepEqual(joined.controller.learners, [4]);

    // A new topic over four live brokers places replicas on broker 4, which opens them and serves a produce.
    const t = await client.admin().createTopic({ name: "after", partitions: 4, replicationFactor: 3 });
    const on4 = t.partitions.filter((p) => p.replicas.includes(4));
    assert.equal(on4.length, 3, `three of four partitions have a replica on broker 4: ${JSON.stringify(t.partitions.map((p) => p.replicas))}`);
    await until("broker 4 to apply the topic created after it joined", async () => ((await topicsOn(4)).includes("after") ? true : undefined));
    await until("leaders for every partition of after", async () => ((await client.admin().describeTopic("after")).partitions.every((p) => p.leader !== 0) ? true : undefined));
    const producer = client.producer({ lingerMs: 0 });
    for (const p of on4) await producer.send({ topic: "after", messages: [{ value: `to-${p.partition}`, partition: p.partition }] });
    await producer.flush();
    const four = (await listBrokers()).brokers.find((b) => b.brokerId === 4);
    assert.equal(four?.replicas, 3);
  } finally {
    await client.close();
  }
});

test("a partition of a topic from before broker 4 joined moves onto it while a producer writes: every acknowledged record exactly once", { timeout: 120_000 }, async (t) => {
  const client = new RlogClient({ brokers: cluster.urls(), clientId: "add-broker-move" });
  try {
    const before = await client.admin().describeTopic("before");
    const from = before.partitions[0]!.replicas;
    assert.ok(!from.includes(4), `before/0 was placed before broker 4 joined: ${from.join(",")}`);
    const target = [4, from[1]!, from[2]!]; // broker 4 in, the preferred leader out; 4 leads afterwards
    const producer = client.producer({ lingerMs: 0 });
    const acked: string[] = [];
    let running = true;
    const load = (async () => {
      for (let i = 0; running; i++) {
        await producer.send({ topic: "before", messages: [{ value: `j-${i}`, partition: 0 }] });
        acked.push(`j-${i}`);
      }
    })();
    await sleep(500);
    const moved = await cli(["partition", "reassign", "before", "0", "--replicas", target.join(","), "--wait", "--json"]);
    assert.equal(moved.status, 0, moved.stderr);
    await sleep(500);
    running = false;
    await load;
    await producer.flush();
    assert.ok(acked.length > 10, `only ${acked.length} records acknowledged`);
    const after = await until("before/0 to list its new replicas", async () => {
      const d = await client.admin().describeTopic("before");
      return d.partitions[0]!.replicas.join(",") === target.join(",") ? d : undefined;
    });
    assert.deepEqual(after.partitions[0]!.replicas, target);
    const consumer = client.consumer({ maxWaitMs: 200 });
    consumer.assign([{ topic: "before", partition: 0, from: "earliest" }]);
    const got: string[] = [];
    for await (const r of consumer.records()) {
      got.push(String(r.value));
      if (got.length === acked.length) break;
    }
    await consumer.stop();
    assert.deepEqual(got, acked, "every acknowledged record once, in order");
    assert.equal((await client.admin().listOffsets({ topic: "before", partition: 0 }, "latest")).offset, acked.length, "nothing more than what was acknowledged");
    // The new preferred leader, broker 4, takes leadership.
    await until("broker 4 to lead before/0", async () => ((await client.admin().describeTopic("before")).partitions[0]!.leader === 4 ? true : undefined), 30_000);
    t.diagnostic(`before/0 moved ${from.join(",")} -> ${target.join(",")} under load; ${acked.length} records acknowledged`);
  } finally {
    await client.close();
  }
});

test("refusals: an existing id, removing a broker with replicas, bad voter lists; one line each, the cluster unchanged", { timeout: 90_000 }, async () => {
  // Broker 5: registered but never started (a down broker).
  const b5 = await cluster.addMember(5);
  const five = await cli(["broker", "add", "5", "--host", "127.0.0.1", "--client-port", String(b5.clientPort), "--peer-port", String(b5.peerPort)]);
  assert.equal(five.status, 0, five.stderr);
  // Registered, broker 5 becomes a controller learner (down: it receives nothing yet).
  const before = await until("broker 5 a controller learner", async () => {
    const l = await listBrokers();
    return l.controller.learners.join() === "4,5" && !l.controller.changing ? l : undefined;
  });
  const cases = [
    { args: ["broker", "add", "4", "--host", "127.0.0.1", "--client-port", "1", "--peer-port", "2"], status: 1, line: /^BROKER_ALREADY_REGISTERED: broker 4 is already registered/ },
    { args: ["broker", "add", "2", "--host", "10.9.9.9", "--client-port", "1", "--peer-port", "2"], status: 1, line: /^BROKER_ALREADY_REGISTERED: broker 2 is already listed in the brokers config/ },
    { args: ["broker", "remove", "4"], status: 1, line: /^INVALID_REQUEST: broker 4 still holds 4 partition replicas: move them to other brokers first/ },
    { args: ["broker", "remove", "1"], status: 1, line: /^INVALID_REQUEST: broker 1 is listed in the brokers config, not registered/ },
    { args: ["controller", "voters", "1,2,9"], status: 1, line: /^INVALID_CONTROLLER_VOTERS: broker 9 is not a broker of the cluster/ },
    { args: ["controller", "voters", "1,2,5"], status: 1, line: /^INVALID_CONTROLLER_VOTERS: broker 5 is not live/ },
    { args: ["controller", "voters", "1,1,2"], status: 1, line: /^INVALID_CONTROLLER_VOTERS: broker 1 is named twice/ },
    { args: ["controller", "voters", "1,x"], status: 2, line: /^INVALID_ARGUMENT: <ids>: expected broker ids separated by commas/ },
  ];
  const results = [];
  for (const c of cases) results.push(await cli(c.args));
  assertOneLineErrors(cases, results);
  const after = await listBrokers();
  assert.deepEqual(after.controller, before.controller);
  assert.deepEqual(after.brokers.map((b) => [b.brokerId, b.source, b.replicas]), before.brokers.map((b) => [b.brokerId, b.source, b.replicas]));
  // The down broker 5 holds nothing and votes nowhere: it can be removed.
  const removed = await cli(["broker", "remove", "5"]);
  assert.equal(removed.status, 0, removed.stderr);
  assert.deepEqual((await listBrokers()).brokers.map((b) => b.brokerId), [1, 2, 3, 4]);
  // Removed, it is dropped from the controller learners.
  await until("broker 5 dropped from the controller learners", async () => ((await listBrokers()).controller.learners.join() === "4" ? true : undefined));
});

test("controller voters 1,2,3 -> 1,2,4: then with broker 3 SIGKILLed the controller still commits", { timeout: 120_000 }, async () => {
  const changed = await cli(["controller", "voters", "1,2,4", "--json"]);
  assert.equal(changed.status, 0, changed.stderr);
  assert.deepEqual(JSON.parse(changed.stdout.toString()), { voters: [1, 2, 4], learners: [3], changing: false });
  const status = await cli(["cluster", "status"], cluster.urls().slice(0, 4));
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout.toString(), /\ncontroller voters: 1,2,4; learners: 3\n/);

  await cluster.kill(3);
  const client = new RlogClient({ brokers: [1, 2, 4].map((id) => cluster.url(id)), clientId: "after-voters" });
  try {
    const t = await client.admin().createTopic({ name: "without-3", partitions: 1, replicationFactor: 2 });
    assert.equal(t.partitions.length, 1);
    await until("broker 4 to apply without-3", async () => ((await topicsOn(4)).includes("without-3") ? true : undefined));
    const l = await until("broker 3 seen down", async () => {
      const r = await client.admin().listBrokers();
      return r.brokers.find((b) => b.brokerId === 3)?.live === false ? r : undefined;
    });
    assert.deepEqual(l.controller.voters, [1, 2, 4]);
  } finally {
    await client.close();
  }
});

test("the membership is the controller log's: broker 3 restarted stays a learner; broker 4 restarted (config voters 1,2,3) votes, so 1 and 4 commit alone", { timeout: 120_000 }, async () => {
  await cluster.restart(3);
  const client = new RlogClient({ brokers: [1, 2, 4].map((id) => cluster.url(id)), clientId: "restarts" });
  try {
    await until("broker 3 back, a learner", async () => {
      const r = await client.admin().listBrokers();
      const three = r.brokers.find((b) => b.brokerId === 3);
      return three?.live === true && three.controllerRole === "learner" && r.controller.voters.join() === "1,2,4" ? true : undefined;
    });
    await cluster.kill(4);
    await cluster.restart(4);
    await cluster.kill(2);
    await cluster.kill(3);
    const only = new RlogClient({ brokers: [1, 4].map((id) => cluster.url(id)), clientId: "one-and-four" });
    try {
      // A controller leader exists only with broker 4's vote; then its link to 4 counts 4 live for placement.
      await until("a controller of 1 and 4 that sees 4 live", async () => ((await only.admin().listBrokers()).brokers.find((b) => b.brokerId === 4)?.live === true ? true : undefined));
      const t = await only.admin().createTopic({ name: "one-and-four", partitions: 1, replicationFactor: 2 });
      assert.deepEqual([...(t.partitions[0]?.replicas ?? [])].sort(), [1, 4]);
      await until("broker 4 to apply one-and-four", async () => ((await topicsOn(4)).includes("one-and-four") ? true : undefined));
    } finally {
      await only.close();
    }
  } finally {
    await client.close();
  }
});
