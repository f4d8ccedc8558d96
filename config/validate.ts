/**
 * Turns merged settings (one value per key, with where it came from) into a
 * BrokerConfig: checks each value against its spec, fills the derived
 * defaults, then checks the rules that tie keys together.
 *
 * Derived defaults, applied only when the key is not set by any layer:
 * - `brokers`: this broker alone, `[{ id: brokerId, host, clientPort, peerPort }]`;
 * - `host`, `clientPort`, `peerPort`: when `brokers` is set and they are not,
 *   they come from this broker's entry (the static defaults would clash with
 *   the other brokers' ports);
 * - `controllerVoters`: every broker id in `brokers`;
 * - `defaultReplicationFactor`: min(3, number of brokers).
 *
 * Cross-key rules (each reported on the key named first):
 * - raft.heartbeatIntervalTicks < raft.electionTimeoutTicks;
 * - raft.appendBytesMax <= raft.inflightBytesMax;
 * - peerHeartbeatIntervalMs < peerLivenessTimeoutMs;
 * - storage.mapSizeBytes >= storage.segmentBytes;
 * - storage.writeRetryBackoffMs <= storage.writeRetryBackoffMsMax;
 * - limits.recordBytesMax, limits.fetchBytesMax and limits.batchBytesMax < limits.frameBytesMax;
 * - limits.batchBytesMax <= limits.batchDecompressedBytesMax;
 * - 2 * limits.frameBytesMax <= limits.connectionResponseBytesMax <= limits.brokerResponseBytesMax
 *   (a fetch's reservation, at most a frame of records as read plus the frame, must fit a
 *   connection's budget, and one connection's the broker's);
 * - limits.sendStallPressureMs <= limits.sendStallMs;
 * - adminPort, when a port (> 0), differs from clientPort and peerPort;
 * - kafkaPort, when a port (> 0), differs from clientPort, peerPort and adminPort, and
 *   from this broker's `brokers` entry's kafkaPort when that is set (the entry's
 *   kafkaPort is the default of kafkaPort);
 * - allowedOrigins: each "*" or an origin "scheme://host[:port]" (no path, no trailing slash);
 * - brokers: distinct ids; no two listeners share a port on the same host;
 *   no entry advertises an unspecified address (0.0.0.0, ::), nor does a
 *   lone broker whose entry is derived from `host`;
 * - brokerId is in brokers, and clientPort / peerPort equal its entry's ports
 *   (host may differ: it is the bind address, the entry's host is advertised);
 * - controllerVoters are broker ids (this broker may be left out: it follows
 *   the metadata as a controller learner, docs/OPERATIONS.md);
 * - clusterSecret is set when there is more than one broker;
 * - tls.certFile and tls.keyFile are both set or both null; tls.caFile is set
 *   when TLS is on and clientAuth is not "none" or there are peers (brokers
 *   verify each other's certificates); clientAuth is "none" when TLS is off;
 * - defaultPartitions <= limits.partitionsMax;
 * - defaultReplicationFactor <= limits.replicationFactorMax and <= number of brokers.
 */
import type { BrokerConfig, BrokerEndpoint } from "./broker-config.js";
import { type ConfigIssue, showValue } from "./config-error.js";
import { deepFreeze, REQUIRED_KEYS } from "./defaults.js";
import { envName } from "./env.js";
import { isUnspecifiedHost } from "./hosts.js";
import {
  BROKER_ENDPOINT_SCHEMA,
  OPTIONAL_ENDPOINT_KEYS,
  BROKERS_COUNT_MAX,
  describeSpec,
  schemaGroups,
  schemaLeaves,
  type AnySpec,
  type LeafSpec,
} from "./schema.js";
import { closest } from "./suggest.js";
import { BROKER_DEFAULTS } from "../broker/protocol/defaults.js";

/** A value for one key and the layer it came from. */
export interface Setting {
  readonly value: unknown;
  /** A file path, `env RLOG_X`, `overrides`, `defaults` or `derived`. */
  readonly source: string;
}

