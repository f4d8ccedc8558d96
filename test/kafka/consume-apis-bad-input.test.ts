/**
 * Bad input to the consume-side APIs (broker/kafka/apis/): every truncation
 * of a valid request body, a trailing byte, and seeded random bytes are
 * refused with KafkaDecodeError (the connection then closes cleanly), before
 * any rlog op runs; nothing else is ever thrown.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { describeGroupsApi } from "../../broker/kafka/apis/describe-groups.js";
import { fetchApi } from "../../broker/kafka/apis/fetch.js";
import { findCoordinatorApi } from "../../broker/kafka/apis/find-coordinator.js";
import { heartbeatApi } from "../../broker/kafka/apis/heartbeat.js";
import { joinGroupApi } from "../../broker/kafka/apis/join-group.js";
import { leaveGroupApi } from "../../broker/kafka/apis/leave-group.js";
import { listGroupsApi } from "../../broker/kafka/apis/list-groups.js";
import { listOffsetsApi } from "../../broker/kafka/apis/list-offsets.js";
import { offsetCommitApi } from "../../broker/kafka/apis/offset-commit.js";
import { offsetFetchApi } from "../../broker/kafka/apis/offset-fetch.js";
import { syncGroupApi } from "../../broker/kafka/apis/sync-group.js";
import type { KafkaApi } from "../../broker/kafka/kafka-api.js";
import { KafkaDecodeError, KafkaReader } from "../../broker/kafka/kafka-reader.js";
import { fakeContext, kafkajsRequest } from "./kafkajs-codec.js";

/** One valid request per API, as kafkajs writes it. */
const CASES: { readonly api: KafkaApi; readonly name: string; readonly version: number; readonly args: object }[] = [
  {
    api: fetchApi,
    name: "fetch",
    version: 11,
    args: { replicaId: -1, maxWaitTime: 100, minBytes: 1, maxBytes: 1000, topics: [{ topic: "t", partitions: [{ partition: 0, fetchOffset: "0", maxBytes: 100 }] }] },
  },
  { api: listOffsetsApi, name: "listOffsets", version: 3, args: { replicaId: -1, isolationLevel: 1, topics: [{ topic: "t", partitions: [{ partition: 0, timestamp: -1 }] }] } },
  { api: findCoordinatorApi, name: "findCoordinator", version: 2, args: { coordinatorKey: "g", coordinatorType: 0 } },
  {
    api: joinGroupApi,
    name: "joinGroup",
    version: 5,
    args: { groupId: "g", sessionTimeout: 10_000, rebalanceTimeout: 10_000, memberId: "", protocolType: "consumer", groupProtocols: [{ name: "range", metadata: Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) }] },
  },
  { api: syncGroupApi, name: "syncGroup", version: 3, args: { groupId: "g", generationId: 1, memberId: "m", groupAssignment: [{ memberId: "m", memberAssignment: Buffer.from([0, 0]) }] } },
  { api: heartbeatApi, name: "heartbeat", version: 3, args: { groupId: "g", groupGenerationId: 1, memberId: "m" } },
  { api: leaveGroupApi, name: "leaveGroup", version: 3, args: { groupId: "g", members: [{ memberId: "m" }] } },
  { api: offsetCommitApi, name: "offsetCommit", version: 5, args: { groupId: "g", groupGenerationId: 1, memberId: "m", topics: [{ topic: "t", partitions: [{ partition: 0, offset: "1" }] }] } },
  { api: offsetFetchApi, name: "offsetFetch", version: 4, args: { groupId: "g", topics: [{ topic: "t", partitions: [{ partition: 0 }] }] } },
  { api: describeGroupsApi, name: "describeGroups", version: 2, args: { groupIds: ["g"] } },
];

/** A seeded xorshift32: the same bytes on every run. */
function randomBytes(seed: number, n: number): Uint8Array {
  let x = seed >>> 0 || 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

async function outcome(api: KafkaApi, version: number, body: Uint8Array): Promise<"answered" | "refused"> {
  const { ctx } = fakeContext({});
  try {
    await api.handle(version, new KafkaReader(body), ctx);
    return "answered";
  } catch (err) {
    if (err instanceof KafkaDecodeError) return "refused";
    throw err;
  }
}

test("every truncation and a trailing byte are KafkaDecodeError, before any op runs", async () => {
  for (const c of CASES) {
    const body = new Uint8Array((await kafkajsRequest(c.name, c.version, c.args).encode()).buffer);
    for (let n = 0; n < body.byteLength; n++) {
      const { ctx, calls } = fakeContext({});
      await assert.rejects(Promise.resolve().then(() => c.api.handle(c.version, new KafkaReader(body.subarray(0, n)), ctx)), KafkaDecodeError, `${c.name} v${c.version} cut at ${n} of ${body.byteLength}`);
      assert.equal(calls.length, 0);
    }
    const longer = new Uint8Array(body.byteLength + 1);
    longer.set(body);
    assert.equal(await outcome(c.api, c.version, longer), "refused", `${c.name}: a trailing byte`);
  }
  assert.equal(await outcome(listGroupsApi, 2, new Uint8Array([1])), "refused", "listGroups: a body where none belongs");
});

test("random bodies are answered or refused with KafkaDecodeError, never anything else", async () => {
  for (const c of CASES) {
    for (let seed = 1; seed <= 200; seed++) {
      const body = randomBytes(seed * 7919 + c.version, 1 + (seed % 64));
      // Throws (failing the test) on anything but a clean answer or KafkaDecodeError.
      await outcome(c.api, c.version, body);
    }
  }
});
