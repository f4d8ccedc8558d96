/**
 * Consumer-group operations, served by the group coordinator
 * (broker/consumer-groups/coordinator.ts): NOT_COORDINATOR with a hint on a
 * broker that does not lead the group's offsets partition.
 */
import { CLUSTER_RESOURCE_NAME } from "../../protocol/acls.js";
import type { HandlerContext } from "../handler-context.js";
import type { HandlersFor } from "../handlers.js";

/** The consumer-group operations, each handed to the coordinator. */
export function groupHandlers(
  ctx: HandlerContext,
): HandlersFor<"joinGroup" | "syncGroup" | "heartbeat" | "leaveGroup" | "commitOffsets" | "fetchOffsets" | "listGroups" | "describeGroup" | "resetOffsets"> {
  const groups = ctx.groups;
  return {
    joinGroup: (req, rc) => groups.join(req, rc.clientId, rc.signal),

    syncGroup: async (req) => groups.sync(req),

    heartbeat: async (req) => {
      groups.heartbeat(req);
      return {};
    },

    leaveGroup: async (req) => {
      await groups.leave(req);
      return {};
    },

    commitOffsets: async (req) => {
      await groups.commit(req);
      return {};
    },

    fetchOffsets: async (req, rc) => {
      // Offsets of topics the principal may not describe are left out, as Kafka does.
      const { offsets } = await groups.fetchOffsets(req);
      return { offsets: offsets.filter((o) => ctx.authorizer.allowed(rc.principal, "topic", o.topic, "describe")) };
    },

    listGroups: async (_req, rc) => {
      // Describe on the cluster sees every group; otherwise only the groups the principal may describe.
      const all = groups.listGroups();
      if (ctx.authorizer.allowed(rc.principal, "cluster", CLUSTER_RESOURCE_NAME, "describe")) return { groups: all };
      return { groups: all.filter((g) => ctx.authorizer.allowed(rc.principal, "group", g.group, "describe")) };
    },

    describeGroup: async (req) => groups.describe(req.group),

    resetOffsets: (req) => groups.resetOffsets(req),
  };
}