/** Source label of values computed from other keys. */
export const DERIVED_SOURCE = "derived";
/** Source label of the static defaults. */
export const DEFAULTS_SOURCE = "defaults";

/** The outcome of validation: a frozen config when there are no issues. */
export interface ValidationResult {
  readonly config: BrokerConfig | undefined;
  /** Final source of every key (dotted path -> source label). */
  readonly sources: ReadonlyMap<string, string>;
  readonly issues: readonly ConfigIssue[];
}

/** Whether a value is a plain object (not an array or null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Validates merged settings. `missingSource` names where a required key
 * should have come from (the file path, or "config" without a file).
 */
export function validateSettings(settings: ReadonlyMap<string, Setting>, missingSource: string): ValidationResult {
  const issues: ConfigIssue[] = [];
  const values = new Map<string, unknown>(); // valid values only
  const sources = new Map<string, string>();
  const fail = (path: string, reason: string): void => {
    issues.push({ source: sources.get(path) ?? missingSource, key: path, reason });
  };

  // 1. Each key against its own spec.
  for (const { path, spec } of schemaLeaves()) {
    const setting = settings.get(path);
    if (setting === undefined) {
      if ((REQUIRED_KEYS as readonly string[]).includes(path)) {
        issues.push({
          source: missingSource,
          key: path,
          reason: `required but not set (set it in the config file or with ${envName(path)})`,
        });
      }
      continue;
    }
    sources.set(path, setting.source);
    const checked = checkLeaf(path, spec, setting.value, setting.source, issues);
    if (checked.ok) values.set(path, checked.value);
  }

  const num = (path: string): number | undefined => {
    const v = values.get(path);
    return typeof v === "number" ? v : undefined;
  };
  const set = (path: string, value: unknown, source: string): void => {
    values.set(path, value);
    sources.set(path, source);
  };

  // 2. Derived defaults.
  const brokerId = num("brokerId");
  let brokers = values.get("brokers") as readonly BrokerEndpoint[] | undefined;
  if (!settings.has("brokers")) {
    const host = values.get("host");
    const clientPort = num("clientPort");
    const peerPort = num("peerPort");
    if (brokerId !== undefined && typeof host === "string" && clientPort !== undefined && peerPort !== undefined) {
      brokers = [{ id: brokerId, host, clientPort, peerPort }];
      set("brokers", brokers, DERIVED_SOURCE);
      if (clientPort === peerPort) fail("peerPort", `must differ from clientPort (both ${clientPort})`);
      if (isUnspecifiedHost(host)) {
        fail(
          "host",
          `${host} binds every interface but is no address to hand to clients; ` +
            `also set brokers to say where this broker is reached, e.g. [{ "id": ${brokerId}, "host": "10.0.0.5", "clientPort": ${clientPort}, "peerPort": ${peerPort} }]`,
        );
      }
    }
  } else if (brokers !== undefined && brokerId !== undefined) {
    const self = brokers.findIndex((b) => b.id === brokerId);
    const entry = brokers[self];
    if (entry === undefined) {
      fail("brokerId", `${brokerId} is not in brokers (ids ${brokers.map((b) => b.id).join(", ")})`);
    } else {
      for (const key of ["host", "clientPort", "peerPort"] as const) {
        if (sources.get(key) === DEFAULTS_SOURCE) {
          set(key, entry[key], `${DERIVED_SOURCE} from brokers[${self}]`);
        } else if (key !== "host" && values.has(key) && values.get(key) !== entry[key]) {
          fail(key, `${showValue(values.get(key))} differs from this broker's entry brokers[${self}].${key} (${entry[key]})`);
        }
      }
      // kafkaPort: the entry advertises it; the top-level key binds it. Either may give it.
      if (entry.kafkaPort !== undefined) {
        if (sources.get("kafkaPort") === DEFAULTS_SOURCE) set("kafkaPort", entry.kafkaPort, `${DERIVED_SOURCE} from brokers[${self}]`);
        else if (num("kafkaPort") !== undefined && num("kafkaPort") !== entry.kafkaPort && num("kafkaPort") !== 0) {
          fail("kafkaPort", `${showValue(values.get("kafkaPort"))} differs from this broker's entry brokers[${self}].kafkaPort (${entry.kafkaPort})`);
        }
      }
    }
  }
  if (brokers !== undefined && !settings.has("controllerVoters")) {
    set("controllerVoters", brokers.map((b) => b.id), DERIVED_SOURCE);
  }
  if (brokers !== undefined && !settings.has("defaultReplicationFactor")) {
    set("defaultReplicationFactor", Math.min(BROKER_DEFAULTS.replicationFactorPreferred, brokers.length), DERIVED_SOURCE);
  }

  // 3. Rules between keys.
  const less = (a: string, b: string, strict: boolean, why: string): void => {
    const x = num(a);
    const y = num(b);
    if (x === undefined || y === undefined) return;
    if (strict ? x >= y : x > y) fail(a, `must be ${strict ? "less than" : "at most"} ${b} (${y})${why}, got ${x}`);
  };
  less("raft.heartbeatIntervalTicks", "raft.electionTimeoutTicks", true, ": followers would time out between heartbeats");
  less("raft.appendBytesMax", "raft.inflightBytesMax", false, "");
  less("peerHeartbeatIntervalMs", "peerLivenessTimeoutMs", true, ": a live peer would be reported down between heartbeats");
  less("storage.segmentBytes", "storage.mapSizeBytes", false, ": a segment must fit in the LMDB map");
  less("storage.writeRetryBackoffMs", "storage.writeRetryBackoffMsMax", false, "");
  less("limits.recordBytesMax", "limits.frameBytesMax", true, ": a record must fit in a frame");
  less("limits.fetchBytesMax", "limits.frameBytesMax", true, ": a fetch response must fit in a frame");
  less("limits.batchBytesMax", "limits.frameBytesMax", true, ": a produced batch must fit in a frame");
  less("limits.batchBytesMax", "limits.batchDecompressedBytesMax", false, ": a batch may decompress to at least its own size");
  const frameBytesMax = num("limits.frameBytesMax");
  const connectionBytesMax = num("limits.connectionResponseBytesMax");
  if (frameBytesMax !== undefined && connectionBytesMax !== undefined && connectionBytesMax < 2 * frameBytesMax) {
    fail("limits.connectionResponseBytesMax", `must be at least twice limits.frameBytesMax (${2 * frameBytesMax}): a fetch reserves its records as read plus the frame that copies them, got ${connectionBytesMax}`);
  }
  less("limits.connectionResponseBytesMax", "limits.brokerResponseBytesMax", false, ": one connection's response budget must fit the broker's");
  less("limits.sendStallPressureMs", "limits.sendStallMs", false, "");
  const origins = values.get("allowedOrigins");
  if (Array.isArray(origins)) {
    origins.forEach((origin: string, i) => {
      if (!isOriginPattern(origin)) fail(`allowedOrigins[${i}]`, `must be "*" or an origin like "https://app.example.com" (scheme://host[:port], no path), got ${showValue(origin)}`);
    });
  }
  const kafkaPort = num("kafkaPort");
  if (kafkaPort !== undefined && kafkaPort > 0) {
    for (const key of ["clientPort", "peerPort", "adminPort"] as const) {
      if (num(key) === kafkaPort) fail("kafkaPort", `must differ from ${key} (both ${kafkaPort})`);
    }
  }
  const adminPort = num("adminPort");
  if (adminPort !== undefined && adminPort > 0) {
    for (const key of ["clientPort", "peerPort"] as const) {
      if (num(key) === adminPort) fail("adminPort", `must differ from ${key} (both ${adminPort})`);
    }
  }
  less("defaultPartitions", "limits.partitionsMax", false, "");
  less("defaultReplicationFactor", "limits.replicationFactorMax", false, "");

  if (brokers !== undefined) {
    if (sources.get("brokers") !== DERIVED_SOURCE) checkBrokerList(brokers, fail);
    const rf = num("defaultReplicationFactor");
    if (rf !== undefined && rf > brokers.length) {
      fail("defaultReplicationFactor", `must be at most the number of brokers (${brokers.length}), got ${rf}`);
    }
    const ids = new Set(brokers.map((b) => b.id));
    const voters = values.get("controllerVoters") as readonly number[] | undefined;
    for (const voter of voters ?? []) {
      if (!ids.has(voter)) fail("controllerVoters", `${voter} is not a broker id (brokers: ${[...ids].join(", ")})`);
    }
    // A broker left out of controllerVoters follows the metadata as a controller learner (the leader makes it one).
    if (brokers.length > 1 && values.has("clusterSecret") && values.get("clusterSecret") === null) {
      const source = sources.get("clusterSecret");
      issues.push({
        source: source === undefined || source === DEFAULTS_SOURCE ? missingSource : source,
        key: "clusterSecret",
        reason:
          "required when brokers lists more than one broker (peers prove membership with it), got null: " +
          "set the same random string of 16+ characters on every broker, in the config file or with RLOG_CLUSTER_SECRET " +
          "(e.g. RLOG_CLUSTER_SECRET=$(openssl rand -hex 32)); rlog-cli cluster start-local makes one for its local clusters",
      });
    }
  }

  checkTls(values, (brokers?.length ?? 1) > 1, fail, (path, on, reason) => {
    // A missing caFile is reported against the layer that asked for it (clientAuth, or the certFile that turned TLS on).
    issues.push({ source: sources.get(on) ?? missingSource, key: path, reason });
  });

  if (issues.length > 0) return { config: undefined, sources, issues };
  return { config: deepFreeze(nest(values)) as unknown as BrokerConfig, sources, issues };
}

