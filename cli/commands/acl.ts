/** `rlog-cli acl add|remove|list`: manage ACLs (docs/SECURITY.md). */
import type { Argv, CommandModule } from "yargs";
import type { AclFlags } from "../acl/acl-args.js";
import { withBrokers, withJson, type ConnectionArgs, type JsonArgs } from "../options.js";

type AclCommandArgs = ConnectionArgs & JsonArgs & AclFlags;

const OPERATIONS = "read, write, create, delete, describe, alter, all";

/** The flags every acl subcommand takes. */
function withAclFlags(y: Argv<object>, json: string): Argv<AclCommandArgs> {
  return withJson(withBrokers(y), json)
    .option("principal", { type: "string", requiresArg: true, describe: "User:<name>, or User:* for everyone" })
    .option("topic", { type: "string", requiresArg: true, describe: "A topic name (\"*\": every topic)" })
    .option("group", { type: "string", requiresArg: true, describe: "A consumer group (\"*\": every group)" })
    .option("cluster", { type: "boolean", default: false, describe: "The cluster (rlog-cluster)" })
    .option("prefixed", { type: "boolean", default: false, describe: "The topic or group name is a prefix" })
    .option("operation", { type: "string", requiresArg: true, describe: `Operation, repeatable: ${OPERATIONS}` })
    .option("deny", { type: "boolean", default: false, describe: "A deny ACL (deny wins over allow)" });
}

const addCommand: CommandModule<object, AclCommandArgs> = {
  command: "add",
  describe: "Allow (or --deny) a principal an operation on a topic, a group or the cluster",
  builder: (y: Argv<object>) =>
    withAclFlags(y, "Print the created ACLs as JSON")
      .example("$0 acl add --principal User:alice --topic orders --operation read", "alice may read orders")
      .example("$0 acl add --principal User:alice --topic orders- --prefixed --operation write --operation describe", "alice may write every topic whose name starts with orders-")
      .example("$0 acl add --principal User:bob --cluster --operation alter --deny", "bob may never move leaders or change ACLs"),
  handler: async (args) => {
    const { addAcls } = await import("../admin/acl-actions.js");
    await addAcls(args);
  },
};

const removeCommand: CommandModule<object, AclCommandArgs> = {
  command: "remove",
  describe: "Remove the ACLs matching the flags given (each optional; at least one)",
  builder: (y: Argv<object>) =>
    withAclFlags(y, "Print the removed ACLs as JSON")
      .example("$0 acl remove --principal User:alice", "every ACL of alice")
      .example("$0 acl remove --topic orders --operation read", "every read ACL on the literal topic orders"),
  handler: async (args) => {
    const { removeAcls } = await import("../admin/acl-actions.js");
    await removeAcls(args);
  },
};

const listCommand: CommandModule<object, AclCommandArgs> = {
  command: "list",
  describe: "List the ACLs (those matching the flags given)",
  builder: (y: Argv<object>) =>
    withAclFlags(y, "Print the ACLs as JSON")
      .example("$0 acl list", "every ACL")
      .example("$0 acl list --principal User:alice --json", "alice's, as JSON"),
  handler: async (args) => {
    const { listAcls } = await import("../admin/acl-actions.js");
    await listAcls(args);
  },
};

/** The `acl` command group. */
export const aclCommand: CommandModule<object, object> = {
  command: "acl",
  describe: "ACLs: add, remove, list (authorization, docs/SECURITY.md)",
  builder: (y: Argv<object>) =>
    y.command(addCommand).command(removeCommand).command(listCommand).demandCommand(1, "name an acl subcommand: add, remove or list"),
  handler: () => undefined,
};
