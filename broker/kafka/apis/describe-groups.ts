/**
 * DescribeGroups (key 15), v0-v4: each group's state, members and their
 * assignments, from rlog's coordinator (describeGroup). States use Kafka's
 * names (rlog's GroupState is Kafka's). protocol_type is "consumer" (rlog
 * groups are consumer groups) and protocol_data "" (rlog keeps the group's
 * strategy, not the assignor name a client offered). A member's metadata
 * is a ConsumerProtocol Subscription of the topics it is assigned, its
 * assignment an Assignment; client_host is "" (not kept). A group that does
 * not exist is "Dead" with no error, as in Kafka.
 */
import { ApiKey } from "../api-keys.js";
import type { KafkaApi, KafkaApiContext } from "../kafka-api.js";
import { KafkaError } from "../kafka-errors.js";
import type { KafkaReader } from "../kafka-reader.js";
import { KafkaWriter } from "../kafka-writer.js";
import { GroupState } from "../../protocol/enums.js";
import { RlogError } from "../../protocol/errors.js";
import type { DescribeGroupResult } from "../../protocol/results.js";
import { apiErrorCode, GROUP_AUTHORIZATION } from "./api-error.js";
import { CONSUMER_PROTOCOL_TYPE, encodeAssignment, encodeSubscription } from "./consumer-protocol.js";
import { invalidGroupId } from "./valid-request.js";

/** Kafka's name of each group state. */
export const GROUP_STATE_NAMES: { readonly [S in GroupState]: string } = {
  [GroupState.Empty]: "Empty",
  [GroupState.PreparingRebalance]: "PreparingRebalance",
  [GroupState.CompletingRebalance]: "CompletingRebalance",
  [GroupState.Stable]: "Stable",
  [GroupState.Dead]: "Dead",
};

/** Kafka's "authorized operations not requested" value. */
const AUTHORIZED_OPERATIONS_OMITTED = -2_147_483_648;

interface Described {
  readonly group: string;
  readonly errorCode: number;
  readonly result: DescribeGroupResult | undefined;
}

/** The DescribeGroups API: see the file comment. */
export const describeGroupsApi: KafkaApi = {
  key: ApiKey.DescribeGroups,
  name: "DescribeGroups",
  minVersion: 0,
  maxVersion: 4,
  async handle(version: number, body: KafkaReader, ctx: KafkaApiContext): Promise<KafkaWriter> {
    const groups = body.array((r) => r.string("group"), "groups");
    if (version >= 3) body.bool("include_authorized_operations");
    body.end("DescribeGroups");
    const described = await Promise.all(groups.map((g) => describe(g, ctx)));
    const w = new KafkaWriter();
    if (version >= 1) w.int32(0); // throttle_time_ms
    w.array(described, (x, d) => {
      const r = d.result;
      x.int16(d.errorCode).string(d.group);
      x.string(r === undefined ? (d.errorCode === KafkaError.NONE ? "Dead" : "") : GROUP_STATE_NAMES[r.state]);
      x.string(r === undefined ? "" : CONSUMER_PROTOCOL_TYPE).string("");
      x.array(r?.members ?? [], (y, m) => {
        y.string(m.memberId);
        if (version >= 4) y.nullableString(null); // group_instance_id: no static members
        y.string(m.clientId).string("");
        y.bytes(encodeSubscription(m.assignment.map((a) => a.topic))).bytes(encodeAssignment(m.assignment));
      });
      if (version >= 3) x.int32(AUTHORIZED_OPERATIONS_OMITTED);
    });
    return w;
  },
};

async function describe(group: string, ctx: KafkaApiContext): Promise<Described> {
  if (invalidGroupId(group)) return { group, errorCode: KafkaError.INVALID_GROUP_ID, result: undefined };
  try {
    return { group, errorCode: KafkaError.NONE, result: await ctx.call({ op: "describeGroup", group }) };
  } catch (err) {
    if (err instanceof RlogError && err.is("UNKNOWN_GROUP")) return { group, errorCode: KafkaError.NONE, result: undefined };
    return { group, errorCode: apiErrorCode(ctx, err, `describeGroup ${group}`, GROUP_AUTHORIZATION), result: undefined };
  }
}
