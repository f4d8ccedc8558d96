/**
 * Keeps a local cluster's data from mixing with another cluster shape.
 *
 * Brokers that kept the data of a 3-broker run and are restarted as part of
 * a 5-broker cluster would hold a controller log written by voters 1-3 while
 * configured with voters 1-5, and partitions placed on brokers that are
 * gone (5 -> 3) or never used (3 -> 5): nothing a user means by "start a
 * 5-broker cluster". So start-local records which brokers a data root
 * belongs to, in `<dataRoot>/local-cluster/cluster.json`, and refuses to start
 * a different set of brokers on it, with one line that says what to do.
 *
 * A data root written before that file existed is judged by the broker-N
 * directories in it: it belongs to exactly the brokers whose directories are
 * there.
 *
 * Only the standard layout is checked: every broker's data directory is
 * `<one root>/broker-<its id>` (what start-local --brokers makes, and what
 * config/cluster-3 uses). Configs of another layout (start-local
 * --config-dir) are the user's to keep apart.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { CliError } from "./errors.js";

/** Code of the error start-local fails with when the data belongs to other brokers. */
export const DATA_MISMATCH_CODE = "DATA_DIR_MISMATCH";

/** Directory, inside the data root, of start-local's own files (the marker and generated configs). */
export const LOCAL_CLUSTER_SUBDIR = "local-cluster";
/** The marker file's name inside LOCAL_CLUSTER_SUBDIR. */
export const MARKER_FILE = "cluster.json";

/** What the marker file holds. */
export interface ClusterMarker {
  /** Ids of the brokers whose data lives under this root, ascending. */
  readonly brokers: readonly number[];
}

/**
 * The data root of configs in the standard layout (`<root>/broker-<id>` for
 * every broker, one root), resolved against `cwd`; undefined otherwise.
 */
export function standardDataRoot(configs: readonly { readonly brokerId: number; readonly dataDir: string }[], cwd: string): string | undefined {
  let root: string | undefined;
  for (const c of configs) {
    const dir = resolve(cwd, c.dataDir);
    if (basename(dir) !== `broker-${c.brokerId}`) return undefined;
    if (root !== undefined && root !== dirname(dir)) return undefined;
    root = dirname(dir);
  }
  return root;
}

/** "1-3" for consecutive ids from 1, else "1, 2, 5". */
function showIds(ids: readonly number[]): string {
  const consecutive = ids.every((id, i) => id === i + 1);
  return consecutive && ids.length > 1 ? `1-${ids.length}` : ids.join(", ");
}

/** "a 3-broker local cluster (brokers 1-3)". */
function describeCluster(ids: readonly number[]): string {
  return `a ${ids.length}-broker local cluster (broker${ids.length === 1 ? "" : "s"} ${showIds(ids)})`;
}

/** The broker ids recorded for `root`, from its marker or else its broker-N directories; undefined for a root with neither. */
export function recordedBrokers(root: string): { readonly ids: readonly number[]; readonly from: "marker" | "directories" } | undefined {
  const marker = join(root, LOCAL_CLUSTER_SUBDIR, MARKER_FILE);
  if (existsSync(marker)) {
    let ids: unknown;
    try {
      ids = (JSON.parse(readFileSync(marker, "utf8")) as Partial<ClusterMarker>).brokers;
    } catch {
      ids = undefined;
    }
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => Number.isSafeInteger(id) && id >= 1)) {
      throw new CliError(DATA_MISMATCH_CODE, `${marker} is not a start-local marker (no "brokers" id list); move it away or delete ${root} to start over`);
    }
    return { ids: [...(ids as number[])].sort((a, b) => a - b), from: "marker" };
  }
  if (!existsSync(root)) return undefined;
  const ids: number[] = [];
  for (const name of readdirSync(root)) {
    const m = /^broker-([1-9]\d*)$/.exec(name);
    if (m !== null && statSync(join(root, name)).isDirectory()) ids.push(Number(m[1]));
  }
  return ids.length === 0 ? undefined : { ids: ids.sort((a, b) => a - b), from: "directories" };
}

/**
 * Checks that `root` holds no data of other brokers than `ids` (reads only).
 * @param shownRoot the root as the user wrote it, for the message
 * @param advice what the user can do, given the recorded ids, e.g.
 *   "start it with --brokers 3, or give another --data-dir, or delete ./data ..."
 * @returns whether the marker must still be written (recordDataRoot)
 * @throws CliError DATA_DIR_MISMATCH, one line saying what to do
 */
export function checkDataRoot(root: string, ids: readonly number[], shownRoot: string, advice: (recorded: readonly number[]) => string): boolean {
  const wanted = [...ids].sort((a, b) => a - b);
  const recorded = recordedBrokers(root);
  if (recorded !== undefined && recorded.ids.join(",") !== wanted.join(",")) {
    throw new CliError(
      DATA_MISMATCH_CODE,
      `${shownRoot} holds the data of ${describeCluster(recorded.ids)}, not of ${describeCluster(wanted)}: ${advice(recorded.ids)}`,
    );
  }
  return recorded?.from !== "marker";
}

/** Records `ids` as the brokers of `root` in its marker, creating the directories. */
export function recordDataRoot(root: string, ids: readonly number[]): void {
  mkdirSync(join(root, LOCAL_CLUSTER_SUBDIR), { recursive: true });
  const marker: ClusterMarker & { "//": string } = {
    "//": "Written by rlog-cli cluster start-local: the brokers whose data is under this directory. start-local refuses another set of brokers here.",
    brokers: [...ids].sort((a, b) => a - b),
  };
  writeFileSync(join(root, LOCAL_CLUSTER_SUBDIR, MARKER_FILE), JSON.stringify(marker) + "\n");
}
