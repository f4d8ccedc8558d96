/**
 * The shape of a loaded broker configuration.
 *
 * Every field is documented with its unit and default in docs/CONFIG.md; the
 * ranges and cross-field rules live in config/schema.ts and config/validate.ts.
 * A loaded config is deeply frozen: nothing may change it after start-up.
 */

/** pino log levels, least to most severe, plus "silent". */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/** A pino log level name. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One member of the cluster, as the other brokers and the clients reach it. */
export interface BrokerEndpoint {
  /** Broker id, >= 1 (0 means "no node" in the Raft core). Unique in the cluster. */
  readonly id: number;
  /** Host name or IP address that clients and peers connect to (advertised address). */
  readonly host: string;
  /** Port of the client listener. */
  readonly clientPort: number;
  /** Port of the peer (broker-to-broker Raft) listener. */
  readonly peerPort: number;
  /**
   * Port of its Kafka-protocol listener (docs/KAFKA.md), advertised to Kafka
   * clients in Metadata; absent when it has none (Kafka clients are then not
   * told about it).
   */
  readonly kafkaPort?: number;
}

/** Bounds of the Kafka-protocol listener (broker/kafka/, docs/KAFKA.md). */
export interface KafkaListenerSettings {
  /** Most open Kafka-protocol connections; one past it is closed at once. */
  readonly connectionsMax: number;
  /** Largest request accepted (its 4-byte size prefix); a larger one closes the connection (Kafka's socket.request.max.bytes). */
  readonly requestBytesMax: number;
  /** Requests of one connection being handled at once; past it the connection is not read until one is answered. */
  readonly inflightRequestsMax: number;
  /** A connection with no request in flight and none received for this long is closed (Kafka's connections.max.idle.ms). */
  readonly idleMs: number;
}

/** Raft timing and replication pipeline bounds, shared by every Raft group on the broker. */
export interface RaftSettings {
  /** Base election timeout in ticks; higher-priority members wait less. */
  readonly electionTimeoutTicks: number;
  /** Leader heartbeat interval in ticks. Invariant: < electionTimeoutTicks. */
  readonly heartbeatIntervalTicks: number;
  /** How often a leader checks for a caught-up preferred replica, in ticks; 0 disables the transfer back. */
  readonly preferredLeaderCheckTicks: number;
  /** Append messages in flight to one follower before the leader waits for responses. */
  readonly inflightAppendsMax: number;
  /** Bytes of entries in flight to one follower. Invariant: >= appendBytesMax. */
  readonly inflightBytesMax: number;
  /** Bytes of entries in one Append message (at least one entry is always sent). */
  readonly appendBytesMax: number;
  /** Proposals waiting uncommitted on a leader before new ones are refused (back-pressure). */
  readonly uncommittedEntriesMax: number;
  /** Bytes of uncommitted proposals on a leader before new ones are refused (back-pressure); one always goes through. */
  readonly uncommittedBytesMax: number;
  /** Bytes of just-persisted entries a Raft group keeps in memory (0: off). */
  readonly recentEntriesBytesMax: number;
  /** Idle groups stop heartbeating and ticking; liveness comes from the peer heartbeat (peerLivenessTimeoutMs). */
  readonly quiesce: boolean;
}

/** The LMDB environment and the segmented logs in it. */
export interface StorageSettings {
  /** Sync each commit to disk before acknowledging. false is UNSAFE: a crash may lose acknowledged writes. */
  readonly fsync: boolean;
  /** Initial LMDB map size; lmdb-js grows it as data needs (not a cap on disk use). Invariant: >= segmentBytes. */
  readonly mapSizeBytes: number;
  /** A segment rolls when it holds this many bytes. */
  readonly segmentBytes: number;
  /** A segment rolls when its first entry is this old. */
  readonly segmentMs: number;
  /** Retention by size per partition; -1 = unlimited. */
  readonly retentionBytes: number;
  /** Retention by age; -1 = unlimited. */
  readonly retentionMs: number;
  /** Bound on the start-up check of the data directory's checksums; past it the broker starts without the check. */
  readonly startupCheckTimeoutMs: number;
  /** Free bytes on the data directory's filesystem below which the disk counts as full (no produce, no leadership here). */
  readonly diskFreeMinBytes: number;
  /** Disk kept allocated past the end of the LMDB data file (0: none), so LMDB never meets a full disk first. */
  readonly diskReserveBytes: number;
  /** How often the data directory's free space is read. */
  readonly diskCheckIntervalMs: number;
  /** First wait before retrying a log write that failed (full disk, I/O error); doubles per failure. Invariant: <= writeRetryBackoffMsMax. */
  readonly writeRetryBackoffMs: number;
  /** Longest wait between tries of a failing log write. */
  readonly writeRetryBackoffMsMax: number;
}

