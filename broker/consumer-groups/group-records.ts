/**
 * The records of the offsets topic. Group state changes and offset commits
 * are ordinary record batches in the group's partition (so the topic can be
 * fetched like any other): key = msgpack [kind, group, ...], value = msgpack
 * state. Kinds and every stored field are append-only.
 *
 *   [GroupMetadata, group]                 -> GroupMetadataValue
 *   [OffsetCommit, group, topic, partition] -> OffsetCommitValue
 *
 * A later record with the same key replaces the earlier one (the log is the
 * history; the table in group-table.ts keeps the latest value per key).
 */
import { Packr } from "msgpackr";
import { ASSIGNMENT_STRATEGIES, type AssignmentStrategy } from "../protocol/enums.js";
import { GROUP_COORDINATOR_DEFAULTS, LIMIT_DEFAULTS } from "../protocol/defaults.js";
import type { ProduceRecord } from "../protocol/records.js";

/** Record kinds (first element of the key). Stored: numeric and append-only. */
export const GroupRecordKind = {
  /** A group's generation: members, their subscriptions and assignment. */
  GroupMetadata: 1,
  /** One committed offset of a group. */
  OffsetCommit: 2,
} as const;
/** A value of `GroupRecordKind`. */
export type GroupRecordKind = (typeof GroupRecordKind)[keyof typeof GroupRecordKind];

/** A member as committed with its generation. */
export interface StoredMember {
  readonly memberId: string;
  readonly clientId: string;
  /** Subscribed topics. */
  readonly topics: readonly string[];
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  /** Assigned partitions per topic, [topic, partitions] pairs in topic order. */
  readonly assignment: readonly (readonly [string, readonly number[]])[];
}

/** Value of a GroupMetadata record: the group as of one generation. */
export interface GroupMetadataValue {
  /** Increases by one with every completed rebalance (and when the group empties). */
  readonly generation: number;
  readonly strategy: AssignmentStrategy;
  /** Empty when the group has no members. Sorted by memberId. */
  readonly members: readonly StoredMember[];
  /** Coordinator clock when written, ms since the epoch. */
  readonly writtenMs: number;
}

/** Value of an OffsetCommit record. */
export interface OffsetCommitValue {
  /** The next offset the group will read. */
  readonly offset: number;
  /** Free-form text from the committer; "" when none. */
  readonly metadata: string;
  /** Coordinator clock at commit, ms since the epoch. */
  readonly commitMs: number;
}

/** One decoded record of the offsets topic. */
export type GroupRecord =
  | { readonly kind: typeof GroupRecordKind.GroupMetadata; readonly group: string; readonly value: GroupMetadataValue }
  | { readonly kind: typeof GroupRecordKind.OffsetCommit; readonly group: string; readonly topic: string; readonly partition: number; readonly value: OffsetCommitValue };

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** The produce record of a group's generation. */
export function groupMetadataRecord(group: string, value: GroupMetadataValue): ProduceRecord {
  return { key: packr.pack([GroupRecordKind.GroupMetadata, group]), value: packr.pack(value) };
}

/** The produce record of one committed offset. */
export function offsetCommitRecord(group: string, topic: string, partition: number, value: OffsetCommitValue): ProduceRecord {
  return { key: packr.pack([GroupRecordKind.OffsetCommit, group, topic, partition]), value: packr.pack(value) };
}

/**
 * Decode one record of the offsets topic; undefined for a record this build
 * does not understand (an unknown kind from a newer broker, or damage), which
 * the table skips.
 */
export function decodeGroupRecord(key: Uint8Array | undefined, value: Uint8Array): GroupRecord | undefined {
  if (key === undefined) return undefined;
  let k: unknown;
  let v: unknown;
  try {
    k = packr.unpack(key);
    v = packr.unpack(value);
  } catch {
    return undefined;
  }
  if (!Array.isArray(k) || !isName(k[1]) || typeof v !== "object" || v === null) return undefined;
  if (k[0] === GroupRecordKind.GroupMetadata && k.length === 2) {
    const value = groupMetadataValueOf(v);
    return value === undefined ? undefined : { kind: GroupRecordKind.GroupMetadata, group: k[1], value };
  }
  if (k[0] === GroupRecordKind.OffsetCommit && k.length === 4 && isName(k[2]) && isPartition(k[3])) {
    const value = offsetCommitValueOf(v as Record<string, unknown>);
    return value === undefined ? undefined : { kind: GroupRecordKind.OffsetCommit, group: k[1], topic: k[2], partition: k[3], value };
  }
  return undefined;
}

