/**
 * Default values, the first layer of every loaded config.
 *
 * Three kinds of key have no entry here:
 * - required: `brokerId`, `dataDir` (no value is safe for every broker: two
 *   brokers sharing a data directory would corrupt each other);
 * - derived from other keys after the layers are merged (see config/validate.ts):
 *   `brokers` (this broker alone), `controllerVoters` (every broker),
 *   `defaultReplicationFactor` (min(3, number of brokers));
 * - `host`, `clientPort` and `peerPort` are here, but when they are not set
 *   explicitly and `brokers` lists this broker, that entry's values win.
 */
import type { BrokerConfig } from "./broker-config.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Keys that must be set by a file, the environment or overrides. */
export const REQUIRED_KEYS = ["brokerId", "dataDir"] as const;

/** Keys whose default is computed from other keys once the layers are merged. */
export const DERIVED_KEYS = ["brokers", "controllerVoters", "defaultReplicationFactor"] as const;

/** The keys that have a static default. */
export type DefaultedConfig = Omit<
  BrokerConfig,
  (typeof REQUIRED_KEYS)[number] | (typeof DERIVED_KEYS)[number]
>;

/**
 * Static defaults. Raft timings assume the default 10 ms tick: a 500 ms base
 * election timeout, 50 ms heartbeats, a preferred-leader check every 2 s.
 */
export const DEFAULT_CONFIG: DefaultedConfig = deepFreeze({
  host: "127.0.0.1",
  clientPort: 9092,
  peerPort: 9192,
  clusterSecret: null,
  raftTickMs: 10,
  leaderAnnounceIntervalMs: 1000,
  raft: {
    electionTimeoutTicks: 50,
    heartbeatIntervalTicks: 5,
    preferredLeaderCheckTicks: 200,
    inflightAppendsMax: 64,
    inflightBytesMax: 8 * MiB,
    appendBytesMax: 1 * MiB,
    uncommittedEntriesMax: 10_000,
    recentEntriesBytesMax: 2 * MiB,
  },
  storage: {
    fsync: true,
    mapSizeBytes: 64 * GiB,
    segmentBytes: 64 * MiB,
    segmentMs: 7 * DAY_MS,
    retentionBytes: -1,
    retentionMs: 7 * DAY_MS,
  },
  limits: {
    frameBytesMax: 8 * MiB,
    recordBytesMax: 1 * MiB,
    batchRecordsMax: 10_000,
    topicNameLengthMax: 249,
    partitionsMax: 1024,
    replicationFactorMax: 7,
    connectionsMax: 1024,
    inflightRequestsMax: 128,
    fetchBytesMax: 4 * MiB,
    fetchWaitMsMax: 30_000,
  },
  defaultPartitions: 1,
  groupsTopicPartitions: 8,
  logLevel: "info",
});

/** Freezes an object and everything reachable from it; returns it typed as readonly. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