/**
 * Whether `text` is "*" or a serialized origin (RFC 6454 section 6.2):
 * scheme "://" host, an optional ":port", nothing after. Browsers send
 * origins in lower case; an entry with capitals would never match.
 */
function isOriginPattern(text: string): boolean {
  return text === "*" || /^[a-z][a-z0-9+.-]*:\/\/(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/.test(text);
}

/** Checks brokers for duplicate ids and for two listeners on one host:port. */
function checkBrokerList(brokers: readonly BrokerEndpoint[], fail: (path: string, reason: string) => void): void {
  const idAt = new Map<number, number>();
  const portAt = new Map<string, string>();
  brokers.forEach((b, i) => {
    const previous = idAt.get(b.id);
    if (previous !== undefined) fail(`brokers[${i}].id`, `duplicate broker id ${b.id} (also brokers[${previous}].id)`);
    else idAt.set(b.id, i);
    if (isUnspecifiedHost(b.host)) {
      fail(`brokers[${i}].host`, `${b.host} is where a listener binds, not an address clients and peers can reach: advertise this broker's own address or host name (bind to ${b.host} with the top-level host)`);
    }
    for (const key of ["clientPort", "peerPort", "kafkaPort"] as const) {
      if (b[key] === undefined) continue;
      const where = `${b.host}:${b[key]}`;
      const user = portAt.get(where);
      if (user !== undefined) fail(`brokers[${i}].${key}`, `port ${b[key]} on ${b.host} is already used by ${user}`);
      else portAt.set(where, `brokers[${i}].${key}`);
    }
  });
}

/** The rules of the `tls` group (see the file comment). */
function checkTls(
  values: ReadonlyMap<string, unknown>,
  hasPeers: boolean,
  fail: (path: string, reason: string) => void,
  failFrom: (path: string, sourceKey: string, reason: string) => void,
): void {
  const cert = values.get("tls.certFile");
  const key = values.get("tls.keyFile");
  const ca = values.get("tls.caFile");
  const clientAuth = values.get("tls.clientAuth");
  if ((cert === null) !== (key === null)) {
    fail(cert === null ? "tls.keyFile" : "tls.certFile", "tls.certFile and tls.keyFile go together: set both to turn TLS on, or neither");
    return;
  }
  const on = typeof cert === "string" && typeof key === "string";
  if (!on) {
    if (clientAuth !== undefined && clientAuth !== "none") fail("tls.clientAuth", `must be "none" while TLS is off (set tls.certFile and tls.keyFile), got ${showValue(clientAuth)}`);
    return;
  }
  if (ca !== null && ca !== undefined) return;
  if (clientAuth !== undefined && clientAuth !== "none") {
    failFrom("tls.caFile", "tls.clientAuth", `required when tls.clientAuth is ${showValue(clientAuth)}: client certificates are checked against it`);
  } else if (hasPeers) {
    failFrom("tls.caFile", "tls.certFile", "required when TLS is on and brokers lists more than one broker: brokers check each other's certificates against it");
  }
}

type Checked = { readonly ok: true; readonly value: unknown } | { readonly ok: false };

/** Checks one value against its spec; records an issue and returns ok: false when it does not fit. */
function checkLeaf(path: string, spec: LeafSpec, value: unknown, source: string, issues: ConfigIssue[]): Checked {
  const bad = (reason: string = `must be ${describeSpec(spec)}, got ${showValue(value)}`): Checked => {
    issues.push({ source, key: path, reason });
    return { ok: false };
  };
  switch (spec.kind) {
    case "int": {
      if (typeof value !== "number" || !Number.isInteger(value)) return bad();
      if (spec.special !== undefined && value === spec.special.value) return { ok: true, value };
      return value >= spec.min && value <= spec.max ? { ok: true, value } : bad();
    }
    case "bool":
      return typeof value === "boolean" ? { ok: true, value } : bad();
    case "string": {
      if (value === null && spec.nullable) return { ok: true, value: null };
      if (typeof value !== "string" || value.length < spec.lengthMin || value.length > spec.lengthMax) return bad();
      return { ok: true, value };
    }
    case "enum":
      return typeof value === "string" && spec.values.includes(value) ? { ok: true, value } : bad();
    case "idList": {
      if (!Array.isArray(value) || value.length === 0 || value.length > BROKERS_COUNT_MAX) return bad();
      const idSpec = BROKER_ENDPOINT_SCHEMA.id;
      const seen = new Set<number>();
      let ok = true;
      value.forEach((id: unknown, i) => {
        const r = checkLeaf(`${path}[${i}]`, idSpec, id, source, issues);
        if (!r.ok) ok = false;
        else if (seen.has(id as number)) {
          issues.push({ source, key: `${path}[${i}]`, reason: `duplicate broker id ${showValue(id)}` });
          ok = false;
        } else seen.add(id as number);
      });
      return ok ? { ok: true, value: [...value] } : { ok: false };
    }
    case "stringList": {
      if (!Array.isArray(value) || value.length > spec.countMax) return bad();
      const seen = new Set<string>();
      let ok = true;
      value.forEach((item: unknown, i) => {
        const at = `${path}[${i}]`;
        const problem =
          typeof item !== "string" || item.length < spec.itemLengthMin || item.length > spec.itemLengthMax || (spec.itemPrefix !== undefined && !item.startsWith(spec.itemPrefix))
            ? `must be ${spec.itemPrefix === undefined ? "a string" : `a string "${spec.itemPrefix}<name>"`} of ${spec.itemLengthMin}..${spec.itemLengthMax} characters, got ${showValue(item)}`
            : seen.has(item)
              ? `duplicate ${showValue(item)}`
              : undefined;
        if (problem !== undefined) {
          issues.push({ source, key: at, reason: problem });
          ok = false;
        } else seen.add(item as string);
      });
      return ok ? { ok: true, value: [...(value as string[])] } : { ok: false };
    }
    case "brokerList": {
      if (!Array.isArray(value) || value.length === 0 || value.length > BROKERS_COUNT_MAX) return bad();
      const entries: BrokerEndpoint[] = [];
      let ok = true;
      value.forEach((entry: unknown, i) => {
        const at = `${path}[${i}]`;
        if (!isPlainObject(entry)) {
          issues.push({ source, key: at, reason: `must be an object { id, host, clientPort, peerPort }, got ${showValue(entry)}` });
          ok = false;
          return;
        }
        const fields = BROKER_ENDPOINT_SCHEMA as unknown as Readonly<Record<string, LeafSpec>>;
        for (const key of Object.keys(entry)) {
          if (key in fields) continue;
          const guess = closest(key, Object.keys(fields).map((k) => ({ name: k, label: k, penalty: 0 })));
          issues.push({ source, key: `${at}.${key}`, reason: `unknown key${guess === undefined ? "" : ` (did you mean "${guess}"?)`}` });
          ok = false;
        }
        const out: Record<string, unknown> = {};
        for (const [key, fieldSpec] of Object.entries(fields)) {
          if (!(key in entry) && OPTIONAL_ENDPOINT_KEYS.has(key)) continue;
          if (!(key in entry)) {
            issues.push({ source, key: `${at}.${key}`, reason: "required but not set" });
            ok = false;
            continue;
          }
          const r = checkLeaf(`${at}.${key}`, fieldSpec, entry[key], source, issues);
          if (r.ok) out[key] = r.value;
          else ok = false;
        }
        entries.push(out as unknown as BrokerEndpoint);
      });
      return ok ? { ok: true, value: entries } : { ok: false };
    }
  }
}

/** Rebuilds the nested object from dotted paths. */
function nest(values: ReadonlyMap<string, unknown>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const { path } of schemaLeaves()) {
    if (!values.has(path)) continue;
    const parts = path.split(".");
    let node = root;
    for (const part of parts.slice(0, -1)) {
      const child = node[part];
      node = isPlainObject(child) ? child : (node[part] = {});
    }
    node[parts[parts.length - 1] ?? path] = values.get(path);
  }
  return root;
}