/**
 * The checks every stored value passes, whether it comes from a record of
 * the log (decodeGroupRecord) or from a snapshot (group-snapshot.ts): the
 * table holds only values that pass them, so a snapshot of it always
 * decodes again. Anything else in the offsets topic (a client may produce
 * to it) is skipped as undecodable, never trusted.
 */

/** A group id, topic or member name: a string of 1 .. stringLengthMax characters. */
export function isName(x: unknown): x is string {
  return typeof x === "string" && x.length >= 1 && x.length <= LIMIT_DEFAULTS.stringLengthMax;
}

/** A partition number: an integer in 0 .. 2^31 - 1 (Kafka's int32; limits.partitionsMax is a setting and may change). */
export function isPartition(x: unknown): x is number {
  return Number.isSafeInteger(x) && (x as number) >= 0 && (x as number) <= 0x7fff_ffff;
}

/** A stored count, offset or time: a safe integer >= 0. */
export function isNatural(x: unknown): x is number {
  return Number.isSafeInteger(x) && (x as number) >= 0;
}

/**
 * A stored time in ms: any finite number. Not an integer: a generation's
 * writtenMs is the coordinator's monotonic clock (performance.now()).
 */
export function isTimeMs(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x);
}

/** Offset metadata text: a string of at most stringLengthMax characters ("" when none). */
export function isMetadataText(x: unknown): x is string {
  return typeof x === "string" && x.length <= LIMIT_DEFAULTS.stringLengthMax;
}

/** The canonical OffsetCommitValue of a decoded object, or undefined when a field is missing or wrong. */
export function offsetCommitValueOf(v: Record<string, unknown>): OffsetCommitValue | undefined {
  const { offset, metadata, commitMs } = v;
  if (!isNatural(offset) || !isMetadataText(metadata) || !isTimeMs(commitMs)) return undefined;
  return { offset, metadata, commitMs };
}

/** The canonical GroupMetadataValue of a decoded object, or undefined when anything is missing, wrong or past a bound. */
export function groupMetadataValueOf(v: unknown): GroupMetadataValue | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const { generation, strategy, members, writtenMs } = v as Record<string, unknown>;
  if (!isNatural(generation) || !isTimeMs(writtenMs) || !ASSIGNMENT_STRATEGIES.includes(strategy as AssignmentStrategy)) return undefined;
  if (!Array.isArray(members) || members.length > GROUP_COORDINATOR_DEFAULTS.groupMembersMax) return undefined;
  const out: StoredMember[] = [];
  for (const m of members as unknown[]) {
    const member = storedMemberOf(m);
    if (member === undefined) return undefined;
    out.push(member);
  }
  return { generation, strategy: strategy as AssignmentStrategy, members: out, writtenMs };
}

function storedMemberOf(m: unknown): StoredMember | undefined {
  if (typeof m !== "object" || m === null) return undefined;
  const { memberId, clientId, topics, sessionTimeoutMs, rebalanceTimeoutMs, assignment } = m as Record<string, unknown>;
  if (!isName(memberId) || !isMetadataText(clientId) || !isNatural(sessionTimeoutMs) || !isNatural(rebalanceTimeoutMs)) return undefined;
  if (!Array.isArray(topics) || !topics.every(isName)) return undefined;
  if (!Array.isArray(assignment)) return undefined;
  const pairs: (readonly [string, readonly number[]])[] = [];
  for (const a of assignment as unknown[]) {
    if (!Array.isArray(a) || a.length !== 2 || !isName(a[0]) || !Array.isArray(a[1]) || !(a[1] as unknown[]).every(isPartition)) return undefined;
    pairs.push([a[0], [...(a[1] as number[])]]);
  }
  return { memberId, clientId, topics: [...(topics as string[])], sessionTimeoutMs, rebalanceTimeoutMs, assignment: pairs };
}