/** Bounds on what clients may ask for. Every queue and buffer on the client path is bounded by one of these. */
export interface LimitSettings {
  /** Largest WebSocket frame accepted from a client. */
  readonly frameBytesMax: number;
  /** Largest single record (key + value + headers). Invariant: < frameBytesMax. */
  readonly recordBytesMax: number;
  /** Most records in one produce batch. */
  readonly batchRecordsMax: number;
  /** Largest record batch in one produce, as sent (compressed or not). Invariant: < frameBytesMax. */
  readonly batchBytesMax: number;
  /** Most bytes one batch may decompress to (forced recompression, consumers). Invariant: >= batchBytesMax. */
  readonly batchDecompressedBytesMax: number;
  /** Longest topic name, in characters (Kafka's limit is 249). */
  readonly topicNameLengthMax: number;
  /** Most partitions in one topic. */
  readonly partitionsMax: number;
  /** Highest replication factor a topic may ask for. */
  readonly replicationFactorMax: number;
  /** Most open client connections. */
  readonly connectionsMax: number;
  /** Most requests in flight on one connection. */
  readonly inflightRequestsMax: number;
  /** Most record bytes in one fetch response. Invariant: < frameBytesMax. */
  readonly fetchBytesMax: number;
  /** Longest a fetch may wait for new records (long poll). */
  readonly fetchWaitMsMax: number;
  /** A connection with no request running, nothing unsent and no frame received for this long is closed. */
  readonly connectionIdleMs: number;
  /** Most open client connections from one remote IP address. */
  readonly connectionsPerAddressMax: number;
  /** Response bytes one connection may hold (fetch reservations and unsent frames). Invariant: >= 2 * frameBytesMax. */
  readonly connectionResponseBytesMax: number;
  /** Response bytes all client connections may hold together. Invariant: >= connectionResponseBytesMax. */
  readonly brokerResponseBytesMax: number;
  /** A connection whose unsent responses have not moved for this long is closed as not reading. */
  readonly sendStallMs: number;
  /** The same while fetches wait for the broker's response budget. Invariant: <= sendStallMs. */
  readonly sendStallPressureMs: number;
}

/** Authorization with ACLs (docs/SECURITY.md, "Authorization"). */
export interface AuthorizationConfig {
  /** Check every request against the ACLs; false allows every request (ACLs are still stored). */
  readonly enabled: boolean;
  /** Principals ("User:<name>") allowed everything, whatever the ACLs say. */
  readonly superUsers: readonly string[];
}

/** How partitions move between brokers (docs/CONFIG.md, `reassignment`; docs/OPERATIONS.md). */
export interface ReassignmentSettings {
  /** Bytes per second each moving partition's leader sends its new replicas together (0: unlimited). */
  readonly throttleBytesPerSec: number;
  /** A new replica becomes a voter once its log is within this many entries of the leader's commit index. */
  readonly catchUpLagEntriesMax: number;
}

/** Prometheus metrics on the admin listener (docs/METRICS.md). */
export interface MetricsSettings {
  /** Keep and export metrics; false: no counters are kept and /metrics answers 404 (to measure their cost). */
  readonly enabled: boolean;
  /** Most partitions with per-partition series; the rest are dropped and counted (rlog_metrics_partitions_dropped). */
  readonly partitionSeriesMax: number;
}

/** Whether and how the client listener asks for client certificates (mTLS). */
export const TLS_CLIENT_AUTH_MODES = ["none", "optional", "required"] as const;

/** A TlsSettings.clientAuth value. */
export type TlsClientAuth = (typeof TLS_CLIENT_AUTH_MODES)[number];

/**
 * TLS on both listeners (docs/CONFIG.md, `tls`). On when certFile and keyFile are
 * set (both or neither). Relative paths resolve against the broker's working
 * directory, like dataDir. Peers always use mutual TLS when TLS is on.
 */
export interface TlsSettings {
  /** PEM certificate (chain) of this broker, served on both listeners and presented to peers; null: TLS off. */
  readonly certFile: string | null;
  /** PEM private key of certFile; null: TLS off. */
  readonly keyFile: string | null;
  /** PEM CA bundle that client and peer certificates must chain to. Required for clientAuth other than "none", and with peers. */
  readonly caFile: string | null;
  /** Client listener: "none" asks for no certificate, "optional" asks and accepts none, "required" refuses a connection without a valid one. */
  readonly clientAuth: TlsClientAuth;
}

/** Values of `authentication.mechanism`. */
export const AUTHENTICATION_MECHANISMS = ["none", "scram"] as const;

