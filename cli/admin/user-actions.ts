/**
 * What `rlog-cli user create|delete|list|hash` do once their arguments are
 * parsed. Passwords are read from a flag or from stdin's first line and
 * salted and hashed here (the SDK's Admin.createUser; scramCredential for hash).
 */
import { randomBytes } from "node:crypto";
import { DEFAULT_LIMITS } from "../../broker/protocol/limits.js";
import { SCRAM_PASSWORD_LENGTH_MAX, SCRAM_SALT_BYTES_DEFAULT, checkPassword, checkUserName, scramCredential } from "../../broker/protocol/scram.js";
import { storedUserJson } from "../../broker/protocol/scram-users-json.js";
import { CliError, EXIT_FAILURE } from "../errors.js";
import { usageError } from "../options.js";
import { formatTable } from "../table.js";
import { explain, openClient } from "../session.js";

/** Where a new password comes from. */
export interface PasswordSource {
  readonly fromStdin: boolean;
  readonly password: string | undefined;
  readonly iterations: number;
}

/** Most bytes read from stdin for a password line (a bound; the password limit is in characters). */
const PASSWORD_LINE_BYTES_MAX = 4 * SCRAM_PASSWORD_LENGTH_MAX + 2;

/** The first line of stdin, without its line ending. */
async function readPasswordLine(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (chunk.includes(0x0a) || size > PASSWORD_LINE_BYTES_MAX) break;
  }
  const text = Buffer.concat(chunks).toString("utf8");
  const newline = text.indexOf("\n");
  if (newline < 0 && size > PASSWORD_LINE_BYTES_MAX) throw usageError(`--password-stdin: the first line is longer than ${PASSWORD_LINE_BYTES_MAX} bytes`);
  return (newline < 0 ? text : text.slice(0, newline)).replace(/\r$/, "");
}

/** The password to set, checked. */
async function newPassword(source: PasswordSource): Promise<string> {
  const password = source.fromStdin ? await readPasswordLine() : (source.password ?? "");
  const problem = checkPassword(password);
  if (problem !== undefined) throw usageError(`${source.fromStdin ? "--password-stdin" : "--password"}: ${problem}`);
  return password;
}

/** Create a user or change its password. */
export async function createUser(args: PasswordSource & { readonly brokers: string; readonly name: string; readonly json: boolean }): Promise<void> {
  const password = await newPassword(args);
  const { client, brokers } = await openClient(args.brokers);
  try {
    await client.admin().createUser(args.name, password, { iterations: args.iterations });
    if (args.json) process.stdout.write(JSON.stringify({ name: args.name, mechanism: "SCRAM-SHA-256", iterations: args.iterations }) + "\n");
    else process.stdout.write(`user ${args.name} created (or its password changed): SCRAM-SHA-256, ${args.iterations} iterations\n`);
  } catch (err) {
    throw explain(err, { brokers });
  } finally {
    await client.close();
  }
}

/** Delete a user. */
export async function deleteUser(args: { readonly brokers: string; readonly name: string; readonly json: boolean }): Promise<void> {
  const { client, brokers } = await openClient(args.brokers);
  try {
    await client.admin().deleteUser(args.name);
    if (args.json) process.stdout.write(JSON.stringify({ name: args.name, deleted: true }) + "\n");
    else process.stdout.write(`user ${args.name} deleted\n`);
  } catch (err) {
    throw explain(err, { brokers });
  } finally {
    await client.close();
  }
}

/** Print every user. */
export async function listUsers(args: { readonly brokers: string; readonly json: boolean }): Promise<void> {
  const { client, brokers } = await openClient(args.brokers);
  try {
    const users = await client.admin().listUsers();
    if (args.json) process.stdout.write(JSON.stringify(users) + "\n");
    else if (users.length === 0) process.stderr.write("no users; create one with: rlog-cli user create NAME --password-stdin\n");
    else process.stdout.write(formatTable(["USER", "MECHANISM", "ITERATIONS", "SOURCE"], users.map((u) => [u.name, u.mechanism, String(u.iterations), u.source])));
  } catch (err) {
    throw explain(err, { brokers });
  } finally {
    await client.close();
  }
}

/** Print one stored-form entry for a users file. */
export async function hashUser(args: PasswordSource & { readonly name: string }): Promise<void> {
  const password = await newPassword(args);
  const nameProblem = checkUserName(args.name, DEFAULT_LIMITS.stringLengthMax);
  if (nameProblem !== undefined) throw usageError(`<name>: ${nameProblem}`);
  let entry;
  try {
    entry = storedUserJson(args.name, await scramCredential(password, randomBytes(SCRAM_SALT_BYTES_DEFAULT), args.iterations));
  } catch (err) {
    throw new CliError("INVALID_ARGUMENT", err instanceof Error ? err.message : String(err), EXIT_FAILURE);
  }
  process.stdout.write(JSON.stringify(entry) + "\n");
}
