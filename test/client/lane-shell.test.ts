/**
 * The producer lane's shell (partition-lane.ts) against the fake cluster:
 * cases the extraction of the state machine brought to light.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RlogError } from "../../broker/protocol/errors.js";
import { texts, withCluster } from "./helpers.js";

test("flush() waits for a batch that is waiting out its retry pause (it was in none of the lane's lists, so flush and close returned early)", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    let refused = 0;
    fake.intercept(({ request }) => (request.op === "produce" && refused++ === 0 ? { kind: "error", error: new RlogError("NOT_ENOUGH_REPLICAS", "one replica is down") } : undefined));
    const producer = client.producer({ lingerMs: 0, retry: { initialBackoffMs: 300, backoffMsMax: 300 } });
    const sent = producer.send({ topic: "t", messages: [{ value: "a" }] });
    // Wait until the first attempt was refused: the batch now waits out its pause (150 to 300 ms).
    while (refused === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await producer.flush();
    assert.deepEqual(texts(fake.state.partition("t", 0).records()), ["a"], "flush() resolved before the batch in its retry pause was written");
    assert.deepEqual(await sent, [{ partition: 0, offset: 0 }]);
    assert.deepEqual(texts(fake.state.partition("t", 0).records()), ["a"]);
    await producer.close();
  });
});

test("a batch in flight when the producer is fenced, which then fails retriably, fails with the fencing error (it used to wait forever for a resend)", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 2);
    fake.intercept(({ request }) => {
      if (request.op !== "produce") return undefined;
      return request.partition === 0 ? { kind: "hang" } : { kind: "error", error: new RlogError("PRODUCER_FENCED", "a newer epoch of this producer exists") };
    });
    const producer = client.producer({ lingerMs: 0 });
    const onZero = producer.send({ topic: "t", messages: [{ value: "a", partition: 0 }] });
    onZero.catch(() => undefined);
    while (fake.requests("produce").length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await assert.rejects(producer.send({ topic: "t", messages: [{ value: "b", partition: 1 }] }), (err: unknown) => err instanceof RlogError && err.is("PRODUCER_FENCED"));
    fake.dropConnections(); // partition 0's request fails BROKER_NOT_AVAILABLE, a retriable error
    const outcome = await Promise.race([onZero.then(() => "written", (err: unknown) => (err instanceof RlogError ? err.codeName : String(err))), new Promise((resolve) => setTimeout(() => resolve("still pending after 3 s"), 3_000))]);
    assert.equal(outcome, "PRODUCER_FENCED");
  });
});
