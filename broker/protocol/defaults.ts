/**
 * Every default value of rlog, each written once (issue 18, "one shape
 * throughout"). The broker's config loader (config/defaults.ts), the
 * protocol's limits (broker/protocol/limits.ts), the Raft core
 * (broker/raft/config.ts, broker/raft/memory-storage.ts), the client and the
 * CLI all read their defaults from here instead of repeating the numbers.
 *
 * This file imports nothing and touches no Node API: it is the one broker file
 * that config/ and broker/raft/ may import (test/architecture/imports.test.ts),
 * and client/ and cli/ may import it like the rest of broker/protocol/.
 *
 * Units are the last word of every name (Ms, Ticks, Bytes, Max, Count...).
 * docs/CONFIG.md documents the broker keys, docs/PROTOCOL.md the limits and
 * docs/CLIENT.md the client options; tests check that the documents agree.
 */

/** Bytes in a kibibyte. */
export const KiB = 1024;
/** Bytes in a mebibyte. */
export const MiB = 1024 * KiB;
/** Bytes in a gibibyte. */
export const GiB = 1024 * MiB;
/** Milliseconds in a second. */
export const SECOND_MS = 1000;
/** Milliseconds in a minute. */
export const MINUTE_MS = 60 * SECOND_MS;
/** Milliseconds in an hour. */
export const HOUR_MS = 60 * MINUTE_MS;
/** Milliseconds in a day. */
export const DAY_MS = 24 * HOUR_MS;

/** Frozen (every value is a primitive), so that no caller can change a default for everybody else; literal types kept. */
function frozen<const T extends object>(value: T): Readonly<T> {
  return Object.freeze(value);
}

/**
 * Raft timing and replication pipeline, shared by every Raft group on a
 * broker (config key `raft.*`). Tuned for the default 10 ms tick
 * (BROKER_DEFAULTS.raftTickMs): 500 ms base election timeout, 50 ms
 * heartbeats, a preferred-leader check every 2 s.
 */
export const RAFT_DEFAULTS = frozen({
  /** Base election timeout: 50 ticks = 500 ms, well above a loaded machine's scheduling hiccups. */
  electionTimeoutTicks: 50,
  /** A tenth of the election timeout, so one or two lost heartbeats never start an election. */
  heartbeatIntervalTicks: 5,
  /** 2 s: leadership returns to a caught-up preferred replica soon, without churning during a restart. */
  preferredLeaderCheckTicks: 200,
  /** Appends in flight to one follower: enough to fill a LAN pipe at default batch sizes. */
  inflightAppendsMax: 64,
  /** Bytes in flight to one follower; at least appendBytesMax. */
  inflightBytesMax: 8 * MiB,
  /** Bytes of entries in one Append message (one larger entry still goes alone). */
  appendBytesMax: 1 * MiB,
  /** Uncommitted proposals on a leader before back-pressure refuses new ones. */
  uncommittedEntriesMax: 10_000,
  /**
   * Bytes of uncommitted proposals on a leader before back-pressure refuses
   * new ones: the memory a group may hold for writes it cannot commit yet (a
   * slow or missing quorum). 64 MiB is a dozen producers' worth of 1 MiB
   * batches in flight on one partition; a proposal is never refused while
   * nothing is uncommitted, so one larger batch still goes through.
   */
  uncommittedBytesMax: 64 * MiB,
  /** Just-persisted entries kept in memory per group, so sending and applying do not read back. */
  recentEntriesBytesMax: 2 * MiB,
  /**
   * Idle groups quiesce: no heartbeats, clocks stopped, liveness from the
   * broker-pair heartbeat (docs/ARCHITECTURE.md, "Quiet idle partitions").
   */
  quiesce: true,
});

