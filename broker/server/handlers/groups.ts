/**
 * Consumer-group operations, served by the group coordinator
 * (broker/consumer-groups/coordinator.ts): NOT_COORDINATOR with a hint on a
 * broker that does not lead the group's offsets partition.
 */
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

    fetchOffsets: async (req) => groups.fetchOffsets(req),

    listGroups: async () => ({ groups: groups.listGroups() }),

    describeGroup: async (req) => groups.describe(req.group),

    resetOffsets: (req) => groups.resetOffsets(req),
  };
}
