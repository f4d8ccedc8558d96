/**
 * The committed consumer-group state of one offsets-topic partition: for
 * each group its last committed generation (GroupMetadata record) and its
 * committed offsets. Every replica of the partition applies the same
 * committed entries in the same order, so every replica holds the same
 * table, and a replica that becomes leader (the new coordinator) already has
 * every committed offset and the last committed generation.
 *
 * Deterministic and free of I/O and clocks. Bounded by what the coordinator
 * admits before writing (GROUPS_PER_PARTITION_MAX groups, GROUP_OFFSETS_MAX
 * offsets per group): applying never refuses a committed record.
 */
import { decodeUncompressedBatch } from "../protocol/record-batch.js";
import { EntryKind, type Entry, type Index, type Term } from "../raft/types.js";
import { decodeGroupRecord, GroupRecordKind, type GroupMetadataValue, type OffsetCommitValue } from "./group-records.js";

/** A group's committed state. */
export interface CommittedGroup {
  /** The last committed generation; undefined for a group that only has offsets (standalone commits). */
  metadata: GroupMetadataValue | undefined;
  /** Committed offsets by offsetKey(topic, partition). */
  readonly offsets: Map<string, OffsetCommitValue>;
}

/** Map key of a topic-partition. */
export function offsetKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** The inverse of offsetKey. */
export function parseOffsetKey(key: string): { readonly topic: string; readonly partition: number } {
  const at = key.lastIndexOf("\u0000");
  return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) };
}

/** See the file comment. */
export class GroupTable {
  private readonly byGroup = new Map<string, CommittedGroup>();
  /** Index of the last applied entry. */
  appliedIndex = 0 as Index;
  /** Term of the last applied entry: a leader serves once it equals its term (its no-op is applied). */
  appliedTerm = 0 as Term;
  /** Records that could not be decoded (skipped). */
  skippedRecords = 0;

  /** Apply committed entries in order (at start-up the replayed log, then each newly committed run). */
  apply(entries: readonly Entry[]): void {
    for (const e of entries) {
      if (e.index <= this.appliedIndex) continue;
      this.appliedIndex = e.index;
      this.appliedTerm = e.term;
      if (e.kind !== EntryKind.Records) continue;
      // The coordinator writes these batches uncompressed (the offsets topic keeps the producer's codec).
      const batch = decodeUncompressedBatch(e.data);
      if (!batch.ok) {
        this.skippedRecords += e.count;
        continue;
      }
      for (const r of batch.value.records) {
        const rec = r.value === null ? undefined : decodeGroupRecord(r.key ?? undefined, r.value);
        if (rec === undefined) {
          this.skippedRecords++;
          continue;
        }
        const g = this.groupOrNew(rec.group);
        if (rec.kind === GroupRecordKind.GroupMetadata) g.metadata = rec.value;
        else g.offsets.set(offsetKey(rec.topic, rec.partition), rec.value);
      }
    }
  }

  /** Forget everything (the log was replaced by a snapshot; see docs/GROUPS.md). */
  reset(index: Index, term: Term): void {
    this.byGroup.clear();
    this.appliedIndex = index;
    this.appliedTerm = term;
  }

  /**
   * Replace the whole table by the groups of a snapshot taken at `index`
   * (decoded by group-snapshot.ts): at start-up before the log after it is
   * replayed, or when a leader's snapshot replaces this replica's log.
   */
  restore(index: Index, term: Term, groups: Map<string, CommittedGroup>): void {
    this.byGroup.clear();
    for (const [id, g] of groups) this.byGroup.set(id, g);
    this.appliedIndex = index;
    this.appliedTerm = term;
  }

  /** Every group with its committed state (for a snapshot: group-snapshot.ts encodes it). Read only. */
  groups(): ReadonlyMap<string, CommittedGroup> {
    return this.byGroup;
  }

  /** Committed offsets over all groups (O(groups); for logs and the snapshot size warning). */
  offsetCount(): number {
    let n = 0;
    for (const g of this.byGroup.values()) n += g.offsets.size;
    return n;
  }

  /** A group's committed state, or undefined when nothing was ever committed for it. */
  group(id: string): CommittedGroup | undefined {
    return this.byGroup.get(id);
  }

  /** Every group id, unordered. */
  groupIds(): IterableIterator<string> {
    return this.byGroup.keys();
  }

  /** Number of groups. */
  get size(): number {
    return this.byGroup.size;
  }

  private groupOrNew(id: string): CommittedGroup {
    let g = this.byGroup.get(id);
    if (g === undefined) {
      g = { metadata: undefined, offsets: new Map() };
      this.byGroup.set(id, g);
    }
    return g;
  }
}