/** Storage settings of LMDB and the segmented logs (config key `storage.*`). */
export const STORAGE_DEFAULTS = frozen({
  /** Sync each commit before acknowledging it (DESIGN.md); false is an explicit, unsafe opt-out. */
  fsync: true,
  /** Initial LMDB map size: address space, not disk; lmdb-js grows it past this when needed. */
  mapSizeBytes: 64 * GiB,
  /** A segment rolls at this size (Kafka's segment.bytes is 1 GiB; ours is smaller so retention frees space sooner). */
  segmentBytes: 64 * MiB,
  /** A segment rolls when its first entry is this old, so time-based retention can drop it (Kafka: 7 days). */
  segmentMs: 7 * DAY_MS,
  /** Size-based retention per partition; -1 = unlimited (Kafka's retention.bytes default). */
  retentionBytes: -1,
  /** Time-based retention (Kafka's retention.ms default: 7 days); -1 keeps everything. */
  retentionMs: 7 * DAY_MS,
  /**
   * Bound on the start-up check of the data directory (every checksum, read in a child process; 300 to
   * 450 MB/s from the page cache here). Past it the broker starts without the check: reads still check every checksum.
   */
  startupCheckTimeoutMs: 300_000,
  /**
   * Below this much free space on the data directory's filesystem the broker counts its disk
   * as full: produce answers NOT_ENOUGH_SPACE and leadership moves away (docs/STORAGE.md, "A
   * full disk"). 64 MiB is a full segment of headroom: room for the votes, hard states, catalog
   * changes and retention deletes that keep going while full, and for the writes already in
   * flight when the gate closes (a produce batch is at most limits.frameBytesMax, 8 MiB).
   */
  diskFreeMinBytes: 64 * MiB,
  /**
   * Disk kept allocated past the end of the LMDB data file, so that writes go on while a
   * disk filled by another process closes the free-space gate, and LMDB itself never
   * meets ENOSPC (docs/STORAGE.md, "A full disk"). Sized like diskFreeMinBytes: the
   * writes of a few check intervals at full speed, and the small writes of a long outage.
   */
  diskReserveBytes: 64 * MiB,
  /** How often the free space of the data directory is read (statfs): the delay before a full disk closes the gate and before freed space reopens it. */
  diskCheckIntervalMs: 1 * SECOND_MS,
  /** First wait before a log write that failed with a full disk or an I/O error is tried again; doubles per failure. */
  writeRetryBackoffMs: 20,
  /** Longest wait between two tries of a failing log write. */
  writeRetryBackoffMsMax: 1 * SECOND_MS,
});

/**
 * Limits of the client protocol (broker/protocol/limits.ts `Limits`). The
 * broker enforces them (its config may override those under `limits.*`) and
 * announces them in the handshake; a client falls back to these.
 */
