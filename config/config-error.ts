/**
 * The one error type the config loader throws. It carries every problem found,
 * each naming where the value came from and which key is wrong.
 */

/** One problem with a config: `${source}: ${key}: ${reason}`. */
export interface ConfigIssue {
  /** Where the offending value came from: a file path, `env RLOG_X`, `overrides`, `defaults` or `derived`. */
  readonly source: string;
  /** Dotted key path, e.g. `raft.electionTimeoutTicks` or `brokers[1].peerPort`; for the file itself, empty. */
  readonly key: string;
  /** Why it is refused, ending with the value seen when there is one: `must be ..., got "abc"`. */
  readonly reason: string;
}

/** Formats one issue as a single line. */
export function formatIssue(issue: ConfigIssue): string {
  return issue.key === "" ? `${issue.source}: ${issue.reason}` : `${issue.source}: ${issue.key}: ${issue.reason}`;
}

/**
 * A config that cannot be used. `message` is the first issue (plus a count of
 * the rest); `issues` holds them all. `code` is stable for programs to test.
 */
export class ConfigError extends Error {
  /** Stable error code, printed by the CLI as `INVALID_CONFIG: message`. */
  readonly code = "INVALID_CONFIG";
  /** Every problem found, in the order checked. Never empty. */
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const first = issues[0];
    if (first === undefined) throw new Error("ConfigError needs at least one issue");
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})` : "";
    super(formatIssue(first) + more);
    this.name = "ConfigError";
    this.issues = Object.freeze([...issues]);
  }
}

/** Shows a value the way it was written, briefly: strings quoted, long values cut. */
export function showValue(value: unknown): string {
  let text: string;
  if (value === undefined) text = "undefined";
  else if (typeof value === "number" && !Number.isFinite(value)) text = String(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > 60 ? text.slice(0, 57) + "..." : text;
}
