/**
 * The client environment file a local cluster leaves for its users
 * (`<dataRoot>/client.env`): shell assignments of the variables the CLI and
 * the SDK's users read (RLOG_BROKERS, RLOG_TLS_CA, ...), loaded with
 *
 *     set -a; . ./data/client.env; set +a
 *
 * The writer takes any record of variables, so what the cluster hands out
 * (credentials too, once it has them) is decided by its caller.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** The file's name inside the data root. */
export const CLIENT_ENV_FILE = "client.env";

/** Single-quotes a value for a POSIX shell. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Writes `<root>/client.env` with one `NAME='value'` line per variable, in
 * the record's order (mode 0600: it may hold credentials). Returns its path.
 */
export function writeClientEnv(root: string, variables: Readonly<Record<string, string>>, comment: string): string {
  const file = join(root, CLIENT_ENV_FILE);
  const lines = [`# ${comment}`, "# Load it with: set -a; . " + file + "; set +a"];
  for (const [name, value] of Object.entries(variables)) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) throw new RangeError(`not a variable name: ${name}`);
    lines.push(`${name}=${shellQuote(value)}`);
  }
  writeFileSync(file, lines.join("\n") + "\n", { mode: 0o600 });
  return file;
}
