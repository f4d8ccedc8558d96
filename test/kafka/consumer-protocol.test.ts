/**
 * ConsumerProtocol bytes (broker/kafka/apis/consumer-protocol.ts) against
 * kafkajs's own assignerProtocol codec (what its consumers send in
 * JoinGroup and decode from SyncGroup), a librdkafka-style Subscription v1
 * with owned partitions, and the assignor-name mapping.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import {
  acceptableProtocols,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  strategyForProtocol,
} from "../../broker/kafka/apis/consumer-protocol.js";
import { KafkaDecodeError } from "../../broker/kafka/kafka-reader.js";
import { KafkaWriter } from "../../broker/kafka/kafka-writer.js";
import { AssignmentStrategy } from "../../broker/protocol/enums.js";

const require = createRequire(import.meta.url);
const { MemberAssignment, MemberMetadata } = require("kafkajs/src/consumer/assignerProtocol") as {
  MemberAssignment: { decode(b: Buffer): { version: number; assignment: Record<string, number[]>; userData: Buffer } | null; encode(a: object): Buffer };
  MemberMetadata: { encode(m: object): Buffer; decode(b: Buffer): { version: number; topics: string[] } };
};

test("an Assignment is what kafkajs's MemberAssignment.decode reads, and reads back", () => {
  const assignment = [
    { topic: "orders", partitions: [0, 2, 4] },
    { topic: "payments", partitions: [1] },
  ];
  const bytes = encodeAssignment(assignment);
  const decoded = MemberAssignment.decode(Buffer.from(bytes));
  assert.deepEqual(decoded?.assignment, { orders: [0, 2, 4], payments: [1] });
  assert.equal(decoded?.version, 0);
  assert.equal(decoded?.userData.length, 0);
  assert.deepEqual(decodeAssignment(bytes), assignment);
  assert.deepEqual(decodeAssignment(new Uint8Array(MemberAssignment.encode({ version: 1, assignment: { a: [3] } }))), [{ topic: "a", partitions: [3] }]);
  assert.deepEqual(MemberAssignment.decode(Buffer.from(encodeAssignment([])))?.assignment, {}, "no partitions: an empty assignment");
});

test("a Subscription from kafkajs (MemberMetadata) and from librdkafka (v1, owned partitions) gives its topics", () => {
  const fromKafkajs = MemberMetadata.encode({ version: 1, topics: ["orders", "payments"], userData: Buffer.from("x") });
  assert.deepEqual(decodeSubscription(new Uint8Array(fromKafkajs)), { version: 1, topics: ["orders", "payments"] });

  // Version 1 as librdkafka writes it: topics, user data (null), owned partitions.
  const v1 = new KafkaWriter()
    .int16(1)
    .array(["t1"], (w, t) => w.string(t))
    .nullableBytes(null)
    .array([{ topic: "t1", partitions: [0, 1] }], (w, o) => w.string(o.topic).array(o.partitions, (x, p) => x.int32(p)));
  assert.deepEqual(decodeSubscription(Buffer.concat(v1.finish())), { version: 1, topics: ["t1"] });

  assert.deepEqual(MemberMetadata.decode(Buffer.from(encodeSubscription(["a", "b"]))).topics, ["a", "b"], "ours reads in kafkajs");
  assert.throws(() => decodeSubscription(new Uint8Array([0, 0, 0, 0, 0, 9])), KafkaDecodeError, "a topic count past the bytes");
  assert.throws(() => decodeSubscription(new Uint8Array([0])), KafkaDecodeError, "truncated");
});

test("assignor names map to rlog's strategies; cooperative-sticky never", () => {
  assert.equal(strategyForProtocol("range"), AssignmentStrategy.Range);
  assert.equal(strategyForProtocol("roundrobin"), AssignmentStrategy.RoundRobin);
  assert.equal(strategyForProtocol("RoundRobinAssigner"), AssignmentStrategy.RoundRobin);
  assert.equal(strategyForProtocol("sticky"), AssignmentStrategy.Sticky);
  assert.equal(strategyForProtocol("cooperative-sticky"), undefined);
  assert.equal(strategyForProtocol("Range"), undefined, "names are exact");

  const m = new Uint8Array([1]);
  const offered = [
    { name: "cooperative-sticky", metadata: m },
    { name: "roundrobin", metadata: m },
    { name: "custom", metadata: m },
    { name: "RoundRobinAssigner", metadata: m },
    { name: "range", metadata: m },
  ];
  assert.deepEqual(
    acceptableProtocols(offered).map((p) => [p.name, p.strategy]),
    [
      ["roundrobin", AssignmentStrategy.RoundRobin],
      ["range", AssignmentStrategy.Range],
    ],
    "in the client's order, one per strategy, unknown and incremental ones left out",
  );
  assert.deepEqual(acceptableProtocols([{ name: "cooperative-sticky", metadata: m }]), []);
});