/**
 * Flattens a file or overrides object into settings, by the schema: groups
 * are walked, leaves recorded. Unknown keys (with a "did you mean") and
 * groups that are not objects are recorded as issues. A `//` key, at the
 * top level or in a group, is a comment and is skipped.
 */
export function flattenInput(
  input: Readonly<Record<string, unknown>>,
  fields: Readonly<Record<string, AnySpec>>,
  prefix: string,
  source: string,
  out: Map<string, Setting>,
  issues: ConfigIssue[],
): void {
  for (const [key, value] of Object.entries(input)) {
    if (key === "//" || value === undefined) continue;
    const path = prefix + key;
    const spec = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (spec === undefined) {
      issues.push({ source, key: path, reason: `unknown key${suggestKey(path)}` });
    } else if (spec.kind === "group") {
      if (isPlainObject(value)) flattenInput(value, spec.fields, path + ".", source, out, issues);
      else issues.push({ source, key: path, reason: `must be an object with keys ${Object.keys(spec.fields).join(", ")}, got ${showValue(value)}` });
    } else {
      out.set(path, { value, source });
    }
  }
}

/** ` (did you mean "raft.electionTimeoutTicks"?)` for a near miss, anywhere in the schema; "" otherwise. */
function suggestKey(path: string): string {
  const parent = path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "";
  const last = path.slice(path.lastIndexOf(".") + 1);
  const candidates = [...schemaLeaves().map((l) => l.path), ...schemaGroups()].map((p) => {
    const candidateParent = p.includes(".") ? p.slice(0, p.lastIndexOf(".")) : "";
    return { name: p.slice(p.lastIndexOf(".") + 1), label: p, penalty: candidateParent === parent ? 0 : 1 };
  });
  const guess = closest(last, candidates);
  return guess === undefined ? "" : ` (did you mean "${guess}"?)`;
}
