/**
 * Partition reassignment (docs/OPERATIONS.md, "Moving partitions"):
 * reassignPartitions, cancelReassignment and decommissionBroker through the controller
 * (NOT_CONTROLLER with a hint on other brokers), listReassignments from this
 * broker's applied metadata and what it knows of each moving group.
 */
import { nodeId } from "../../raft/types.js";
import { partitionGroupId } from "../../cluster/names.js";
import type { ReassignmentStatus } from "../../protocol/results.js";
import type { HandlerContext } from "../handler-context.js";
import type { HandlersFor } from "../handlers.js";

/** reassignPartitions, listReassignments, decommissionBroker. */
export function reassignmentHandlers(ctx: HandlerContext): HandlersFor<"reassignPartitions" | "listReassignments" | "cancelReassignment" | "decommissionBroker"> {
  return {
    reassignPartitions: async (req) => ({
      moves: await ctx.controller.reassignPartitions(req.moves.map((m) => ({ topic: m.topic, partition: m.partition, replicas: m.replicas.map(nodeId) }))),
    }),

    listReassignments: async () => {
      const out: ReassignmentStatus[] = [];
      for (const t of ctx.metadata.topics()) {
        for (const r of t.reassignments ?? []) {
          const group = partitionGroupId(t.id, r.partition);
          const progress = ctx.reassignmentProgress(group, r.target);
          out.push({
            topic: t.name,
            partition: r.partition,
            from: [...(t.replicas[r.partition] ?? [])],
            target: [...r.target],
            leader: ctx.leaderOf(group).leader,
            ...progress,
            ...(r.cancelled === undefined ? {} : { cancelledTarget: [...r.cancelled] }),
          });
        }
      }
      return { reassignments: out };
    },

    cancelReassignment: async (req) => ({ cancelled: await ctx.controller.cancelReassignment(req.partitions) }),

    decommissionBroker: async (req) => ({ moves: await ctx.controller.decommissionBroker(nodeId(req.brokerId)) }),
  };
}
