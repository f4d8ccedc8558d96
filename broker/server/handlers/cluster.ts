/**
 * Cluster-wide views: metadata (brokers, controller, every partition's
 * leader as this broker knows it, hosted or not) and clusterStatus (this
 * broker's own view; the CLI merges every broker's answer).
 */
import { partitionGroupId } from "../../cluster/names.js";
import type { PartitionStatus } from "../../protocol/results.js";
import type { HandlerContext } from "../handler-context.js";
import type { HandlersFor } from "../handlers.js";
import { topicMetadata } from "./topic-views.js";

/** The controller voters and learners this broker holds. */
function membership(ctx: HandlerContext): { voters: readonly number[]; learners: readonly number[] } {
  const m = ctx.brokerAdmin.controllerMembership();
  return { voters: m.voters, learners: m.learners };
}

/** metadata and clusterStatus. */
export function clusterHandlers(ctx: HandlerContext): HandlersFor<"metadata" | "clusterStatus"> {
  return {
    metadata: async (req, rc) => {
      // Topics the principal may not describe are left out, as unknown ones are.
      const all = ctx.metadata.topics().filter((t) => ctx.authorizer.allowed(rc.principal, "topic", t.name, "describe"));
      const topics = req.topics ? all.filter((t) => req.topics!.includes(t.name)) : all;
      return {
        brokers: ctx.brokers.map((x) => ({ brokerId: x.id, clientUrl: x.clientUrl })),
        controllerId: ctx.controller.leader(),
        topics: topics.map((t) => topicMetadata(ctx, t)),
      };
    },

    clusterStatus: async () => {
      const partitions: PartitionStatus[] = [];
      for (const t of ctx.metadata.topics()) {
        t.replicas.forEach((replicas, p) => {
          const group = partitionGroupId(t.id, p);
          const r = ctx.hostedReplica(group);
          if (r) partitions.push(r.status(replicas, (id) => ctx.reachable(id)));
          else {
            // Hosted elsewhere: the leader as announced; offsets and replica states only the replicas know.
            const { leader, term } = ctx.leaderOf(group);
            partitions.push({ topic: t.name, partition: p, leader, term, preferredLeader: replicas[0] ?? 0, highWatermark: 0, logStartOffset: 0, replicas: [] });
          }
        });
      }
      return {
        brokers: ctx.brokers.map((x) => ({ brokerId: x.id, clientUrl: x.clientUrl, reachable: ctx.reachable(x.id) })),
        controller: { ...ctx.controller.leaderInfo(), lastIndex: ctx.controller.logLastIndex(), ...membership(ctx) },
        partitions,
      };
    },
  };
}
