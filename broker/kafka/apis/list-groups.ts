/**
 * ListGroups (key 16), v0-v2: the groups this broker coordinates (as in
 * Kafka, a client asks every broker and merges), those the principal may
 * describe, all with protocol_type "consumer".
 */
import { ApiKey } from "../api-keys.js";
import type { KafkaApi, KafkaApiContext } from "../kafka-api.js";
import { KafkaError } from "../kafka-errors.js";
import type { KafkaReader } from "../kafka-reader.js";
import { KafkaWriter } from "../kafka-writer.js";
import type { GroupSummary } from "../../protocol/results.js";
import { apiErrorCode, GROUP_AUTHORIZATION } from "./api-error.js";
import { CONSUMER_PROTOCOL_TYPE } from "./consumer-protocol.js";

/** The ListGroups API: see the file comment. */
export const listGroupsApi: KafkaApi = {
  key: ApiKey.ListGroups,
  name: "ListGroups",
  minVersion: 0,
  maxVersion: 2,
  async handle(version: number, body: KafkaReader, ctx: KafkaApiContext): Promise<KafkaWriter> {
    body.end("ListGroups");
    let errorCode: number = KafkaError.NONE;
    let groups: readonly GroupSummary[] = [];
    try {
      groups = (await ctx.call({ op: "listGroups" })).groups;
    } catch (err) {
      errorCode = apiErrorCode(ctx, err, "listGroups", GROUP_AUTHORIZATION);
    }
    const w = new KafkaWriter();
    if (version >= 1) w.int32(0); // throttle_time_ms
    w.int16(errorCode);
    w.array(groups, (x, g) => x.string(g.group).string(CONSUMER_PROTOCOL_TYPE));
    return w;
  },
};
