/**
 * The admin user of a secure local cluster (`start-local --secure`), made on
 * its first start: a random password kept in
 * `<dataRoot>/local-cluster/admin-password` (mode 0600) and its SCRAM
 * credential (salted keys only) in `<dataRoot>/local-cluster/scram-users.json`,
 * the brokers' `authentication.scramUsersFile`. The admin is the cluster's
 * super user (`authorization.superUsers`), so it can create other users and
 * ACLs. Later starts reuse both files.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CliError } from "./errors.js";
import { LOCAL_CLUSTER_SUBDIR } from "./local-cluster-data.js";

/** User name of the admin (also the CN of the admin client certificate, local-cluster-tls.ts). */
export const LOCAL_ADMIN_USER = "admin";

/** File names inside `<dataRoot>/local-cluster/`. */
export const ADMIN_PASSWORD_FILE = "admin-password";
export const SCRAM_USERS_FILE = "scram-users.json";

/** Random bytes of a new password (32 base64url characters). */
const PASSWORD_BYTES = 24;

/** The admin's login and the users file that holds its credential. */
export interface LocalAdmin {
  readonly username: string;
  readonly password: string;
  /** Absolute path of the brokers' scramUsersFile. */
  readonly usersFile: string;
}

/**
 * The admin of the secure local cluster under `root` (absolute): read, or made on first use.
 * @throws CliError INVALID_CONFIG when the password file exists but is empty
 */
export async function localAdmin(root: string): Promise<LocalAdmin> {
  const dir = join(root, LOCAL_CLUSTER_SUBDIR);
  mkdirSync(dir, { recursive: true });
  const passwordFile = join(dir, ADMIN_PASSWORD_FILE);
  const usersFile = join(dir, SCRAM_USERS_FILE);
  let password: string;
  let fresh = false;
  if (existsSync(passwordFile)) {
    password = readFileSync(passwordFile, "utf8").trim();
    if (password === "") throw new CliError("INVALID_CONFIG", `${passwordFile} is empty; delete it and ${usersFile} to make a new admin password`);
  } else {
    password = randomBytes(PASSWORD_BYTES).toString("base64url");
    writeFileSync(passwordFile, password + "\n", { mode: 0o600 });
    fresh = true;
  }
  if (fresh || !existsSync(usersFile)) await writeUsersFile(usersFile, password);
  return { username: LOCAL_ADMIN_USER, password, usersFile };
}

async function writeUsersFile(file: string, password: string): Promise<void> {
  // Loaded here only: the SCRAM code pulls in node:crypto's PBKDF2, not needed by plain start-local.
  const { SCRAM_SALT_BYTES_DEFAULT, scramCredential } = await import("../broker/protocol/scram.js");
  const { storedUserJson } = await import("../broker/protocol/scram-users-json.js");
  const credential = await scramCredential(password, randomBytes(SCRAM_SALT_BYTES_DEFAULT));
  writeFileSync(file, JSON.stringify([storedUserJson(LOCAL_ADMIN_USER, credential)], null, 2) + "\n", { mode: 0o600 });
}
