/**
 * Each local cluster's own cluster secret: 32 random bytes (hex), made on the
 * cluster's first start and kept in `<dataRoot>/local-cluster/cluster-secret`
 * (mode 0600) so restarts reuse it. No two local clusters share one, and none
 * is published: the shipped configs hold no secret (issue 13). start-local
 * hands it to its brokers as RLOG_CLUSTER_SECRET.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CliError } from "./errors.js";
import { LOCAL_CLUSTER_SUBDIR } from "./local-cluster-data.js";

/** The secret file's name inside `<dataRoot>/local-cluster/`. */
export const SECRET_FILE = "cluster-secret";

/** Random bytes in a new secret (64 hex characters: within the config's 16..1024). */
const SECRET_BYTES = 32;

/**
 * The cluster secret of the local cluster whose data is under `root`: read, or made and stored on first use.
 * @throws CliError INVALID_CONFIG when the file exists but does not hold a usable secret
 */
export function localClusterSecret(root: string): string {
  const dir = join(root, LOCAL_CLUSTER_SUBDIR);
  const file = join(dir, SECRET_FILE);
  if (existsSync(file)) {
    const secret = readFileSync(file, "utf8").trim();
    if (secret.length < 16 || secret.length > 1024) {
      throw new CliError("INVALID_CONFIG", `${file} does not hold a cluster secret of 16..1024 characters; delete it only together with the cluster's data`);
    }
    return secret;
  }
  mkdirSync(dir, { recursive: true });
  const secret = randomBytes(SECRET_BYTES).toString("hex");
  writeFileSync(file, secret + "\n", { mode: 0o600, flag: "wx" });
  return secret;
}
