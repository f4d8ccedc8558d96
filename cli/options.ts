/**
 * Options shared by the commands that talk to a cluster, and the parsing of
 * option values (integers, broker lists, separators, topic settings) into
 * one-line INVALID_ARGUMENT errors. Light on purpose: the command files
 * import it statically, so it must not pull in the SDK.
 */
import type { Argv } from "yargs";
import { CliError, EXIT_USAGE, USAGE_CODE } from "./errors.js";
import { withTls, type TlsArgs } from "./client-security.js";
import { setConnectionCredentials } from "./credentials.js";

/** Brokers used when neither --brokers nor RLOG_BROKERS is given: the local 3-broker cluster of `npm start`. */
export const DEFAULT_BROKERS = "ws://127.0.0.1:9092,ws://127.0.0.1:9093,ws://127.0.0.1:9094";

/** Arguments every cluster command has (the TLS ones are read by client-security.ts). */
export interface ConnectionArgs extends TlsArgs {
  readonly brokers: string;
  /** SCRAM user to log in as (cli/credentials.ts reads it). */
  readonly username: string | undefined;
  /** Its password. */
  readonly password: string | undefined;
}

/** Arguments of a command that can print its result as JSON. */
export interface JsonArgs {
  readonly json: boolean;
}

/**
 * Adds --brokers (and its RLOG_BROKERS default) to a command, the TLS options
 * (client-security.ts), and the login
 * credentials --username and --password (RLOG_USERNAME, RLOG_PASSWORD).
 * With `passwordOption: false` (a command whose --password is another
 * password, e.g. `user create`) only --username is added, and the login
 * password comes from RLOG_PASSWORD. A middleware hands them to
 * cli/credentials.ts before the command runs.
 */
export function withBrokers<T>(y: Argv<T>, { passwordOption = true }: { readonly passwordOption?: boolean } = {}): Argv<T & ConnectionArgs> {
  const withUser = withTls(y).option("username", {
    type: "string",
    default: process.env["RLOG_USERNAME"],
    defaultDescription: "$RLOG_USERNAME",
    describe: "User to log in as (SCRAM-SHA-256), for brokers that require authentication",
    requiresArg: true,
  });
  const withPassword = passwordOption
    ? withUser.option("password", {
        type: "string",
        // Never printed by --help: only where it comes from.
        default: process.env["RLOG_PASSWORD"],
        defaultDescription: "$RLOG_PASSWORD",
        describe: "Password of --username (prefer RLOG_PASSWORD: a flag shows in the process list)",
        requiresArg: true,
      })
    : withUser;
  const withLogin = withPassword.middleware((argv) => {
    const a = argv as { username?: unknown; password?: unknown };
    setConnectionCredentials(a.username, passwordOption ? a.password : process.env["RLOG_PASSWORD"]);
  });
  return (withLogin as Argv<T & { username: string | undefined; password: string | undefined }>).option("brokers", {
    type: "string",
    default: process.env["RLOG_BROKERS"] ?? DEFAULT_BROKERS,
    defaultDescription: `$RLOG_BROKERS, else ${DEFAULT_BROKERS}`,
    describe: "Comma-separated client URLs of some of the cluster's brokers (the rest are learnt from metadata)",
    requiresArg: true,
    // Given twice, yargs makes an array: take all of them.
    coerce: (value: string | string[]): string => (Array.isArray(value) ? value.join(",") : value),
  });
}

/** Adds --json to a command. */
export function withJson<T>(y: Argv<T>, what = "Print the result as JSON on stdout"): Argv<T & JsonArgs> {
  return y.option("json", { type: "boolean", default: false, describe: what });
}

/** A command-line mistake: INVALID_ARGUMENT, exit status 2. */
export function usageError(message: string): CliError {
  return new CliError(USAGE_CODE, message, EXIT_USAGE);
}

/**
 * The broker URLs of a --brokers value.
 * @throws CliError INVALID_ARGUMENT for an empty list or a URL that is not ws:// or wss://
 */
export function parseBrokers(value: string): string[] {
  const urls = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (urls.length === 0) throw usageError("--brokers: give at least one broker URL, e.g. ws://127.0.0.1:9092");
  for (const url of urls) {
    let protocol: string;
    try {
      protocol = new URL(url).protocol;
    } catch {
      throw usageError(`--brokers: "${url}" is not a URL; write it like ws://127.0.0.1:9092`);
    }
    if (protocol !== "ws:" && protocol !== "wss:") throw usageError(`--brokers: "${url}" is not a ws:// or wss:// URL; write it like ws://127.0.0.1:9092`);
  }
  return urls;
}

