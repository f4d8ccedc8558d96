/**
 * Kafka's ConsumerProtocol: the bytes a consumer puts in JoinGroup
 * (Subscription: version int16, topics [string], user_data bytes, owned
 * partitions in v1+, generation in v2+, rack in v3+) and receives in
 * SyncGroup (Assignment: version int16, [topic string, [partition int32]],
 * user_data bytes), as kafkajs's assignerProtocol.js and librdkafka's
 * rdkafka_assignor.c write and read them. rlog reads a subscription's
 * version and topics (later fields are not needed: the coordinator assigns
 * on its own) and writes Assignment version 0 (what every client reads).
 *
 * And the mapping from a client's assignor names (JoinGroup's protocol
 * names) to rlog's server-side AssignmentStrategy: the coordinator assigns
 * for Kafka clients too (join-group.ts), so a name is accepted only when it
 * means an eager assignment rlog has. "cooperative-sticky" (incremental
 * rebalancing, which rlog does not do) is never chosen.
 */
import { AssignmentStrategy } from "../../protocol/enums.js";
import type { TopicPartitions } from "../../protocol/results.js";
import { KafkaReader } from "../kafka-reader.js";
import { KafkaWriter } from "../kafka-writer.js";

/** The only protocol type rlog's coordinator serves (Kafka consumers); others get INCONSISTENT_GROUP_PROTOCOL. */
export const CONSUMER_PROTOCOL_TYPE = "consumer";

/** The Assignment version rlog writes: v0 has no fields any client needs beyond these. */
export const ASSIGNMENT_VERSION = 0;

/** What rlog reads of a ConsumerProtocol Subscription. */
export interface Subscription {
  readonly version: number;
  readonly topics: readonly string[];
}

/**
 * A member's subscription from JoinGroup's protocol metadata. Throws
 * KafkaDecodeError when the bytes are not a Subscription (bytes after the
 * topics, user data and owned partitions of later versions, are not read).
 */
export function decodeSubscription(metadata: Uint8Array): Subscription {
  const r = new KafkaReader(metadata);
  const version = r.int16("subscription version");
  const topics = r.array((x) => x.string("subscribed topic"), "subscribed topics");
  return { version, topics };
}

/** A Subscription v0 of `topics` (DescribeGroups shows one per member). */
export function encodeSubscription(topics: readonly string[], userData: Uint8Array = new Uint8Array(0)): Uint8Array {
  const w = new KafkaWriter()
    .int16(0)
    .array(topics, (x, t) => x.string(t))
    .bytes(userData);
  return concat(w.finish());
}

/** A member's partitions as a ConsumerProtocol Assignment (SyncGroup's assignment bytes). */
export function encodeAssignment(assignment: readonly TopicPartitions[]): Uint8Array {
  const w = new KafkaWriter()
    .int16(ASSIGNMENT_VERSION)
    .array(assignment, (x, t) => x.string(t.topic).array(t.partitions, (y, p) => y.int32(p)))
    .bytes(new Uint8Array(0));
  return concat(w.finish());
}

/** An Assignment read back (the inverse of encodeAssignment, for tests and tools). */
export function decodeAssignment(bytes: Uint8Array): TopicPartitions[] {
  const r = new KafkaReader(bytes);
  r.int16("assignment version");
  return r.array((x) => ({ topic: x.string("assigned topic"), partitions: x.array((y) => y.int32("assigned partition"), "assigned partitions") }), "assignment");
}

/**
 * The rlog strategy a Kafka assignor name stands for, or undefined when
 * rlog has none like it. Names as clients send them: the Java client and
 * librdkafka ("range", "roundrobin", "sticky"), kafkajs ("RoundRobinAssigner").
 */
export function strategyForProtocol(name: string): AssignmentStrategy | undefined {
  return PROTOCOL_STRATEGIES.get(name);
}

const PROTOCOL_STRATEGIES: ReadonlyMap<string, AssignmentStrategy> = new Map([
  ["range", AssignmentStrategy.Range],
  ["roundrobin", AssignmentStrategy.RoundRobin],
  ["RoundRobinAssigner", AssignmentStrategy.RoundRobin],
  ["sticky", AssignmentStrategy.Sticky],
]);

/** A protocol offered in JoinGroup: an assignor name and the member's subscription bytes. */
export interface OfferedProtocol {
  readonly name: string;
  readonly metadata: Uint8Array;
}

/** A protocol rlog can serve for a member: its name, the strategy it means, the member's subscription bytes. */
export interface ChosenProtocol {
  readonly name: string;
  readonly strategy: AssignmentStrategy;
  readonly metadata: Uint8Array;
}

/**
 * The protocols of `offered` that rlog can serve, in the client's order of
 * preference, one per strategy (the first name offered for it); empty:
 * INCONSISTENT_GROUP_PROTOCOL.
 */
export function acceptableProtocols(offered: readonly OfferedProtocol[]): ChosenProtocol[] {
  const out: ChosenProtocol[] = [];
  for (const p of offered) {
    const strategy = strategyForProtocol(p.name);
    if (strategy !== undefined && !out.some((c) => c.strategy === strategy)) out.push({ name: p.name, strategy, metadata: p.metadata });
  }
  return out;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
