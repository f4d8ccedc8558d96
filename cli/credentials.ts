/**
 * The credentials a CLI process logs in with: --username and --password on
 * any cluster command, defaulting to RLOG_USERNAME and RLOG_PASSWORD. One
 * CLI process runs one command, so they are set once, by a middleware in
 * main.ts (or by a command whose --password means something else, such as
 * `user create`), and read by cli/session.ts when it makes a client. Light:
 * no SDK import.
 */
import { CliError, EXIT_USAGE, USAGE_CODE } from "./errors.js";

/** SCRAM credentials in the SDK's `sasl` shape. */
export interface CliCredentials {
  readonly mechanism: "scram-sha-256";
  readonly username: string;
  readonly password: string;
}

let current: CliCredentials | undefined;

/**
 * Set the connection credentials; both absent means none (the broker may not ask).
 * @throws CliError INVALID_ARGUMENT when only one of the two is given
 */
export function setConnectionCredentials(username: unknown, password: unknown): void {
  const user = typeof username === "string" && username !== "" ? username : undefined;
  const pass = typeof password === "string" && password !== "" ? password : undefined;
  if (user === undefined && pass === undefined) {
    current = undefined;
    return;
  }
  if (user === undefined) throw new CliError(USAGE_CODE, "a password needs a user name: give --username (or RLOG_USERNAME) too", EXIT_USAGE);
  if (pass === undefined) throw new CliError(USAGE_CODE, `user ${user} needs a password: give --password (or RLOG_PASSWORD) too`, EXIT_USAGE);
  current = { mechanism: "scram-sha-256", username: user, password: pass };
}

/** The credentials to log in with, if any. */
export function connectionCredentials(): CliCredentials | undefined {
  return current;
}
