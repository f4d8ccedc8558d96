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
import {
  ADMIN_DEFAULTS,
  KAFKA_LISTENER_DEFAULTS,
  METRICS_DEFAULTS,
  AUTHORIZATION_DEFAULTS,
  REASSIGNMENT_DEFAULTS,
  AUTHENTICATION_DEFAULTS,
  BROKER_DEFAULTS,
  GROUP_COORDINATOR_DEFAULTS,
  LIMIT_DEFAULTS,
  PRODUCER_ID_DEFAULTS,
  PRODUCER_STATE_DEFAULTS,
  RAFT_DEFAULTS,
  STORAGE_DEFAULTS,
} from "../broker/protocol/defaults.js";

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
 * Static defaults, all taken from broker/protocol/defaults.ts (the one place a
 * default is written). Raft timings assume the default 10 ms tick: a 500 ms
 * base election timeout, 50 ms heartbeats, a preferred-leader check every 2 s.
 */
export const DEFAULT_CONFIG: DefaultedConfig = deepFreeze({
  host: BROKER_DEFAULTS.host,
  clientPort: BROKER_DEFAULTS.clientPort,
  peerPort: BROKER_DEFAULTS.peerPort,
  adminPort: ADMIN_DEFAULTS.adminPort,
  kafkaPort: KAFKA_LISTENER_DEFAULTS.kafkaPort,
  kafka: {
    connectionsMax: KAFKA_LISTENER_DEFAULTS.connectionsMax,
    requestBytesMax: KAFKA_LISTENER_DEFAULTS.requestBytesMax,
    inflightRequestsMax: KAFKA_LISTENER_DEFAULTS.inflightRequestsMax,
    idleMs: KAFKA_LISTENER_DEFAULTS.idleMs,
  },
  adminConnectionsMax: ADMIN_DEFAULTS.adminConnectionsMax,
  adminIdleMs: ADMIN_DEFAULTS.adminIdleMs,
  adminReadyLagEntriesMax: ADMIN_DEFAULTS.adminReadyLagEntriesMax,
  clusterSecret: null,
  raftTickMs: BROKER_DEFAULTS.raftTickMs,
  leaderAnnounceIntervalMs: BROKER_DEFAULTS.leaderAnnounceIntervalMs,
  peerHeartbeatIntervalMs: BROKER_DEFAULTS.peerHeartbeatIntervalMs,
  peerLivenessTimeoutMs: BROKER_DEFAULTS.peerLivenessTimeoutMs,
  raft: { ...RAFT_DEFAULTS },
  storage: { ...STORAGE_DEFAULTS },
  // Only the limits a broker's config may override; the others are fixed at their protocol default.
  limits: {
    frameBytesMax: LIMIT_DEFAULTS.frameBytesMax,
    recordBytesMax: LIMIT_DEFAULTS.recordBytesMax,
    batchRecordsMax: LIMIT_DEFAULTS.batchRecordsMax,
    batchBytesMax: LIMIT_DEFAULTS.batchBytesMax,
    batchDecompressedBytesMax: LIMIT_DEFAULTS.batchDecompressedBytesMax,
    topicNameLengthMax: LIMIT_DEFAULTS.topicNameLengthMax,
    partitionsMax: LIMIT_DEFAULTS.partitionsMax,
    replicationFactorMax: LIMIT_DEFAULTS.replicationFactorMax,
    connectionsMax: LIMIT_DEFAULTS.connectionsMax,
    inflightRequestsMax: LIMIT_DEFAULTS.inflightRequestsMax,
    fetchBytesMax: LIMIT_DEFAULTS.fetchBytesMax,
    fetchWaitMsMax: LIMIT_DEFAULTS.fetchWaitMsMax,
    connectionIdleMs: LIMIT_DEFAULTS.connectionIdleMs,
    connectionsPerAddressMax: LIMIT_DEFAULTS.connectionsPerAddressMax,
    connectionResponseBytesMax: LIMIT_DEFAULTS.connectionResponseBytesMax,
    brokerResponseBytesMax: LIMIT_DEFAULTS.brokerResponseBytesMax,
    sendStallMs: LIMIT_DEFAULTS.sendStallMs,
    sendStallPressureMs: LIMIT_DEFAULTS.sendStallPressureMs,
  },
  // TLS off; see TlsSettings.
  tls: { certFile: null, keyFile: null, caFile: null, clientAuth: "none" },
  authentication: {
    mechanism: AUTHENTICATION_DEFAULTS.mechanism,
    failureDelayMs: AUTHENTICATION_DEFAULTS.failureDelayMs,
    scramUsersFile: AUTHENTICATION_DEFAULTS.scramUsersFile,
  },
  // No browser origin may connect until one is listed.
  allowedOrigins: [],
  defaultPartitions: BROKER_DEFAULTS.defaultPartitions,
  groupsTopicPartitions: BROKER_DEFAULTS.groupsTopicPartitions,
  controllerSnapshotEntries: BROKER_DEFAULTS.controllerSnapshotEntries,
  groupsSnapshotEntries: GROUP_COORDINATOR_DEFAULTS.groupsSnapshotEntries,
  producerIdBlockSize: PRODUCER_ID_DEFAULTS.producerIdBlockSize,
  producerIdExpirationMs: PRODUCER_STATE_DEFAULTS.producerIdExpirationMs,
  logLevel: BROKER_DEFAULTS.logLevel,
  authorization: { enabled: AUTHORIZATION_DEFAULTS.enabled, superUsers: [] },
  metrics: { enabled: METRICS_DEFAULTS.enabled, partitionSeriesMax: METRICS_DEFAULTS.partitionSeriesMax },
  reassignment: { throttleBytesPerSec: REASSIGNMENT_DEFAULTS.throttleBytesPerSec, catchUpLagEntriesMax: REASSIGNMENT_DEFAULTS.catchUpLagEntriesMax },
});

/** Freezes an object and everything reachable from it; returns it typed as readonly. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