export const LIMIT_DEFAULTS = frozen({
  /** Largest frame; the ws maxPayload. Room for a 1 MiB record plus a full fetch response. */
  frameBytesMax: 8 * MiB,
  /** Largest record (Kafka's message.max.bytes is about 1 MiB too). */
  recordBytesMax: 1 * MiB,
  /** Most records in one produce request: one batch is one Raft entry. */
  batchRecordsMax: 10_000,
  /**
   * Largest record batch in one produce, as sent (compressed or not). The leader does not decode
   * records, so this is what bounds a record's size on the broker: room for a recordBytesMax record.
   */
  batchBytesMax: 4 * MiB,
  /** Most bytes one batch may decompress to (leader recompression, consumers): a bound on decompression bombs. */
  batchDecompressedBytesMax: 16 * MiB,
  /** Most headers on one record. */
  recordHeadersMax: 64,
  /** Largest fetch response budget: half a frame, leaving room for the envelope. */
  fetchBytesMax: 4 * MiB,
  /** Longest long poll. */
  fetchWaitMsMax: 30 * SECOND_MS,
  /** Longest timeoutMs a waiting request may ask for. */
  requestTimeoutMsMax: 2 * MINUTE_MS,
  /** Longest topic name (Kafka's limit). */
  topicNameLengthMax: 249,
  /** Longest client id, group id, member id, header key or commit metadata. */
  stringLengthMax: 1024,
  /** Most partitions in one topic. */
  partitionsMax: 1024,
  /** Largest replication factor (Raft group size). */
  replicationFactorMax: 7,
  /** Most entries in any other array of a request. */
  arrayLengthMax: 10_000,
  /** Most client connections a broker accepts at once. */
  connectionsMax: 1024,
  /** Most requests outstanding on one connection. */
  inflightRequestsMax: 128,
  /** Time a new connection has to complete its handshake. */
  handshakeWaitMsMax: 10 * SECOND_MS,
  /**
   * A connection with no request running, no response unsent and no frame received for this long
   * is closed (IdleTimeout, 4009). Kafka's connections.max.idle.ms is 9 minutes; the SDK reconnects.
   */
  connectionIdleMs: 10 * MINUTE_MS,
  /** Most client connections from one remote IP address: a quarter of connectionsMax, so one host cannot take them all. */
  connectionsPerAddressMax: 256,
  /**
   * Response bytes one connection may hold: from before a fetch reads the log until ws has handed the
   * frame to the socket. At least 2 * frameBytesMax: a fetch reserves its records as read plus the frame that copies them.
   */
  connectionResponseBytesMax: 16 * MiB,
  /**
   * Response bytes all connections together may hold. The memory attack test (50 paused connections,
   * 128 pipelined 4 MiB fetches each) peaked at 384-409 MiB resident with 96 MiB, 431-462 MiB with
   * 128 MiB (a 150-165 MiB idle broker; what is released waits for the GC): 96 MiB keeps a margin
   * under 512 MiB (docs/PROTOCOL.md, "Memory bounds"). At least connectionResponseBytesMax.
   */
  brokerResponseBytesMax: 96 * MiB,
  /** A connection whose unsent responses have not moved for this long is closed as not reading (SlowClient, 1008). */
  sendStallMs: 30 * SECOND_MS,
  /**
   * While fetches wait for the broker's response budget, a connection whose unsent responses have not
   * moved for this long is closed as not reading, so non-readers cannot hold the budget from the others
   * for a whole sendStallMs. At most sendStallMs.
   */
  sendStallPressureMs: 5 * SECOND_MS,
  /** Smallest segmentBytes a topic may configure. */
  segmentBytesMin: 4 * KiB,
  /** Largest segmentBytes a topic may configure. */
  segmentBytesMax: 1 * GiB,
  /** Smallest segmentMs a topic may configure. */
  segmentMsMin: 1 * SECOND_MS,
  /** Shortest consumer-group session timeout (Kafka: group.min.session.timeout.ms is 6 s; ours allows fast tests). */
  sessionTimeoutMsMin: 1 * SECOND_MS,
  /** Longest consumer-group session timeout (Kafka: group.max.session.timeout.ms, 30 min; ours 5 min). */
  sessionTimeoutMsMax: 5 * MINUTE_MS,
  /** Longest consumer-group rebalance timeout. */
  rebalanceTimeoutMsMax: 5 * MINUTE_MS,
});

/** Topic settings that are not storage settings (createTopic `config`). */
export const TOPIC_DEFAULTS = frozen({
  /** Keep each batch compressed as its producer sent it (Kafka's compression.type=producer). */
  compression: "producer",
});

