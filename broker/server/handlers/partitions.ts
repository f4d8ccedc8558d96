/**
 * Data operations on one partition (produce, fetch, listOffsets: served by
 * its leader's replica, NOT_LEADER with a hint elsewhere) and leadership
 * moves (transferLeader on the partition's leader; rebalanceLeaders through
 * the controller, so that every broker moves what it leads).
 */
import { RlogError } from "../../protocol/errors.js";
import type { LeaderMove } from "../../protocol/results.js";
import { TRANSFER_WAIT_MS_DEFAULT } from "../../partition/partition-replica.js";
import { nodeId, type NodeId } from "../../raft/types.js";
import type { HandlerContext } from "../handler-context.js";
import type { HandlersFor } from "../handlers.js";
import { FETCH_BUDGET_WAIT_MS_MIN, fetchReservationBytes } from "../response-budget.js";
import { partitionMetadata } from "./topic-views.js";

/** produce, fetch, listOffsets, transferLeader, rebalanceLeaders. */
export function partitionHandlers(ctx: HandlerContext): HandlersFor<"produce" | "fetch" | "listOffsets" | "transferLeader" | "rebalanceLeaders"> {
  return {
    produce: (req) => ctx.replica(req.topic, req.partition).produce(req),

    fetch: (req, rc) => {
      // Response memory (response-budget.ts): reserved after the long poll, before the log is read;
      // no budget within what is left of maxWaitMs (at least FETCH_BUDGET_WAIT_MS_MIN) answers no records, like an empty long poll.
      const reserveBytes = fetchReservationBytes(req.maxBytes, ctx.limits);
      const deadlineMs = performance.now() + Math.max(req.maxWaitMs, FETCH_BUDGET_WAIT_MS_MIN);
      return ctx.replica(req.topic, req.partition).fetch(req, rc.signal, () => rc.reserveResponseBytes(reserveBytes, deadlineMs - performance.now()));
    },

    listOffsets: async (req) => ctx.replica(req.topic, req.partition).listOffsets(req),

    transferLeader: async (req, rc) => {
      const target: NodeId | undefined = req.toBrokerId === undefined ? undefined : nodeId(req.toBrokerId);
      // Refused the same way on every broker, before routing: a target that is not a replica can never lead.
      const replicas = ctx.metadata.topic(req.topic)?.replicas[req.partition];
      if (target !== undefined && replicas !== undefined && !replicas.includes(target)) {
        const known = ctx.brokers.some((x) => x.id === target);
        throw new RlogError(
          "INVALID_REQUEST",
          `broker ${target} ${known ? "is not a replica of" : "is not a broker of this cluster, so it cannot lead"} ${req.topic}/${req.partition} (replicas ${replicas.join(",")}); transfer to one of them`,
        );
      }
      return ctx.replica(req.topic, req.partition).transferLeadership(target, req.timeoutMs ?? TRANSFER_WAIT_MS_DEFAULT, rc.signal);
    },

    rebalanceLeaders: async (req) => {
      // The request travels through the metadata log so that every broker moves what it leads.
      await ctx.controller.requestRebalance(req.topic);
      const moves: LeaderMove[] = [];
      for (const t of ctx.metadata.topics()) {
        if (req.topic !== undefined && t.name !== req.topic) continue;
        for (const [p, s] of partitionMetadata(ctx, t).entries()) {
          const preferred = t.replicas[p]![0]!;
          if (s.leader !== 0 && s.leader !== preferred) moves.push({ topic: t.name, partition: p, fromBrokerId: s.leader, toBrokerId: preferred });
        }
      }
      return { moves };
    },
  };
}
