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
import type { AssignmentStrategy } from "../protocol/enums.js";
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
  if (!Array.isArray(k) || typeof k[1] !== "string" || typeof v !== "object" || v === null) return undefined;
  if (k[0] === GroupRecordKind.GroupMetadata && k.length === 2) {
    return { kind: GroupRecordKind.GroupMetadata, group: k[1], value: v as GroupMetadataValue };
  }
  if (k[0] === GroupRecordKind.OffsetCommit && k.length === 4 && typeof k[2] === "string" && typeof k[3] === "number") {
    return { kind: GroupRecordKind.OffsetCommit, group: k[1], topic: k[2], partition: k[3], value: v as OffsetCommitValue };
  }
  return undefined;
}