/** The broker's top-level settings that have a static default (config/defaults.ts). */
export const BROKER_DEFAULTS = frozen({
  /** Bind address: loopback, so a trial broker is not reachable from the network. */
  host: "127.0.0.1",
  /** Kafka's port; broker i of the local cluster uses 9091 + i (DESIGN.md). */
  clientPort: 9092,
  /** Broker i of the local cluster uses 9191 + i (DESIGN.md). */
  peerPort: 9192,
  /** One Raft tick; RAFT_DEFAULTS are counted in it. */
  raftTickMs: 10,
  /**
   * How often every broker re-announces the leaders of all partitions it leads
   * (DESIGN.md "leader knowledge"). Only a repair: a new leader announces itself
   * at once, and to every peer whose link (re)opens; a re-announcement costs work
   * per partition, so it is rare (issue 16: idle cost must not grow with partitions).
   */
  leaderAnnounceIntervalMs: 30 * SECOND_MS,
  /**
   * A broker sends each peer a heartbeat frame when it sent that peer nothing
   * else for this long: the one liveness signal per broker pair that lets idle
   * Raft groups quiesce (docs/ARCHITECTURE.md, "Quiet idle partitions").
   */
  peerHeartbeatIntervalMs: 100,
  /**
   * A peer not heard from (no frame at all) for this long is reported down to
   * every Raft group it is in: its quiesced groups wake and elect. One election
   * timeout at the default tick. A closed connection reports it down at once.
   */
  peerLivenessTimeoutMs: 500,
  /** Partitions of a topic created without a count (Kafka's num.partitions). */
  defaultPartitions: 1,
  /** Replication factor wanted for new topics and the offsets topic, capped by the broker count. */
  replicationFactorPreferred: 3,
  /** Partitions of __consumer_offsets; fixed once the topic exists. */
  groupsTopicPartitions: 8,
  /**
   * The controller snapshots its metadata and drops the log entries it covers
   * every this many applied entries (each member on its own). Metadata is small
   * (topics, ACLs, users) and a snapshot is written whole, so the log, not the
   * snapshot, is what grows: 10,000 keeps restart replay short and a snapshot rare.
   */
  controllerSnapshotEntries: 10_000,
  /** Level of the root pino logger. */
  logLevel: "info",
  /** How long a controlled shutdown waits for its leaderships to move away before stopping anyway. */
  controlledShutdownMsMax: 10 * SECOND_MS,
  /** How often retention runs over every partition: segments roll in hours, so a check every 30 s is plenty. */
  retentionCheckIntervalMs: 30 * SECOND_MS,
  /**
   * Most Raft groups whose leader a broker remembers (broker/cluster/leader-table.ts):
   * far above the partitions one cluster can run (issue 16 aims at 10,000), and a bound
   * on what peers' announcements can make it hold. Groups of deleted topics are pruned.
   */
  leaderTableEntriesMax: 1_000_000,
});

/**
 * What a request gets when it names no time of its own (the protocol's
 * optional `timeoutMs`); both are at most LIMIT_DEFAULTS.requestTimeoutMsMax.
 */
export const REQUEST_DEFAULTS = frozen({
  /** A produce with acks=all waits this long for its commit (Kafka's request.timeout.ms is 30 s too). */
  produceTimeoutMs: 30 * SECOND_MS,
  /** transferLeader waits this long for the new leader: a few election timeouts. */
  transferWaitMs: 10 * SECOND_MS,
});

/** Client authentication on the client listener (config group `authentication`, docs/CONFIG.md). */
export const AUTHENTICATION_DEFAULTS = frozen({
  /** "none": every connection is User:ANONYMOUS; "scram": SCRAM-SHA-256 (or a TLS client certificate) first. */
  mechanism: "none",
  /** A failed authentication is answered this late, so guessing passwords is slow. */
  failureDelayMs: SECOND_MS,
  /** No users file: users come from the controller metadata only. */
  scramUsersFile: null,
});

/**
 * The controller's metadata log: not a topic, so no topic settings; it rolls
 * like a topic with the storage defaults (its size is tiny, so this rarely matters).
 */
export const CONTROLLER_LOG_DEFAULTS = frozen({
  segmentBytes: STORAGE_DEFAULTS.segmentBytes,
  segmentMs: STORAGE_DEFAULTS.segmentMs,
});

