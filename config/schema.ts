/**
 * What each config key may hold: its kind and its range. One entry per key of
 * BrokerConfig; the mapped type below makes a missing or mistyped entry a
 * compile error, so the schema cannot drift from the type.
 */
import type { BrokerConfig, BrokerEndpoint } from "./broker-config.js";
import { AUTHENTICATION_MECHANISMS, LOG_LEVELS, TLS_CLIENT_AUTH_MODES } from "./broker-config.js";
import { AUTHORIZATION_DEFAULTS, DAY_MS, LIMIT_DEFAULTS } from "../broker/protocol/defaults.js";

/** An integer in [min, max], or exactly `special.value` when that is given. */
export interface IntSpec {
  readonly kind: "int";
  readonly min: number;
  readonly max: number;
  /** A value outside the range with its own meaning, such as -1 = unlimited. */
  readonly special?: { readonly value: number; readonly meaning: string };
}

/** true or false. */
export interface BoolSpec {
  readonly kind: "bool";
}

/** A string of lengthMin..lengthMax characters, or null when nullable. */
export interface StringSpec {
  readonly kind: "string";
  readonly lengthMin: number;
  readonly lengthMax: number;
  readonly nullable: boolean;
}

/** One of a fixed set of strings. */
export interface EnumSpec {
  readonly kind: "enum";
  readonly values: readonly string[];
}

/** A non-empty list of distinct broker ids. */
export interface IdListSpec {
  readonly kind: "idList";
}

/** A non-empty list of broker endpoints (see BROKER_ENDPOINT_SCHEMA). */
export interface BrokerListSpec {
  readonly kind: "brokerList";
}

/** A list of distinct strings, each itemLengthMin..itemLengthMax characters and starting with itemPrefix when given; at most countMax of them. */
export interface StringListSpec {
  readonly kind: "stringList";
  readonly itemLengthMin: number;
  readonly itemLengthMax: number;
  readonly countMax: number;
  /** Every item starts with this and has at least one more character (e.g. "User:"). */
  readonly itemPrefix?: string;
}

/** A nested object whose keys have their own specs. */
export interface GroupSpec<T> {
  readonly kind: "group";
  readonly fields: SchemaFor<T>;
}

/** Any leaf spec. */
export type LeafSpec = IntSpec | BoolSpec | StringSpec | EnumSpec | IdListSpec | BrokerListSpec | StringListSpec;

/** Any spec, leaf or group, with the group's fields untyped (for walking the schema). */
export type AnySpec = LeafSpec | { readonly kind: "group"; readonly fields: Readonly<Record<string, AnySpec>> };

/** The spec kind that fits a value type. Tuple-wrapped so unions (string | null, boolean) do not distribute. */
export type SpecOf<V> = [V] extends [boolean]
  ? BoolSpec
  : [V] extends [number]
    ? IntSpec
    : [V] extends [readonly BrokerEndpoint[]]
      ? BrokerListSpec
      : [V] extends [readonly number[]]
        ? IdListSpec
        : [V] extends [readonly string[]]
          ? StringListSpec
          : [V] extends [string | null]
          ? string extends Exclude<V, null>
            ? StringSpec
            : EnumSpec
          : GroupSpec<V>;

/** A spec for every key of T. */
export type SchemaFor<T> = { readonly [K in keyof T]-?: SpecOf<T[K]> };

const INT_MAX = Number.MAX_SAFE_INTEGER;
const int = (min: number, max: number = INT_MAX): IntSpec => ({ kind: "int", min, max });
const port: IntSpec = int(1, 65_535);
/** Broker ids are positive: 0 is the Raft core's "no node". Kept within int32 for the wire. */
const brokerIdSpec: IntSpec = int(1, 2_147_483_647);

/** The keys of one entry of `brokers`. */
/** Keys of a `brokers` entry that may be left out. */
export const OPTIONAL_ENDPOINT_KEYS: ReadonlySet<string> = new Set(["kafkaPort"]);

/** The keys of one entry of `brokers` (kafkaPort optional: OPTIONAL_ENDPOINT_KEYS). */
export const BROKER_ENDPOINT_SCHEMA: SchemaFor<Required<BrokerEndpoint>> = {
  id: brokerIdSpec,
  host: { kind: "string", lengthMin: 1, lengthMax: 253, nullable: false },
  clientPort: port,
  peerPort: port,
  kafkaPort: port,
};

/** Most entries in `brokers`: a bound, and far more than one static Raft cluster should hold. */
export const BROKERS_COUNT_MAX = 1000;

