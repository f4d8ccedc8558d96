/**
 * Heartbeat (key 12), v0-v3: keeps a member's session alive on rlog's
 * coordinator. REBALANCE_IN_PROGRESS tells the member to rejoin;
 * ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID as in Kafka.
 */
import { ApiKey } from "../api-keys.js";
import type { KafkaApi, KafkaApiContext } from "../kafka-api.js";
import { KafkaError } from "../kafka-errors.js";
import type { KafkaReader } from "../kafka-reader.js";
import { KafkaWriter } from "../kafka-writer.js";
import { apiErrorCode, GROUP_AUTHORIZATION } from "./api-error.js";
import { invalidGroupId } from "./valid-request.js";

/** The Heartbeat API: see the file comment. */
export const heartbeatApi: KafkaApi = {
  key: ApiKey.Heartbeat,
  name: "Heartbeat",
  minVersion: 0,
  maxVersion: 3,
  async handle(version: number, body: KafkaReader, ctx: KafkaApiContext): Promise<KafkaWriter> {
    const group = body.string("group_id");
    const generation = body.int32("generation_id");
    const memberId = body.string("member_id");
    if (version >= 3) body.nullableString("group_instance_id");
    body.end("Heartbeat");
    let errorCode: number = KafkaError.NONE;
    if (invalidGroupId(group)) errorCode = KafkaError.INVALID_GROUP_ID;
    else {
      try {
        await ctx.call({ op: "heartbeat", group, generation, memberId });
      } catch (err) {
        errorCode = apiErrorCode(ctx, err, `heartbeat ${group}`, GROUP_AUTHORIZATION);
      }
    }
    const w = new KafkaWriter();
    if (version >= 1) w.int32(0); // throttle_time_ms
    return w.int16(errorCode);
  },
};