/**
 * Bounds and timings of the group coordinator (broker/consumer-groups/;
 * docs/GROUPS.md lists them). Every in-memory table there is bounded by one.
 */
export const GROUP_COORDINATOR_DEFAULTS = frozen({
  /** Most groups one offsets-topic partition holds. */
  groupsPerPartitionMax: 10_000,
  /** Most members of one group. */
  groupMembersMax: 1_000,
  /** Most committed offsets (topic-partitions) of one group. */
  groupOffsetsMax: 100_000,
  /** How often the coordinator checks session expiry, join barriers and the offsets topic. */
  groupTickMs: 100,
  /** How long a group write waits for its commit before TIMEOUT. */
  groupWriteTimeoutMs: 15 * SECOND_MS,
  /** A rebalance from an empty group waits this long for more members (Kafka's group.initial.rebalance.delay.ms is 3 s; ours is short for fast tests and small groups). */
  initialRebalanceDelayMs: 300,
  /** How long the coordinator waits before asking again to create the offsets topic. */
  offsetsTopicCreateRetryMs: 1 * SECOND_MS,
  /**
   * Largest snapshot of one offsets partition's group table
   * (broker/consumer-groups/group-snapshot.ts). A snapshot travels whole in
   * one peer frame (InstallSnapshot; no chunking), so this is the peer
   * frame limit (DEFAULT_PEER_LIMITS.frameBytesMax, 64 MiB) less 4 MiB for the
   * message around it: about 3 million committed offsets at ~20 bytes each.
   * A larger table is not snapshotted (warn; its log is kept whole) and a
   * larger snapshot received is refused.
   */
  groupSnapshotBytesMax: 60 * MiB,
  /**
   * Each replica of an offsets partition snapshots its group table and
   * compacts its log every this many applied entries (broker setting
   * groupsSnapshotEntries; 0 = never). A snapshot writes the whole table, so
   * this trades snapshot writes against replay at restart.
   */
  groupsSnapshotEntries: 10_000,
});

/** Idempotent-producer state of a partition (broker/partition/producer-state.ts). */
export const PRODUCER_STATE_DEFAULTS = frozen({
  /** Batches remembered per producer: more than the client's in-flight bound (PRODUCER_DEFAULTS.idempotentInflightMax). */
  batchesPerProducerMax: 8,
  /** Producers remembered per partition; the least recently written is forgotten first. */
  producersMax: 100_000,
  /** Entries scanned back from the end of the log at start-up to rebuild producer state. */
  scanEntriesMax: 20_000,
  /**
   * A producer whose last batch is older than this is forgotten (Kafka's
   * producer.id.expiration.ms, 1 day): its next batch is taken as from an
   * unknown producer. "Older" compares the batch's own timestamp (the same on
   * every replica) with the replica's clock; see producer-state.ts.
   */
  producerIdExpirationMs: DAY_MS,
});

/** Producer-id allocation by the controller leader (broker/cluster/producer-id-allocator.ts). */
export const PRODUCER_ID_DEFAULTS = frozen({
  /** Ids per AllocateProducerIdBlock commit (Kafka's block size, 1000): one controller entry per this many initProducerId. */
  producerIdBlockSize: 1000,
  /** Most initProducerId calls waiting on the controller leader for a block; more get TOO_MANY_REQUESTS. */
  producerIdWaitersMax: 10_000,
});

/** Partition reassignment (docs/OPERATIONS.md, "Moving partitions"; config group `reassignment`). */
export const REASSIGNMENT_DEFAULTS = frozen({
  /** Bytes per second a moving partition's leader sends its new replicas (learners) all together; 0: unlimited (Kafka too has no throttle unless one is set). */
  throttleBytesPerSec: 0,
  /** A new replica votes once its log is within this many entries of the leader's commit index. */
  catchUpLagEntriesMax: 100,
});

