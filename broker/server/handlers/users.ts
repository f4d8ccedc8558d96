/**
 * SCRAM user administration: createUser and deleteUser (through the
 * controller: NOT_CONTROLLER with a hint on other brokers), listUsers (from
 * this broker's users file and applied metadata). Users of the broker's
 * authentication.scramUsersFile are refused: they change only in that file.
 */
import { RlogError } from "../../protocol/errors.js";
import type { HandlerContext } from "../handler-context.js";
import type { HandlersFor } from "../handlers.js";

/** createUser, deleteUser, listUsers. */
export function userHandlers(ctx: HandlerContext): HandlersFor<"createUser" | "deleteUser" | "listUsers"> {
  const refuseFileUser = (name: string): void => {
    if (!ctx.users.isFileUser(name)) return;
    throw new RlogError("INVALID_REQUEST", `user ${JSON.stringify(name)} comes from the broker's authentication.scramUsersFile; change it in that file`, { field: "name" });
  };
  return {
    createUser: async (req) => {
      refuseFileUser(req.name);
      await ctx.controller.upsertUser(req.name, req.credential);
      return {};
    },

    deleteUser: async (req) => {
      refuseFileUser(req.name);
      await ctx.controller.deleteUser(req.name);
      return {};
    },

    listUsers: async () => ({ users: ctx.users.list() }),
  };
}