/** The schema of the whole config. */
export const CONFIG_SCHEMA: SchemaFor<BrokerConfig> = {
  brokerId: brokerIdSpec,
  host: { kind: "string", lengthMin: 1, lengthMax: 253, nullable: false },
  clientPort: port,
  peerPort: port,
  adminPort: { ...int(0, 65_535), special: { value: -1, meaning: "off" } },
  kafkaPort: { ...int(0, 65_535), special: { value: -1, meaning: "off" } },
  kafka: {
    kind: "group",
    fields: {
      connectionsMax: int(1, 1_000_000),
      requestBytesMax: int(1024, 1024 * 1024 * 1024),
      inflightRequestsMax: int(1, 10_000),
      idleMs: int(1000, DAY_MS),
    },
  },
  adminConnectionsMax: int(1, 100_000),
  adminIdleMs: int(100, DAY_MS),
  adminReadyLagEntriesMax: int(0),
  dataDir: { kind: "string", lengthMin: 1, lengthMax: 4096, nullable: false },
  clusterSecret: { kind: "string", lengthMin: 16, lengthMax: 1024, nullable: true },
  brokers: { kind: "brokerList" },
  controllerVoters: { kind: "idList" },
  raftTickMs: int(1, 1000),
  leaderAnnounceIntervalMs: int(10, 3_600_000),
  peerHeartbeatIntervalMs: int(1, 60_000),
  peerLivenessTimeoutMs: int(10, 600_000),
  raft: {
    kind: "group",
    fields: {
      electionTimeoutTicks: int(3, 1_000_000),
      heartbeatIntervalTicks: int(1, 1_000_000),
      preferredLeaderCheckTicks: int(0, 100_000_000),
      inflightAppendsMax: int(1, 10_000),
      inflightBytesMax: int(1024),
      appendBytesMax: int(1024),
      uncommittedEntriesMax: int(1, 10_000_000),
      uncommittedBytesMax: int(1024),
      recentEntriesBytesMax: int(0),
      quiesce: { kind: "bool" },
    },
  },
  storage: {
    kind: "group",
    fields: {
      fsync: { kind: "bool" },
      mapSizeBytes: int(1024 * 1024),
      segmentBytes: int(1024),
      segmentMs: int(1000),
      retentionBytes: { ...int(1), special: { value: -1, meaning: "unlimited" } },
      retentionMs: { ...int(1), special: { value: -1, meaning: "unlimited" } },
      startupCheckTimeoutMs: int(1000),
      diskFreeMinBytes: int(0),
      diskReserveBytes: int(0),
      diskCheckIntervalMs: int(10, 3_600_000),
      writeRetryBackoffMs: int(1, 60_000),
      writeRetryBackoffMsMax: int(1, 3_600_000),
    },
  },
  limits: {
    kind: "group",
    fields: {
      frameBytesMax: int(1024, 1024 * 1024 * 1024),
      recordBytesMax: int(1),
      batchRecordsMax: int(1, 1_000_000),
      batchBytesMax: int(1024),
      batchDecompressedBytesMax: int(1024),
      topicNameLengthMax: int(1, 249),
      partitionsMax: int(1, 100_000),
      replicationFactorMax: int(1, BROKERS_COUNT_MAX),
      connectionsMax: int(1, 1_000_000),
      inflightRequestsMax: int(1, 100_000),
      fetchBytesMax: int(1),
      fetchWaitMsMax: int(0, DAY_MS),
      connectionIdleMs: int(100, DAY_MS),
      connectionsPerAddressMax: int(1, 1_000_000),
      connectionResponseBytesMax: int(64 * 1024),
      brokerResponseBytesMax: int(64 * 1024),
      sendStallMs: int(100, DAY_MS),
      sendStallPressureMs: int(10, DAY_MS),
    },
  },
  tls: {
    kind: "group",
    fields: {
      certFile: { kind: "string", lengthMin: 1, lengthMax: 4096, nullable: true },
      keyFile: { kind: "string", lengthMin: 1, lengthMax: 4096, nullable: true },
      caFile: { kind: "string", lengthMin: 1, lengthMax: 4096, nullable: true },
      clientAuth: { kind: "enum", values: TLS_CLIENT_AUTH_MODES },
    },
  },
  authentication: {
    kind: "group",
    fields: {
      mechanism: { kind: "enum", values: AUTHENTICATION_MECHANISMS },
      failureDelayMs: int(0, 60_000),
      scramUsersFile: { kind: "string", lengthMin: 1, lengthMax: 4096, nullable: true },
    },
  },
  // Origins are "scheme://host[:port]" (RFC 6454), at most a URL's length; the list is short by nature.
  allowedOrigins: { kind: "stringList", itemLengthMin: 1, itemLengthMax: 2048, countMax: 1000 },
  defaultPartitions: int(1, 100_000),
  defaultReplicationFactor: int(1, BROKERS_COUNT_MAX),
  groupsTopicPartitions: int(1, 1000),
  controllerSnapshotEntries: int(10, 100_000_000),
  groupsSnapshotEntries: { ...int(10, 100_000_000), special: { value: 0, meaning: "never" } },
  producerIdBlockSize: int(1, 1_000_000),
  // At least a second (a shorter window would forget producers between their own retries); at most a year.
  producerIdExpirationMs: int(1000, 365 * 24 * 3600 * 1000),
  logLevel: { kind: "enum", values: LOG_LEVELS },
  reassignment: {
    kind: "group",
    fields: {
      throttleBytesPerSec: { ...int(1024), special: { value: 0, meaning: "unlimited" } },
      catchUpLagEntriesMax: int(0, 100_000_000),
    },
  },
  metrics: {
    kind: "group",
    fields: {
      enabled: { kind: "bool" },
      partitionSeriesMax: int(0, 1_000_000),
    },
  },
  authorization: {
    kind: "group",
    fields: {
      enabled: { kind: "bool" },
      // "User:" and 1 .. stringLengthMax characters, as a principal on the wire.
      superUsers: {
        kind: "stringList",
        itemLengthMin: "User:".length + 1,
        itemLengthMax: "User:".length + LIMIT_DEFAULTS.stringLengthMax,
        countMax: AUTHORIZATION_DEFAULTS.superUsersMax,
        itemPrefix: "User:",
      },
    },
  },
};

