/** Group requests against the fake cluster: routed to the coordinator from the metadata, NOT_COORDINATOR hints followed like NOT_LEADER ones. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RlogError } from "../../broker/protocol/errors.js";
import { coordinatorPartition, OFFSETS_TOPIC } from "../../client/index.js";
import { delay, withCluster } from "./helpers.js";

const isCode = (name: Parameters<RlogError["is"]>[0]) => (err: unknown) => err instanceof RlogError && err.is(name);

test("a group request goes to the leader of the group's offsets partition; NOT_COORDINATOR with a hint is followed at once", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic(OFFSETS_TOPIC, 4);
    const leader = fake.state.partition(OFFSETS_TOPIC, coordinatorPartition("billing", 4)).leader;
    const other = (leader % 3) + 1;
    fake.intercept(({ brokerId, request }) => {
      if (request.op !== "describeGroup") return undefined;
      if (brokerId === leader) return { kind: "error", error: new RlogError("NOT_COORDINATOR", "moved", { leader: fake.state.hint(other) }) };
      return { kind: "error", error: new RlogError("UNKNOWN_GROUP", "no such group") };
    });
    const started = performance.now();
    await assert.rejects(client.admin().describeGroup("billing"), isCode("UNKNOWN_GROUP"));
    assert.deepEqual(
      fake.requests("describeGroup").map((s) => s.brokerId),
      [leader, other],
    );
    assert.ok(performance.now() - started < 1_000, "no backoff before following the hint");
  });
});

test("COORDINATOR_NOT_AVAILABLE while the offsets topic is missing: the metadata is refreshed until it appears", async () => {
  await withCluster(async (fake, client) => {
    fake.intercept(({ request }) => (request.op === "fetchOffsets" ? { kind: "error", error: new RlogError("UNKNOWN_GROUP", "reached the coordinator") } : undefined));
    const asked = client.admin().fetchOffsets("billing");
    await delay(150);
    assert.equal(fake.requests("fetchOffsets").length, 0, "nothing to send to before the topic exists");
    fake.state.createTopic(OFFSETS_TOPIC, 2);
    await assert.rejects(asked, isCode("UNKNOWN_GROUP"));
    assert.equal(fake.requests("fetchOffsets")[0]?.brokerId, fake.state.partition(OFFSETS_TOPIC, coordinatorPartition("billing", 2)).leader);
  });
});
