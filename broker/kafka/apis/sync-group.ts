/**
 * SyncGroup (key 14), v0-v3: a member's partitions for its generation,
 * from rlog's coordinator (which assigned them: join-group.ts), encoded as
 * a ConsumerProtocol Assignment (consumer-protocol.ts). Assignments a
 * client sends (a client that took itself for the leader) are ignored: the
 * coordinator's assignment is the only one. Errors (REBALANCE_IN_PROGRESS,
 * ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, NOT_COORDINATOR, ...) come with an
 * empty assignment.
 */
import { ApiKey } from "../api-keys.js";
import type { KafkaApi, KafkaApiContext } from "../kafka-api.js";
import { KafkaError } from "../kafka-errors.js";
import type { KafkaReader } from "../kafka-reader.js";
import { KafkaWriter } from "../kafka-writer.js";
import { apiErrorCode, GROUP_AUTHORIZATION } from "./api-error.js";
import { encodeAssignment } from "./consumer-protocol.js";
import { invalidGroupId } from "./valid-request.js";

/** The SyncGroup API: see the file comment. */
export const syncGroupApi: KafkaApi = {
  key: ApiKey.SyncGroup,
  name: "SyncGroup",
  minVersion: 0,
  maxVersion: 3,
  async handle(version: number, body: KafkaReader, ctx: KafkaApiContext): Promise<KafkaWriter> {
    const group = body.string("group_id");
    const generation = body.int32("generation_id");
    const memberId = body.string("member_id");
    if (version >= 3) body.nullableString("group_instance_id");
    const sent = body.array((a) => (a.string("assignment member_id"), a.bytes("assignment")), "assignments");
    body.end("SyncGroup");
    if (sent.length > 0) ctx.log.debug({ group, memberId, assignments: sent.length }, "kafka SyncGroup: client assignments ignored (the coordinator assigns)");
    let errorCode: number = KafkaError.NONE;
    let assignment: Uint8Array = new Uint8Array(0);
    if (invalidGroupId(group)) errorCode = KafkaError.INVALID_GROUP_ID;
    else {
      try {
        const r = await ctx.call({ op: "syncGroup", group, generation, memberId });
        assignment = encodeAssignment(r.assignment);
      } catch (err) {
        errorCode = apiErrorCode(ctx, err, `syncGroup ${group}`, GROUP_AUTHORIZATION);
      }
    }
    const w = new KafkaWriter();
    if (version >= 1) w.int32(0); // throttle_time_ms
    return w.int16(errorCode).bytes(assignment);
  },
};