/** Authorization (broker/security/, docs/SECURITY.md). */
export const AUTHORIZATION_DEFAULTS = frozen({
  /** Authorization is off unless the config turns it on: every request is allowed. */
  enabled: false,
  /** Most ACLs the cluster metadata holds; a createAcls past it is refused (INVALID_REQUEST). */
  aclsMax: 100_000,
  /** Most remembered decisions per broker (principal, resource, operation); cleared whole when full and on every ACL change. */
  decisionCacheEntriesMax: 10_000,
  /** Most names in superUsers. */
  superUsersMax: 100,
});

/** The LMDB log store (broker/storage/log-store.ts LogStoreOptions). */
export const LOG_STORE_DEFAULTS = frozen({
  /** Logs open at once. */
  logsOpenMax: 100_000,
  /** Entries deleted per transaction when reclaiming dropped segments or deleted logs. */
  reclaimChunkKeys: 4096,
  /** Operations one log may have queued before more are refused. */
  pendingOpsMax: 1024,
});

/** Client connection options (client/client-options.ts). */
export const CLIENT_DEFAULTS = frozen({
  /** Client id sent in the handshake. */
  clientId: "rlog-client",
  /** A request unanswered this long fails TIMEOUT (and may be retried). */
  requestTimeoutMs: 30 * SECOND_MS,
  /** A connection not open and handshaken this long fails. */
  connectTimeoutMs: 10 * SECOND_MS,
  /** Requests waiting for a free in-flight slot per connection before TOO_MANY_REQUESTS. */
  queuedRequestsMax: 1024,
  /** Largest frame the client accepts from a broker: generous, the broker's own bound is smaller. */
  frameBytesMax: 64 * MiB,
  /**
   * Metadata older than this is refreshed before a producer picks a partition
   * (Kafka's metadata.max.age.ms, 5 min): how a running producer learns of
   * partitions added by alterTopic.
   */
  metadataMaxAgeMs: 5 * MINUTE_MS,
});

/** The client's one retrier (client/retry/retry-options.ts): capped exponential backoff with jitter. */
export const RETRY_DEFAULTS = frozen({
  /** Retries of one request after its first attempt. */
  retriesMax: 10,
  /** First pause; doubles up to backoffMsMax. */
  initialBackoffMs: 100,
  /** Longest pause between two attempts. */
  backoffMsMax: 3 * SECOND_MS,
  /** Give up after this long in all. */
  totalTimeoutMs: 30 * SECOND_MS,
  /** While leadership moves, pauses stay this short (an election takes a few hundred ms). */
  leaderChangeBackoffMsMax: 250,
  /** How often metadata is refreshed while waiting for a new leader. */
  leaderPollIntervalMs: 25,
});

/** Producer options (client/producer/producer-options.ts). */
export const PRODUCER_DEFAULTS = frozen({
  /** Wait for the commit (Kafka's acks=all). */
  acks: "all",
  /** Time a batch waits for more records before it is sent. */
  lingerMs: 5,
  /**
   * A batch is sent once it holds this many bytes. 1 MiB (Kafka's request size): fewer, larger
   * entries cost less per record on every broker (one write, one frame, one allocation each);
   * quick produce runs gave 85-91k records/s against 62-70k with 256 KiB (docs/PERFORMANCE.md).
   * Below linger's rate a batch never fills, so latency does not change.
   */
  batchBytesMax: 1 * MiB,
  /** Batches in flight per partition for an idempotent producer (Kafka's bound, too). */
  idempotentInflightMax: 5,
  /** Bytes of records buffered, unsent or unacknowledged, before send() waits (Kafka's buffer.memory). */
  bufferBytesMax: 32 * MiB,
  /** A batch not acknowledged this long is retried or fails. */
  ackTimeoutMs: 10 * SECOND_MS,
  /** Codec of each batch (Kafka's compression.type default: none). */
  compression: "none",
});