/**
 * An integer option or positional in [min, max]. Values arrive as numbers
 * (yargs parses "3") or strings ("abc", "1.5"); the message quotes what was typed.
 * @param name as the user wrote it, e.g. "--partitions" or "<partition>"
 * @throws CliError INVALID_ARGUMENT
 */
export function parseInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = String(value).trim();
  const n = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw usageError(`${name} must be ${range}, got ${typeof value === "number" ? text : JSON.stringify(text)}`);
  }
  return n;
}

/** Like parseInteger, for an option that may be absent. */
export function parseOptionalInteger(name: string, value: unknown, min: number, max?: number): number | undefined {
  return value === undefined ? undefined : parseInteger(name, value, min, max);
}

/** What parseSeparator turns `\t` and friends into. */
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { t: "\t", n: "\n", r: "\r", "0": "\0", "\\": "\\" };

/**
 * A separator given on the command line, with the escapes \t, \n, \r, \0,
 * \\ and \xHH understood (so `--key-separator "\t"` means a tab in any shell).
 * @throws CliError INVALID_ARGUMENT for an empty separator or an unknown escape
 */
export function parseSeparator(name: string, value: string): Buffer {
  const parts: Buffer[] = [];
  let literal = "";
  const flush = (): void => {
    if (literal !== "") parts.push(Buffer.from(literal, "utf8"));
    literal = "";
  };
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c !== "\\") {
      literal += c;
      continue;
    }
    const next = value[i + 1] ?? "";
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      literal += simple;
      i++;
    } else if (next === "x" && /^[0-9a-fA-F]{2}$/.test(value.slice(i + 2, i + 4))) {
      flush();
      parts.push(Buffer.from([parseInt(value.slice(i + 2, i + 4), 16)])); // a byte, not a code point
      i += 3;
    } else {
      throw usageError(`${name}: unknown escape "\\${next}" (known: \\t \\n \\r \\0 \\\\ \\xHH)`);
    }
  }
  flush();
  const bytes = Buffer.concat(parts);
  if (bytes.length === 0) throw usageError(`${name} must not be empty`);
  return bytes;
}

/** The topic settings `--config key=value` may set, with the smallest value each accepts. */
export const TOPIC_CONFIG_KEYS = {
  retentionMs: { min: -1, describe: "drop segments whose newest record is older than this (ms; -1: keep)" },
  retentionBytes: { min: -1, describe: "drop the oldest segments while a partition holds more than this (bytes; -1: no limit)" },
  segmentBytes: { min: 1, describe: "roll to a new segment at this many bytes" },
  segmentMs: { min: 1, describe: "roll to a new segment once the active one is this old (ms)" },
} as const;

/** A topic setting name. */
export type TopicConfigKey = keyof typeof TOPIC_CONFIG_KEYS;

/** Spellings accepted for each key: retentionMs, retention.ms, retention-ms, retention_ms (any case). */
const fold = (key: string): string => key.toLowerCase().replace(/[._-]/g, "");

/**
 * `--config key=value` items as topic settings. Keys may be written as
 * retentionMs or in Kafka's style (retention.ms); values are integers.
 * @throws CliError INVALID_ARGUMENT naming the bad item and the known keys
 */
export function parseTopicConfig(items: readonly unknown[]): Partial<Record<TopicConfigKey, number>> {
  const out: Partial<Record<TopicConfigKey, number>> = {};
  const known = Object.keys(TOPIC_CONFIG_KEYS) as TopicConfigKey[];
  for (const item of items) {
    const text = String(item);
    const eq = text.indexOf("=");
    if (eq <= 0) throw usageError(`--config ${JSON.stringify(text)}: write key=value, e.g. --config retentionMs=86400000`);
    const rawKey = text.slice(0, eq).trim();
    const key = known.find((k) => fold(k) === fold(rawKey));
    if (key === undefined) throw usageError(`--config ${rawKey}: unknown topic setting (known: ${known.join(", ")})`);
    out[key] = parseInteger(`--config ${key}`, text.slice(eq + 1), TOPIC_CONFIG_KEYS[key].min);
  }
  return out;
}
