/**
 * LeaveGroup (key 13), v0-v3: members leave rlog's coordinator at once
 * (the rest rebalance). v3 takes a list of members and answers each; the
 * top-level error is then the one all members share when they do (a
 * group-level failure such as NOT_COORDINATOR), else NONE.
 */
import { ApiKey } from "../api-keys.js";
import type { KafkaApi, KafkaApiContext } from "../kafka-api.js";
import { KafkaError } from "../kafka-errors.js";
import type { KafkaReader } from "../kafka-reader.js";
import { KafkaWriter } from "../kafka-writer.js";
import { apiErrorCode, GROUP_AUTHORIZATION } from "./api-error.js";
import { invalidGroupId } from "./valid-request.js";

interface Leaving {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

/** The LeaveGroup API: see the file comment. */
export const leaveGroupApi: KafkaApi = {
  key: ApiKey.LeaveGroup,
  name: "LeaveGroup",
  minVersion: 0,
  maxVersion: 3,
  async handle(version: number, body: KafkaReader, ctx: KafkaApiContext): Promise<KafkaWriter> {
    const group = body.string("group_id");
    const members: Leaving[] =
      version >= 3
        ? body.array((m) => ({ memberId: m.string("member_id"), groupInstanceId: m.nullableString("group_instance_id") }), "members")
        : [{ memberId: body.string("member_id"), groupInstanceId: null }];
    body.end("LeaveGroup");
    const codes: number[] = [];
    for (const m of members) codes.push(await leave(group, m.memberId, ctx));
    const w = new KafkaWriter();
    if (version >= 1) w.int32(0); // throttle_time_ms
    if (version < 3) return w.int16(codes[0] ?? KafkaError.NONE);
    const shared = codes.length > 0 && codes.every((c) => c === codes[0]) ? codes[0]! : KafkaError.NONE;
    w.int16(shared);
    w.array(
      members.map((m, i) => ({ ...m, code: codes[i]! })),
      (x, m) => x.string(m.memberId).nullableString(m.groupInstanceId).int16(m.code),
    );
    return w;
  },
};

async function leave(group: string, memberId: string, ctx: KafkaApiContext): Promise<number> {
  if (invalidGroupId(group)) return KafkaError.INVALID_GROUP_ID;
  try {
    await ctx.call({ op: "leaveGroup", group, memberId });
    return KafkaError.NONE;
  } catch (err) {
    return apiErrorCode(ctx, err, `leaveGroup ${group}`, GROUP_AUTHORIZATION);
  }
}
