/**
 * The snapshot of one offsets-topic partition's group table (group-table.ts):
 * every group's last committed generation and its committed offsets, as of
 * one applied index. Each replica takes it on its own every
 * groupsSnapshotEntries applied entries and compacts its log to it; a
 * replica restarting restores it and replays only the entries after it; a
 * follower behind the leader's log start receives it (InstallSnapshot).
 *
 * Encoding (msgpack; the version and every position are stored, so
 * append-only):
 *
 *   [GROUP_SNAPSHOT_VERSION, groups]
 *   groups  = [[groupId, metadata | null, offsets], ...]
 *   offsets = [topic, [partition, offset, commitMs, metadata, partition, ...], topic, [...], ...]
 *
 * metadata is the GroupMetadataValue object as in the log. Offsets are
 * grouped by topic and flattened (four values per partition, no per-offset
 * array or keys): about 20 bytes per committed offset.
 *
 * Decoding is bounded and total: the data is at most
 * GROUP_SNAPSHOT_BYTES_MAX bytes (checked before it is parsed, so every count
 * inside is bounded by it), and every value passes the same checks as a
 * record of the log (group-records.ts); a group, or a topic-partition of a
 * group, twice is refused. Anything else throws GroupSnapshotError, never
 * something else: a damaged or hostile snapshot is refused whole.
 */
import { Packr } from "msgpackr";
import { GROUP_SNAPSHOT_BYTES_MAX } from "./group-limits.js";
import { groupMetadataValueOf, isMetadataText, isName, isNatural, isPartition, isTimeMs, type GroupMetadataValue, type OffsetCommitValue } from "./group-records.js";
import { offsetKey, parseOffsetKey, type CommittedGroup } from "./group-table.js";

/** Format version, the first element of a snapshot. Stored: a new format gets a new number. */
export const GROUP_SNAPSHOT_VERSION = 1;

/** A snapshot that cannot be decoded: damaged, hostile, too large, or of an unknown version. */
export class GroupSnapshotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GroupSnapshotError";
  }
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** Encode the table's groups (see the file comment). The caller checks the size against GROUP_SNAPSHOT_BYTES_MAX. */
export function encodeGroupSnapshot(groups: ReadonlyMap<string, CommittedGroup>): Uint8Array {
  const out: unknown[] = [];
  for (const [id, g] of groups) {
    const byTopic = new Map<string, unknown[]>();
    for (const [key, v] of g.offsets) {
      const { topic, partition } = parseOffsetKey(key);
      let flat = byTopic.get(topic);
      if (flat === undefined) {
        flat = [];
        byTopic.set(topic, flat);
      }
      flat.push(partition, v.offset, v.commitMs, v.metadata);
    }
    const offsets: unknown[] = [];
    for (const [topic, flat] of byTopic) offsets.push(topic, flat);
    out.push([id, g.metadata ?? null, offsets]);
  }
  return packr.pack([GROUP_SNAPSHOT_VERSION, out]);
}

/** Decode a snapshot into fresh groups; throws GroupSnapshotError on anything but a well-formed snapshot. */
export function decodeGroupSnapshot(data: Uint8Array): Map<string, CommittedGroup> {
  if (data.byteLength > GROUP_SNAPSHOT_BYTES_MAX) {
    throw new GroupSnapshotError(`group snapshot of ${data.byteLength} bytes exceeds GROUP_SNAPSHOT_BYTES_MAX (${GROUP_SNAPSHOT_BYTES_MAX})`);
  }
  let root: unknown;
  try {
    root = packr.unpack(data);
  } catch (err) {
    throw new GroupSnapshotError(`group snapshot is not valid msgpack: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(root) || root.length !== 2) throw new GroupSnapshotError("group snapshot is not [version, groups]");
  if (root[0] !== GROUP_SNAPSHOT_VERSION) throw new GroupSnapshotError(`group snapshot version ${String(root[0])} is not ${GROUP_SNAPSHOT_VERSION}`);
  const groups = root[1] as unknown;
  if (!Array.isArray(groups)) throw new GroupSnapshotError("group snapshot's groups are not a list");
  const out = new Map<string, CommittedGroup>();
  for (const g of groups as unknown[]) {
    if (!Array.isArray(g) || g.length !== 3) throw new GroupSnapshotError("a group of the snapshot is not [id, metadata, offsets]");
    const [id, rawMetadata, rawOffsets] = g as [unknown, unknown, unknown];
    if (!isName(id)) throw new GroupSnapshotError("a group id of the snapshot is not a valid name");
    if (out.has(id)) throw new GroupSnapshotError(`group ${id} appears twice in the snapshot`);
    let metadata: GroupMetadataValue | undefined;
    if (rawMetadata !== null) {
      metadata = groupMetadataValueOf(rawMetadata);
      if (metadata === undefined) throw new GroupSnapshotError(`group ${id}: its generation record in the snapshot is not valid`);
    }
    out.set(id, { metadata, offsets: decodeOffsets(id, rawOffsets) });
  }
  return out;
}

function decodeOffsets(group: string, raw: unknown): Map<string, OffsetCommitValue> {
  if (!Array.isArray(raw) || raw.length % 2 !== 0) throw new GroupSnapshotError(`group ${group}: its offsets in the snapshot are not [topic, partitions, ...]`);
  const offsets = new Map<string, OffsetCommitValue>();
  for (let t = 0; t < raw.length; t += 2) {
    const topic: unknown = raw[t];
    const flat: unknown = raw[t + 1];
    if (!isName(topic)) throw new GroupSnapshotError(`group ${group}: a topic of its offsets is not a valid name`);
    if (!Array.isArray(flat) || flat.length % 4 !== 0) throw new GroupSnapshotError(`group ${group}: the offsets of ${topic} are not [partition, offset, commitMs, metadata, ...]`);
    for (let i = 0; i < flat.length; i += 4) {
      const partition: unknown = flat[i];
      const offset: unknown = flat[i + 1];
      const commitMs: unknown = flat[i + 2];
      const metadata: unknown = flat[i + 3];
      if (!isPartition(partition) || !isNatural(offset) || !isTimeMs(commitMs) || !isMetadataText(metadata)) {
        throw new GroupSnapshotError(`group ${group}: an offset of ${topic} in the snapshot is not valid`);
      }
      const key = offsetKey(topic, partition);
      if (offsets.has(key)) throw new GroupSnapshotError(`group ${group}: ${topic}/${partition} appears twice in the snapshot`);
      offsets.set(key, { offset, metadata, commitMs });
    }
  }
  return offsets;
}
