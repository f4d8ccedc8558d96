/**
 * `rlog-cli user create|delete|list|hash`: SCRAM-SHA-256 users. The password
 * is salted and hashed by the CLI: only the salted keys reach the broker.
 */
import type { Argv, CommandModule } from "yargs";
import { parseInteger, usageError, withBrokers, withJson, type ConnectionArgs, type JsonArgs } from "../options.js";

/** Default PBKDF2 iterations of a new user (SCRAM_ITERATIONS_DEFAULT; a literal here keeps start-up light). */
const ITERATIONS_DEFAULT = 8192;
/** Accepted iteration counts (SCRAM_ITERATIONS_MIN .. SCRAM_ITERATIONS_MAX). */
const ITERATIONS_MIN = 4096;
const ITERATIONS_MAX = 1_000_000;

interface PasswordArgs {
  readonly name: string;
  /** The new user's password (not a login password here). */
  readonly password: string | undefined;
  readonly "password-stdin": boolean | undefined;
  readonly iterations: unknown;
}

/** --password / --password-stdin / --iterations of `user create` and `user hash`. */
function withNewPassword<T>(y: Argv<T>): Argv<T & PasswordArgs> {
  return y
    .positional("name", { type: "string", demandOption: true, describe: "User name (no control characters)" })
    .option("password", { type: "string", requiresArg: true, describe: "The user's password (prefer --password-stdin: a flag shows in the process list)" })
    .option("password-stdin", { type: "boolean", describe: "Read the user's password from the first line of stdin" })
    .option("iterations", { default: ITERATIONS_DEFAULT, requiresArg: true, describe: `PBKDF2 iterations (${ITERATIONS_MIN}..${ITERATIONS_MAX}); more is slower to log in and to guess` })
    .conflicts("password", "password-stdin") as unknown as Argv<T & PasswordArgs>;
}

/** Checked arguments of a command that sets a password. */
function passwordSource(args: PasswordArgs): { readonly fromStdin: boolean; readonly password: string | undefined; readonly iterations: number } {
  const fromStdin = args["password-stdin"] === true;
  if (!fromStdin && args.password === undefined) throw usageError("give the password with --password-stdin (or --password)");
  return { fromStdin, password: args.password, iterations: parseInteger("--iterations", args.iterations, ITERATIONS_MIN, ITERATIONS_MAX) };
}

type CreateArgs = ConnectionArgs & JsonArgs & PasswordArgs;

const createCommand: CommandModule<object, CreateArgs> = {
  command: "create <name>",
  describe: "Create a user, or change its password",
  builder: (y: Argv<object>) =>
    withNewPassword(withJson(withBrokers(y, { passwordOption: false })))
      .example("printf '%s\\n' \"$NEW_PASSWORD\" | $0 user create alice --password-stdin", "create alice (or give her a new password)")
      .epilog("Here --password is the new user's password; log in with --username and RLOG_PASSWORD."),
  handler: async (args) => {
    const source = passwordSource(args);
    const { createUser } = await import("../admin/user-actions.js");
    await createUser({ brokers: args.brokers, name: args.name, ...source, json: args.json });
  },
};

interface NameArgs extends ConnectionArgs, JsonArgs {
  readonly name: string;
}

const deleteCommand: CommandModule<object, NameArgs> = {
  command: "delete <name>",
  describe: "Delete a user (open connections stay; new logins fail)",
  builder: (y: Argv<object>) =>
    withJson(withBrokers(y))
      .positional("name", { type: "string", demandOption: true, describe: "User name" })
      .example("$0 user delete alice", "alice can no longer log in"),
  handler: async (args) => {
    const { deleteUser } = await import("../admin/user-actions.js");
    await deleteUser({ brokers: args.brokers, name: args.name, json: args.json });
  },
};

const listCommand: CommandModule<object, ConnectionArgs & JsonArgs> = {
  command: "list",
  describe: "List users: name, mechanism, iterations and where each comes from (never keys)",
  builder: (y: Argv<object>) => withJson(withBrokers(y)).example("$0 user list", "a table of users"),
  handler: async (args) => {
    const { listUsers } = await import("../admin/user-actions.js");
    await listUsers({ brokers: args.brokers, json: args.json });
  },
};

const hashCommand: CommandModule<object, PasswordArgs> = {
  command: "hash <name>",
  describe: "Print a user's stored credential as JSON (for a broker's authentication.scramUsersFile), computed locally",
  builder: (y: Argv<object>) =>
    withNewPassword(y)
      .example("printf '%s\\n' \"$ADMIN_PASSWORD\" | $0 user hash admin --password-stdin", "one entry; a users file is a JSON array of them")
      .epilog("No broker is contacted. The entry holds a salt and salted keys, never the password."),
  handler: async (args) => {
    const source = passwordSource(args);
    const { hashUser } = await import("../admin/user-actions.js");
    await hashUser({ name: args.name, ...source });
  },
};

/** The `user` command group. */
export const userCommand: CommandModule<object, object> = {
  command: "user",
  describe: "Users (SCRAM-SHA-256): create, delete, list, hash",
  builder: (y: Argv<object>) =>
    y
      .command(createCommand)
      .command(deleteCommand)
      .command(listCommand)
      .command(hashCommand)
      .demandCommand(1, "name a user subcommand: create, delete, list or hash"),
  handler: () => undefined,
};
