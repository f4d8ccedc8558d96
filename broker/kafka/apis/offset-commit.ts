/**
 * OffsetCommit (key 8), v2-v7: a group's consumed positions, written to
 * rlog's one offsets table (what rlog's fetchOffsets reads back, and the
 * other way round). A member's commit names its generation and member id;
 * generation -1 with an empty member id is a standalone commit (Kafka's
 * "simple consumer" commit), accepted while the group has no members
 * (rlog's GROUP_NOT_EMPTY otherwise, sent as NON_EMPTY_GROUP). The commit is one rlog write:
 * every partition gets the same error code. retention_time (v2-v4) is
 * ignored: rlog keeps a group's offsets until the group is deleted; the
 * committed leader epoch (v6+) is not kept. A null metadata string is
 * stored as ""; one longer than rlog keeps (stringLengthMax) refuses the
 * commit with OFFSET_METADATA_TOO_LARGE.
 */
import { ApiKey } from "../api-keys.js";
import type { KafkaApi, KafkaApiContext } from "../kafka-api.js";
import { KafkaError } from "../kafka-errors.js";
import type { KafkaReader } from "../kafka-reader.js";
import { KafkaWriter } from "../kafka-writer.js";
import type { CommitOffset } from "../../protocol/requests.js";
import { apiErrorCode, GROUP_AUTHORIZATION } from "./api-error.js";
import { invalidGroupId, metadataTooLarge } from "./valid-request.js";

/** The generation of a standalone commit (with an empty member id). */
export const STANDALONE_GENERATION = -1;

interface CommitTopic {
  readonly topic: string;
  readonly partitions: readonly { readonly partition: number; readonly offset: number; readonly metadata: string | null }[];
}

/** The OffsetCommit API: see the file comment. */
export const offsetCommitApi: KafkaApi = {
  key: ApiKey.OffsetCommit,
  name: "OffsetCommit",
  minVersion: 2,
  maxVersion: 7,
  async handle(version: number, body: KafkaReader, ctx: KafkaApiContext): Promise<KafkaWriter> {
    const group = body.string("group_id");
    const generation = body.int32("generation_id");
    const memberId = body.string("member_id");
    if (version >= 7) body.nullableString("group_instance_id");
    if (version <= 4) body.int64("retention_time_ms");
    const topics: CommitTopic[] = body.array(
      (t) => ({
        topic: t.string("topic"),
        partitions: t.array((p) => {
          const partition = p.int32("partition");
          const offset = p.int64("committed_offset");
          if (version >= 6) p.int32("committed_leader_epoch");
          return { partition, offset, metadata: p.nullableString("committed_metadata") };
        }, "partitions"),
      }),
      "topics",
    );
    body.end("OffsetCommit");
    const code = await commit(group, generation, memberId, topics, ctx);
    const w = new KafkaWriter();
    if (version >= 3) w.int32(0); // throttle_time_ms
    w.array(topics, (x, t) => {
      x.string(t.topic);
      x.array(t.partitions, (y, p) => y.int32(p.partition).int16(code));
    });
    return w;
  },
};

async function commit(group: string, generation: number, memberId: string, topics: readonly CommitTopic[], ctx: KafkaApiContext): Promise<number> {
  if (invalidGroupId(group)) return KafkaError.INVALID_GROUP_ID;
  if (topics.some((t) => t.partitions.some((p) => metadataTooLarge(p.metadata)))) return KafkaError.OFFSET_METADATA_TOO_LARGE;
  const offsets: CommitOffset[] = topics.flatMap((t) =>
    t.partitions.map((p) => (p.metadata === null || p.metadata === "" ? { topic: t.topic, partition: p.partition, offset: p.offset } : { topic: t.topic, partition: p.partition, offset: p.offset, metadata: p.metadata })),
  );
  if (offsets.length === 0) return KafkaError.NONE;
  const standalone = generation === STANDALONE_GENERATION && memberId === "";
  try {
    const request = standalone ? { op: "commitOffsets" as const, group, offsets } : { op: "commitOffsets" as const, group, generation, memberId, offsets };
    await ctx.call(request);
    return KafkaError.NONE;
  } catch (err) {
    return apiErrorCode(ctx, err, `commitOffsets ${group}`, GROUP_AUTHORIZATION);
  }
}