/** How clients prove who they are on the client listener (docs/CONFIG.md, `authentication`). */
export interface AuthenticationSettings {
  /** "none": anyone is User:ANONYMOUS; "scram": SCRAM-SHA-256 before any other request (a verified TLS client certificate also counts). */
  readonly mechanism: (typeof AUTHENTICATION_MECHANISMS)[number];
  /** A failed authentication is answered (and the connection closed) this long after the failing message. */
  readonly failureDelayMs: number;
  /** JSON file of SCRAM users in stored form, read at start and merged with the metadata users (file wins); null: none. */
  readonly scramUsersFile: string | null;
}

/** A complete, validated broker configuration. Deeply readonly and frozen. */
export interface BrokerConfig {
  /** This broker's id; must appear in `brokers`. */
  readonly brokerId: number;
  /** Address the listeners bind to. */
  readonly host: string;
  /** Port of the client listener. */
  readonly clientPort: number;
  /** Port of the peer listener. */
  readonly peerPort: number;
  /** Port of the admin HTTP listener (/metrics, /health, /ready; docs/METRICS.md), bound on `host`; 0 = any free port, -1 = off. */
  readonly adminPort: number;
  /** Port of the Kafka-protocol listener (docs/KAFKA.md), bound on `host`; 0 = any free port, -1 = off. */
  readonly kafkaPort: number;
  /** Bounds of the Kafka-protocol listener. */
  readonly kafka: KafkaListenerSettings;
  /** Most open connections to the admin listener; more are refused (closed at once). */
  readonly adminConnectionsMax: number;
  /** An admin connection with no request for this long is closed. */
  readonly adminIdleMs: number;
  /** /ready: a hosted follower counts as caught up when its applied index is within this many entries of its leader's commit. */
  readonly adminReadyLagEntriesMax: number;
  /** LMDB data directory; a relative path resolves against the broker's working directory. */
  readonly dataDir: string;
  /** Shared secret peers present on the peer listener; null only for a single-broker cluster. */
  readonly clusterSecret: string | null;
  /** Every member of the cluster, this broker included. */
  readonly brokers: readonly BrokerEndpoint[];
  /** Broker ids that vote in the controller Raft group. */
  readonly controllerVoters: readonly number[];
  /** Wall time of one Raft tick. */
  readonly raftTickMs: number;
  /** How often a broker re-announces the groups it leads to every peer (broker/cluster/leader-announcer.ts). */
  readonly leaderAnnounceIntervalMs: number;
  /** A peer link sends a heartbeat frame after this long without sending anything else. */
  readonly peerHeartbeatIntervalMs: number;
  /** A peer not heard from for this long is reported down to its Raft groups. Invariant: > peerHeartbeatIntervalMs. */
  readonly peerLivenessTimeoutMs: number;
  readonly raft: RaftSettings;
  readonly storage: StorageSettings;
  readonly limits: LimitSettings;
  readonly tls: TlsSettings;
  /** Client authentication. */
  readonly authentication: AuthenticationSettings;
  /**
   * Origins (e.g. "https://app.example.com") whose web pages may open a
   * WebSocket to the client listener; a connection with any other Origin
   * header is refused (HTTP 403). Connections without an Origin (the SDK,
   * the CLI) are not affected. "*" allows every origin: UNSAFE, any web page
   * the broker's users visit could then use the broker.
   */
  readonly allowedOrigins: readonly string[];
  /** Partitions of a topic created without an explicit count. */
  readonly defaultPartitions: number;
  /** Replication factor of a topic created without an explicit one. */
  readonly defaultReplicationFactor: number;
  /** Partitions of the internal consumer-groups topic (`__consumer_offsets`) when the controller creates it. */
  readonly groupsTopicPartitions: number;
  /** The controller takes a snapshot of its metadata and compacts its log every this many applied entries. */
  readonly controllerSnapshotEntries: number;
  /**
   * Each replica of a `__consumer_offsets` partition snapshots its group table
   * and compacts its log every this many applied entries; 0 = never (the log
   * is kept whole and replayed whole at start-up).
   */
  readonly groupsSnapshotEntries: number;
  /** Producer ids per controller commit, when this broker leads the controller (docs/PROTOCOL.md, initProducerId). */
  readonly producerIdBlockSize: number;
  /** A producer idle this long (by its batches' timestamps) is forgotten by this broker's partitions (Kafka's producer.id.expiration.ms). */
  readonly producerIdExpirationMs: number;
  /** Root logger level. */
  readonly logLevel: LogLevel;
  readonly authorization: AuthorizationConfig;
  readonly reassignment: ReassignmentSettings;
  readonly metrics: MetricsSettings;
}

/** What a config file, the environment or `overrides` may supply: any subset, groups merged key by key. */
export type ConfigInput = {
  readonly [K in keyof BrokerConfig]?: BrokerConfig[K] extends RaftSettings | StorageSettings | LimitSettings | AuthorizationConfig | TlsSettings | AuthenticationSettings | ReassignmentSettings | MetricsSettings | KafkaListenerSettings
    ? Partial<BrokerConfig[K]>
    : BrokerConfig[K];
};
