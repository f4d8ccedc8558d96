/**
 * loadConfig: defaults, then a JSON file, then RLOG_* environment variables,
 * then explicit overrides (e.g. CLI flags); each later layer wins key by key.
 * The result is validated and deeply frozen, or a ConfigError lists every
 * problem with the source and key it concerns.
 */
import { readFileSync } from "node:fs";
import type { BrokerConfig, ConfigInput } from "./broker-config.js";
import { ConfigError, showValue, type ConfigIssue } from "./config-error.js";
import { DEFAULT_CONFIG } from "./defaults.js";
import { readEnv } from "./env.js";
import { CONFIG_SCHEMA, type AnySpec } from "./schema.js";
import { DEFAULTS_SOURCE, flattenInput, isPlainObject, validateSettings, type Setting } from "./validate.js";

/** Where to load a config from. Every field is optional. */
export interface LoadConfigOptions {
  /** A JSON config file; a relative path resolves against the working directory and is shown as given. */
  readonly file?: string;
  /** Variables to read RLOG_* overrides from. Defaults to process.env; pass {} to ignore the environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The last layer, above the environment (e.g. from command-line flags). */
  readonly overrides?: ConfigInput;
}

/** A loaded config with the layer each key's value came from. */
export interface LoadedConfig {
  readonly config: BrokerConfig;
  /** Dotted key path -> source: a file path, `env RLOG_X`, `overrides`, `defaults` or `derived...`. */
  readonly sources: ReadonlyMap<string, string>;
}

const SCHEMA_FIELDS = CONFIG_SCHEMA as unknown as Readonly<Record<string, AnySpec>>;

/** Loads and validates a broker config. Throws ConfigError. */
export function loadConfig(options: LoadConfigOptions = {}): BrokerConfig {
  return loadConfigDetailed(options).config;
}

/** Like loadConfig, and also reports where each value came from. Throws ConfigError. */
export function loadConfigDetailed(options: LoadConfigOptions = {}): LoadedConfig {
  const settings = new Map<string, Setting>();
  const issues: ConfigIssue[] = [];

  flattenInput(DEFAULT_CONFIG as unknown as Record<string, unknown>, SCHEMA_FIELDS, "", DEFAULTS_SOURCE, settings, issues);
  if (options.file !== undefined) {
    const parsed = readJsonFile(options.file); // throws ConfigError: nothing else is worth checking without the file
    flattenInput(parsed, SCHEMA_FIELDS, "", options.file, settings, issues);
  }
  const env = readEnv(options.env ?? process.env);
  issues.push(...env.issues);
  for (const s of env.settings) settings.set(s.path, { value: s.value, source: s.source });
  if (options.overrides !== undefined) {
    flattenInput(options.overrides as Record<string, unknown>, SCHEMA_FIELDS, "", "overrides", settings, issues);
  }

  const result = validateSettings(settings, options.file ?? "config");
  const all = [...issues, ...result.issues];
  if (all.length > 0 || result.config === undefined) throw new ConfigError(all);
  return { config: result.config, sources: result.sources };
}

/** Reads a config file that must hold one JSON object. Throws ConfigError naming the file. */
function readJsonFile(file: string): Record<string, unknown> {
  const fail = (reason: string): never => {
    throw new ConfigError([{ source: file, key: "", reason }]);
  };
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") fail("config file not found");
    if (code === "EISDIR") fail("is a directory, not a config file");
    fail(`cannot read config file (${code ?? String(err)})`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    fail(describeJsonError(text, err instanceof Error ? err.message : String(err)));
  }
  if (!isPlainObject(parsed)) fail(`must hold a JSON object, got ${showValue(parsed)}`);
  return parsed as Record<string, unknown>;
}

/**
 * "invalid JSON at line 3, column 5: Unexpected token }". JSON.parse messages
 * differ between Node versions; most give a character position, which we turn
 * into a line and column.
 */
export function describeJsonError(text: string, message: string): string {
  const position = /at position (\d+)/.exec(message);
  const reason = message.replace(/\s*\(line \d+ column \d+\)/, "").replace(/,? in JSON at position \d+/, "").trim();
  if (position === null) {
    return reason.includes("end of JSON") ? `invalid JSON: ${reason} (is the file cut short?)` : `invalid JSON: ${reason}`;
  }
  const at = Math.min(Number(position[1]), text.length);
  const before = text.slice(0, at);
  const line = before.split("\n").length;
  const column = at - before.lastIndexOf("\n");
  return `invalid JSON at line ${line}, column ${column}: ${reason}`;
}
