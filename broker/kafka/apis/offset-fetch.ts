/**
 * OffsetFetch (key 9), v1-v5: a group's committed offsets from rlog's one
 * offsets table (also what rlog's SDK commits). A requested partition
 * without a committed offset gets offset -1 (the client then applies its
 * reset policy). v2+: a null topic list means every offset the group has
 * committed, and a group-level failure (NOT_COORDINATOR,
 * COORDINATOR_NOT_AVAILABLE, ...) is the top-level error_code with no
 * topics; v1 has no top-level error, so every requested partition carries
 * it. The committed leader epoch (v5) is answered -1: rlog does not keep it.
 */
import { ApiKey } from "../api-keys.js";
import type { KafkaApi, KafkaApiContext } from "../kafka-api.js";
import { KafkaError } from "../kafka-errors.js";
import type { KafkaReader } from "../kafka-reader.js";
import { KafkaWriter } from "../kafka-writer.js";
import type { CommitOffset } from "../../protocol/requests.js";
import { apiErrorCode, GROUP_AUTHORIZATION } from "./api-error.js";
import { invalidGroupId } from "./valid-request.js";

interface FetchedTopic {
  readonly topic: string;
  readonly partitions: { readonly partition: number; readonly offset: number; readonly metadata: string; readonly errorCode: number }[];
}

/** The OffsetFetch API: see the file comment. */
export const offsetFetchApi: KafkaApi = {
  key: ApiKey.OffsetFetch,
  name: "OffsetFetch",
  minVersion: 1,
  maxVersion: 5,
  async handle(version: number, body: KafkaReader, ctx: KafkaApiContext): Promise<KafkaWriter> {
    const group = body.string("group_id");
    const read = (r: KafkaReader): { topic: string; partitions: number[] } => ({ topic: r.string("topic"), partitions: r.array((p) => p.int32("partition"), "partition_indexes") });
    const requested = version >= 2 ? body.nullableArray(read, "topics") : body.array(read, "topics");
    body.end("OffsetFetch");
    let errorCode: number = KafkaError.NONE;
    let committed: readonly CommitOffset[] = [];
    if (invalidGroupId(group)) errorCode = KafkaError.INVALID_GROUP_ID;
    else {
      try {
        const partitions = requested?.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
        if (partitions === undefined || partitions.length > 0) {
          const r = await ctx.call(partitions === undefined ? { op: "fetchOffsets", group } : { op: "fetchOffsets", group, partitions });
          committed = r.offsets;
        }
      } catch (err) {
        errorCode = apiErrorCode(ctx, err, `fetchOffsets ${group}`, GROUP_AUTHORIZATION);
      }
    }
    const topics = answerTopics(requested, committed, version >= 2 && errorCode !== KafkaError.NONE ? undefined : errorCode);
    const w = new KafkaWriter();
    if (version >= 3) w.int32(0); // throttle_time_ms
    w.array(topics, (x, t) => {
      x.string(t.topic);
      x.array(t.partitions, (y, p) => {
        y.int32(p.partition).int64(p.offset);
        if (version >= 5) y.int32(-1); // committed_leader_epoch: not kept
        y.nullableString(p.metadata).int16(p.errorCode);
      });
    });
    if (version >= 2) w.int16(errorCode);
    return w;
  },
};

/**
 * The topics to answer: those requested (-1 where nothing is committed), or
 * every committed one when `requested` is null. `partitionError` undefined:
 * a group-level error answered at the top level, no topics.
 */
function answerTopics(requested: readonly { topic: string; partitions: number[] }[] | null, committed: readonly CommitOffset[], partitionError: number | undefined): FetchedTopic[] {
  if (partitionError === undefined) return [];
  const byKey = new Map(committed.map((o) => [`${o.partition}/${o.topic}`, o]));
  const entry = (topic: string, partition: number): FetchedTopic["partitions"][number] => {
    const o = byKey.get(`${partition}/${topic}`);
    return o === undefined || partitionError !== KafkaError.NONE
      ? { partition, offset: -1, metadata: "", errorCode: partitionError }
      : { partition, offset: o.offset, metadata: o.metadata ?? "", errorCode: KafkaError.NONE };
  };
  if (requested !== null) return requested.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => entry(t.topic, p)) }));
  const topics = new Map<string, FetchedTopic>();
  for (const o of committed) {
    let t = topics.get(o.topic);
    if (t === undefined) topics.set(o.topic, (t = { topic: o.topic, partitions: [] }));
    t.partitions.push(entry(o.topic, o.partition));
  }
  return [...topics.values()];
}
