/**
 * Environment overrides: RLOG_<KEY>, with camelCase turned into SNAKE_CASE
 * and a double underscore between a group and its key:
 *
 *     brokerId                    RLOG_BROKER_ID
 *     raftTickMs                  RLOG_RAFT_TICK_MS
 *     raft.electionTimeoutTicks   RLOG_RAFT__ELECTION_TIMEOUT_TICKS
 *     storage.fsync               RLOG_STORAGE__FSYNC
 *
 * Values are parsed by the key's kind: integers (decimal), booleans
 * (true/false, 1/0, yes/no, on/off), id lists ("1,2,3" or a JSON array),
 * the broker list (a JSON array, or "id@host:clientPort:peerPort,..."),
 * string lists ("a,b,c" or a JSON array; an empty value is the empty list),
 * strings as written. A value that does not parse is passed on as the raw
 * string, so validation reports it with the key's expected type.
 *
 * Any other RLOG_* variable is refused (a typo would otherwise be silently
 * ignored), except the names reserved for tools: RLOG_CONFIG and the
 * prefixes RLOG_TEST_, RLOG_SIM_, RLOG_BENCH_, RLOG_CLI_.
 */
import type { ConfigIssue } from "./config-error.js";
import { schemaLeaves, type LeafSpec } from "./schema.js";
import { closest } from "./suggest.js";

/** Prefix of every config environment variable. */
export const ENV_PREFIX = "RLOG_";

/** RLOG_* names that are not config keys and are left alone. */
export const ENV_RESERVED_NAMES: readonly string[] = ["RLOG_CONFIG", "RLOG_HOP_TRACE"];

/** RLOG_* prefixes that belong to tools (tests, simulator, bench, CLI) and are left alone. */
export const ENV_RESERVED_PREFIXES: readonly string[] = ["RLOG_TEST_", "RLOG_SIM_", "RLOG_BENCH_", "RLOG_CLI_"];

/** The environment variable for a dotted key path: "raft.electionTimeoutTicks" -> "RLOG_RAFT__ELECTION_TIMEOUT_TICKS". */
export function envName(path: string): string {
  return ENV_PREFIX + path.split(".").map((part) => part.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()).join("__");
}

/** One value read from the environment. */
export interface EnvSetting {
  /** Dotted key path. */
  readonly path: string;
  /** Parsed value, or the raw string when it did not parse. */
  readonly value: unknown;
  /** "env RLOG_X", for messages. */
  readonly source: string;
}

/** Reads every RLOG_* variable: config values, and issues for unknown names. */
export function readEnv(env: Readonly<Record<string, string | undefined>>): {
  readonly settings: readonly EnvSetting[];
  readonly issues: readonly ConfigIssue[];
} {
  const byName = new Map<string, { path: string; spec: LeafSpec }>();
  for (const leaf of schemaLeaves()) byName.set(envName(leaf.path), leaf);
  const settings: EnvSetting[] = [];
  const issues: ConfigIssue[] = [];
  for (const name of Object.keys(env).sort()) {
    const raw = env[name];
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
    if (ENV_RESERVED_NAMES.includes(name) || ENV_RESERVED_PREFIXES.some((p) => name.startsWith(p))) continue;
    const leaf = byName.get(name);
    if (leaf === undefined) {
      const guess = closest(
        name,
        [...byName.keys()].map((n) => ({ name: n, label: n, penalty: 0 })),
      );
      const hint = guess === undefined ? "" : ` (did you mean ${guess}?)`;
      issues.push({ source: "env", key: name, reason: `unknown config variable${hint}` });
      continue;
    }
    settings.push({ path: leaf.path, value: parseEnvValue(raw, leaf.spec), source: `env ${name}` });
  }
  return { settings, issues };
}

const TRUE_WORDS = ["true", "1", "yes", "on"];
const FALSE_WORDS = ["false", "0", "no", "off"];

function parseInteger(text: string): number | undefined {
  const t = text.trim();
  return /^[+-]?\d+$/.test(t) ? Number(t) : undefined;
}

/** Parses one environment value by the kind of its key; returns the raw string when it does not parse. */
export function parseEnvValue(raw: string, spec: LeafSpec): unknown {
  switch (spec.kind) {
    case "int":
      return parseInteger(raw) ?? raw;
    case "bool": {
      const t = raw.trim().toLowerCase();
      if (TRUE_WORDS.includes(t)) return true;
      if (FALSE_WORDS.includes(t)) return false;
      return raw;
    }
    case "string":
    case "enum":
      return raw;
    case "idList": {
      if (raw.trim().startsWith("[")) return parseJson(raw);
      const ids = raw.split(",").map(parseInteger);
      return ids.every((id) => id !== undefined) ? ids : raw;
    }
    case "stringList": {
      if (raw.trim().startsWith("[")) return parseJson(raw);
      // Comma-separated; surrounding blanks dropped; an empty variable is the empty list.
      return raw.trim() === "" ? [] : raw.split(",").map((item) => item.trim());
    }
    case "brokerList": {
      if (raw.trim().startsWith("[")) return parseJson(raw);
      const entries = [];
      for (const part of raw.split(",")) {
        // id@host:clientPort:peerPort; the host may itself hold colons (IPv6), so split from the right.
        const m = /^\s*(\d+)@(.+):(\d+):(\d+)\s*$/.exec(part);
        if (m === null) return raw;
        entries.push({ id: Number(m[1]), host: m[2], clientPort: Number(m[3]), peerPort: Number(m[4]) });
      }
      return entries;
    }
  }
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}
