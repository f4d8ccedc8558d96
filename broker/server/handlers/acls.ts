/**
 * ACL administration (docs/SECURITY.md): createAcls and deleteAcls through
 * the controller (NOT_CONTROLLER with a hint on other brokers), listAcls
 * from this broker's applied metadata.
 */
import type { HandlerContext } from "../handler-context.js";
import type { HandlersFor } from "../handlers.js";

/** createAcls, deleteAcls, listAcls. */
export function aclHandlers(ctx: HandlerContext): HandlersFor<"createAcls" | "deleteAcls" | "listAcls"> {
  return {
    createAcls: async (req) => ({ created: await ctx.controller.createAcls(req.acls) }),

    deleteAcls: async (req) => ({ deleted: await ctx.controller.deleteAcls(req.filters) }),

    listAcls: async (req) => ({ acls: ctx.metadata.acls.list(req.filter ?? {}) }),
  };
}