/** Consumer options (client/consumer/consumer-types.ts). */
export const CONSUMER_DEFAULTS = frozen({
  /** Long poll of one fetch (capped by the broker's fetchWaitMsMax). */
  maxWaitMs: 500,
  /** Record bytes asked for in one fetch (capped by the broker's fetchBytesMax). */
  maxBytes: 1 * MiB,
  /** A fetch returns as soon as this many bytes are there. */
  minBytes: 1,
  /** Where a consumer without a committed offset starts. */
  offsetReset: "earliest",
  /** Records taken from one partition before the next partition gets its turn (fairness across partitions). */
  burstRecordsMax: 64,
  /** Most records in one eachBatch call: the broker's batchRecordsMax, so one produced batch fits one call. */
  eachBatchRecordsMax: 10_000,
});

/** Consumer-group member options (client/consumer/group-types.ts) and their broker-side bounds. */
export const GROUP_DEFAULTS = frozen({
  /** A member not heard from this long is removed (Kafka: session.timeout.ms, 45 s; ours is faster to fail over). */
  sessionTimeoutMs: 10 * SECOND_MS,
  /** Time members have to rejoin during a rebalance. */
  rebalanceTimeoutMs: 30 * SECOND_MS,
  /** The heartbeat interval defaults to a third of the session timeout, but never below this. */
  heartbeatIntervalMsMin: 100,
  /** How often consumed offsets are committed. */
  autoCommitIntervalMs: 5 * SECOND_MS,
  /** Partition assignment strategy. */
  assignmentStrategy: "sticky",
});

/** The Kafka-protocol listener (broker/kafka/, docs/KAFKA.md). */
export const KAFKA_LISTENER_DEFAULTS = frozen({
  /**
   * Off (-1) unless configured, like adminPort: one fixed port would clash
   * between brokers on one host. Broker i of the local cluster uses 19091 + i
   * (19092, 19093, 19094), and the shipped configs set it.
   */
  kafkaPort: -1,
  /** Open Kafka-protocol connections at once (as the client listener's connectionsMax). */
  connectionsMax: 1024,
  /**
   * Largest request: a produce request carries one batch per partition, each at
   * most limits.batchBytesMax (1 MiB by default), so 8 MiB is room for several
   * partitions' batches; Kafka's socket.request.max.bytes is 100 MiB.
   */
  requestBytesMax: 8 * MiB,
  /** Requests of one connection handled at once (Kafka clients pipeline 5 by default). */
  inflightRequestsMax: 64,
  /** Kafka's connections.max.idle.ms: 10 minutes. */
  idleMs: 10 * MINUTE_MS,
});

/** The admin HTTP listener and the metrics on it (broker/admin/, docs/METRICS.md). */
export const ADMIN_DEFAULTS = frozen({
  /**
   * Off (-1) unless configured: one fixed port would clash between brokers on one
   * host (tests start many). Broker i of the local cluster uses 9291 + i (DESIGN.md),
   * and the shipped configs set it.
   */
  adminPort: -1,
  /** Open admin connections at once; a scraper and a console or two need few. */
  adminConnectionsMax: 64,
  /** An admin connection idle (no request, nothing being sent) this long is closed. */
  adminIdleMs: 30 * SECOND_MS,
  /**
   * /ready: a hosted follower replica is caught up when its applied index is
   * within this many entries of its leader's commit index as last heard.
   */
  adminReadyLagEntriesMax: 1000,
});

/** Prometheus metrics (broker/admin/broker-metrics.ts, docs/METRICS.md). */
export const METRICS_DEFAULTS = frozen({
  /** Metrics on; off, /metrics answers 404 and no counter is kept (to measure their cost). */
  enabled: true,
  /**
   * Most partitions exported with per-partition series (each has about eight);
   * partitions past it (in topic, partition order) are left out and counted in
   * rlog_metrics_partitions_dropped. 1000 partitions ~ 8000 series, a modest scrape.
   */
  partitionSeriesMax: 1000,
});