/** One leaf of the schema with its dotted path ("raft.electionTimeoutTicks"). */
export interface SchemaLeaf {
  readonly path: string;
  readonly spec: LeafSpec;
}

/** Every leaf key of the config, in schema order. */
export function schemaLeaves(): readonly SchemaLeaf[] {
  const out: SchemaLeaf[] = [];
  const walk = (fields: Readonly<Record<string, AnySpec>>, prefix: string): void => {
    for (const [key, spec] of Object.entries(fields)) {
      const path = prefix + key;
      if (spec.kind === "group") walk(spec.fields, path + ".");
      else out.push({ path, spec });
    }
  };
  walk(CONFIG_SCHEMA as unknown as Readonly<Record<string, AnySpec>>, "");
  return out;
}

/** The dotted path of every group of the config ("raft", "tls", ...), in schema order. */
export function schemaGroups(): readonly string[] {
  const out: string[] = [];
  const walk = (fields: Readonly<Record<string, AnySpec>>, prefix: string): void => {
    for (const [key, spec] of Object.entries(fields)) {
      if (spec.kind !== "group") continue;
      out.push(prefix + key);
      walk(spec.fields, prefix + key + ".");
    }
  };
  walk(CONFIG_SCHEMA as unknown as Readonly<Record<string, AnySpec>>, "");
  return out;
}

/** A human description of what a leaf accepts, used in error messages: "an integer >= 3". */
export function describeSpec(spec: LeafSpec): string {
  switch (spec.kind) {
    case "int": {
      const range = spec.max === INT_MAX ? `an integer >= ${spec.min}` : `an integer in ${spec.min}..${spec.max}`;
      return spec.special === undefined ? range : `${range}, or ${spec.special.value} (${spec.special.meaning})`;
    }
    case "bool":
      return "true or false";
    case "string": {
      const text = `a string of ${spec.lengthMin}..${spec.lengthMax} characters`;
      return spec.nullable ? `${text}, or null` : text;
    }
    case "enum":
      return `one of ${spec.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "idList":
      return "a non-empty list of distinct broker ids";
    case "brokerList":
      return "a non-empty list of { id, host, clientPort, peerPort }";
    case "stringList": {
      const items = spec.itemPrefix === undefined ? `strings of ${spec.itemLengthMin}..${spec.itemLengthMax} characters` : `strings "${spec.itemPrefix}<name>" of ${spec.itemLengthMin}..${spec.itemLengthMax} characters`;
      return `a list of at most ${spec.countMax} distinct ${items}`;
    }
  }
}
