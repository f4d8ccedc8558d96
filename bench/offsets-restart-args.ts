/**
 * Command-line options shared by the two offsets-restart benches
 * (offsets-restart.ts in process, offsets-restart-broker.ts on a real broker).
 */

export interface OffsetsRestartArgs {
  /** Offset commits to make before the restart, one offset each. */
  commits: number;
  /** groupsSnapshotEntries; 0 = never (the whole-log replay). */
  snapshotEntries: number;
  /** Consumer groups the commits go round. */
  groups: number;
  /** Partitions each group commits offsets of. */
  partitions: number;
}

/** Parse `--commits N --snapshot-entries M --groups G --partitions P`; throws naming the bad argument and `usage`. */
export function parseOffsetsRestartArgs(argv: readonly string[], usage: string): OffsetsRestartArgs {
  const args: OffsetsRestartArgs = { commits: 100_000, snapshotEntries: 10_000, groups: 100, partitions: 10 };
  for (let k = 0; k < argv.length; k += 2) {
    const a = argv[k];
    const v = Number(argv[k + 1]);
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`bad value for ${String(a)}; ${usage}`);
    if (a === "--commits" && v > 0) args.commits = v;
    else if (a === "--snapshot-entries") args.snapshotEntries = v;
    else if (a === "--groups" && v > 0) args.groups = v;
    else if (a === "--partitions" && v > 0) args.partitions = v;
    else throw new Error(`bad argument ${String(a)}; ${usage}`);
  }
  return args;
}
