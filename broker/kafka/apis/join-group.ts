/**
 * JoinGroup (key 11), v0-v5, on rlog's one group coordinator: Kafka
 * consumers and rlog SDK consumers can be members of the same groups.
 *
 * rlog's coordinator assigns partitions itself (server side,
 * broker/consumer-groups/consumer-group.ts), where Kafka's elects a member
 * to assign. So the response names no leader ("", which matches no member
 * id): every Kafka client (kafkajs consumerGroup.js `isLeader()`,
 * librdkafka's cgrp) then sends SyncGroup with no assignments and takes
 * its partitions from the SyncGroup response, which carries the
 * coordinator's assignment (sync-group.ts). The members list is always
 * empty (only a leader reads it).
 *
 * The protocol: protocol_type must be "consumer"; of the member's
 * protocols (assignor names, its preference order) the first whose name
 * means an rlog strategy (consumer-protocol.ts) is tried, and the next
 * when the group already runs another strategy; none:
 * INCONSISTENT_GROUP_PROTOCOL. The topics are those of that protocol's
 * ConsumerProtocol subscription. Static membership (group_instance_id,
 * v5) is not supported: such a member joins as a dynamic one.
 *
 * Timeouts: a session timeout outside rlog's bounds (sessionTimeoutMsMin
 * .. sessionTimeoutMsMax) gets INVALID_SESSION_TIMEOUT; the rebalance
 * timeout (v0: the session timeout) is served as at most
 * rebalanceTimeoutMsMax. Member ids are rlog's. The response waits, as
 * Kafka's does, until the generation this join completes is committed.
 */
import { ApiKey } from "../api-keys.js";
import type { KafkaApi, KafkaApiContext } from "../kafka-api.js";
import { KafkaError } from "../kafka-errors.js";
import { KafkaDecodeError, type KafkaReader } from "../kafka-reader.js";
import { KafkaWriter } from "../kafka-writer.js";
import { RlogError } from "../../protocol/errors.js";
import { apiErrorCode, GROUP_AUTHORIZATION } from "./api-error.js";
import { acceptableProtocols, CONSUMER_PROTOCOL_TYPE, decodeSubscription, type OfferedProtocol } from "./consumer-protocol.js";
import { invalidGroupId } from "./valid-request.js";

/** The leader every JoinGroup response names: no member (see the file comment). */
export const NO_LEADER = "";

interface JoinAnswer {
  readonly errorCode: number;
  readonly generation: number;
  readonly protocolName: string;
  readonly memberId: string;
}

/** The JoinGroup API: see the file comment. */
export const joinGroupApi: KafkaApi = {
  key: ApiKey.JoinGroup,
  name: "JoinGroup",
  minVersion: 0,
  maxVersion: 5,
  async handle(version: number, body: KafkaReader, ctx: KafkaApiContext): Promise<KafkaWriter> {
    const group = body.string("group_id");
    const sessionTimeoutMs = body.int32("session_timeout_ms");
    const rebalanceTimeoutMs = version >= 1 ? body.int32("rebalance_timeout_ms") : sessionTimeoutMs;
    const memberId = body.string("member_id");
    if (version >= 5) body.nullableString("group_instance_id");
    const protocolType = body.string("protocol_type");
    const protocols: OfferedProtocol[] = body.array((p) => ({ name: p.string("protocol name"), metadata: p.bytes("protocol metadata") }), "protocols");
    body.end("JoinGroup");
    const answer = await join({ group, sessionTimeoutMs, rebalanceTimeoutMs, memberId, protocolType, protocols }, ctx);
    const w = new KafkaWriter();
    if (version >= 2) w.int32(0); // throttle_time_ms
    w.int16(answer.errorCode).int32(answer.generation).string(answer.protocolName).string(NO_LEADER).string(answer.memberId);
    w.int32(0); // members: only a leader gets them, and there is none
    return w;
  },
};

interface JoinInput {
  readonly group: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly memberId: string;
  readonly protocolType: string;
  readonly protocols: readonly OfferedProtocol[];
}

async function join(input: JoinInput, ctx: KafkaApiContext): Promise<JoinAnswer> {
  const refuse = (errorCode: number): JoinAnswer => ({ errorCode, generation: -1, protocolName: "", memberId: input.memberId });
  if (invalidGroupId(input.group)) return refuse(KafkaError.INVALID_GROUP_ID);
  if (input.protocolType !== CONSUMER_PROTOCOL_TYPE) return refuse(KafkaError.INCONSISTENT_GROUP_PROTOCOL);
  const limits = ctx.cluster.limits;
  if (input.sessionTimeoutMs < limits.sessionTimeoutMsMin || input.sessionTimeoutMs > limits.sessionTimeoutMsMax) return refuse(KafkaError.INVALID_SESSION_TIMEOUT);
  const candidates = acceptableProtocols(input.protocols);
  if (candidates.length === 0) {
    ctx.log.info({ group: input.group, protocols: input.protocols.map((p) => p.name) }, "kafka JoinGroup: no assignor rlog serves (range, roundrobin, RoundRobinAssigner, sticky)");
    return refuse(KafkaError.INCONSISTENT_GROUP_PROTOCOL);
  }
  const rebalanceTimeoutMs = Math.min(Math.max(input.rebalanceTimeoutMs, 1), limits.rebalanceTimeoutMsMax);
  let code: number = KafkaError.INCONSISTENT_GROUP_PROTOCOL;
  for (const c of candidates) {
    let topics: readonly string[];
    try {
      topics = decodeSubscription(c.metadata).topics;
    } catch (err) {
      if (!(err instanceof KafkaDecodeError)) throw err;
      ctx.log.info({ group: input.group, protocol: c.name, err: err.message }, "kafka JoinGroup: subscription does not parse");
      return refuse(KafkaError.INCONSISTENT_GROUP_PROTOCOL);
    }
    try {
      const request = {
        op: "joinGroup" as const,
        group: input.group,
        memberId: input.memberId,
        topics: [...new Set(topics)],
        sessionTimeoutMs: input.sessionTimeoutMs,
        rebalanceTimeoutMs,
        assignmentStrategy: c.strategy,
      };
      const r = await ctx.call(request);
      return { errorCode: KafkaError.NONE, generation: r.generation, protocolName: c.name, memberId: r.memberId };
    } catch (err) {
      code = apiErrorCode(ctx, err, `joinGroup ${input.group}`, GROUP_AUTHORIZATION);
      // The group runs another strategy: the member's next acceptable assignor may be it.
      if (!(err instanceof RlogError && err.is("INCONSISTENT_GROUP_PROTOCOL"))) break;
    }
  }
  return refuse(code);
}
