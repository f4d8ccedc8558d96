/**
 * One broker: the composition of storage (one LMDB environment), the peer
 * transport, the controller group, the partition replicas assigned to this
 * broker, and the client listener, whose handlers (broker/server/handlers/)
 * see the broker only through the HandlerContext it builds. main.ts wires
 * a real clock, process signals and fatal errors to it; tests start brokers
 * in child processes through main.ts.
 */
import { randomBytes, randomInt } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { BrokerConfig } from "../config/broker-config.js";
import { Controller } from "./cluster/controller.js";
import { knownBrokers, type KnownBroker } from "./cluster/broker-registry.js";
import { BrokerAdmin } from "./cluster/broker-admin.js";
import { CONTROLLER_MEMBERSHIP_CHECK_INTERVAL_MS, ControllerVoters } from "./cluster/controller-voters.js";
import { DiskIdentity } from "./cluster/disk-identity.js";
import { DataDirCheck } from "./cluster/data-dir-check.js";
import { GroupCoordinator } from "./consumer-groups/coordinator.js";
import { GROUP_TICK_MS } from "./consumer-groups/group-limits.js";
import { LeaderAnnouncer } from "./cluster/leader-announcer.js";
import { LeaderTable, newerLeader, type LeaderInfo } from "./cluster/leader-table.js";
import type { MetadataChange, TopicMeta } from "./cluster/metadata.js";
import { hostingReplicas, reassignmentOf, sameMembers } from "./cluster/reassignments.js";
import { ReassignmentDriver, type MovingPartition } from "./partition/reassignment-driver.js";
import { clientUrl, CONTROLLER_GROUP, parsePartitionGroupId, partitionGroupId, peerUrl, type PartitionGroupId } from "./cluster/names.js";
import { PartitionReplica } from "./partition/partition-replica.js";
import { RlogError, type LeaderHint } from "./protocol/errors.js";
import { OFFSETS_TOPIC } from "./protocol/group-routing.js";
import { DEFAULT_LIMITS, type Limits } from "./protocol/limits.js";
import type { TopicConfig } from "./protocol/requests.js";
import type { LeaderMove } from "./protocol/results.js";
import type { RaftConfig } from "./raft/config.js";
import { StorageError, type LogStorage } from "./raft/log-storage.js";
import type { Message } from "./raft/messages.js";
import { SeededRandom } from "./raft/random.js";
import { Role } from "./raft/ready.js";
import { NO_NODE, nodeId, term as toTerm, type NodeId, type Term } from "./raft/types.js";
import { ClientServer } from "./server/client-server.js";
import type { HandlerContext } from "./server/handler-context.js";
import { buildHandlers } from "./server/handlers/index.js";
import type { OpHandlers } from "./server/handlers.js";
import { Authorizer } from "./security/authorizer.js";
import { KafkaServer } from "./kafka/kafka-server.js";
import { LogStore } from "./storage/log-store.js";
import { DiskGate } from "./storage/disk-gate.js";
import { isDamagedEntry, isRetriableWriteFailure } from "./group/damage.js";
import type { GroupRunner, PeerFault, WriteRetryOptions } from "./group/group-runner.js";
import { WsPeerTransport } from "./transport/ws-peer-transport.js";
import { AdminServer } from "./admin/admin-server.js";
import { adminRoutes } from "./admin/admin-routes.js";
import { ADMIN_AUTH_KEY_BYTES, adminGate, BasicVerifier } from "./admin/admin-auth.js";
import { BrokerMetrics, type HostedPartition, type PartitionSample } from "./admin/broker-metrics.js";
import { instrumentHandlers } from "./admin/instrument-handlers.js";
import type { ReadinessInput, ReplicaReadiness } from "./admin/readiness.js";
import type { SoftState } from "./raft/ready.js";
import { readTlsFiles, type TlsMaterial } from "./transport/tls-files.js";
import { loadScramUsersFile, UserDirectory } from "./security/user-directory.js";
import { DEFAULT_PEER_LIMITS } from "./transport/peer-limits.js";
import { PeerLiveness } from "./transport/peer-liveness.js";
import { BROKER_DEFAULTS, CONTROLLER_LOG_DEFAULTS, TOPIC_DEFAULTS } from "./protocol/defaults.js";

/** A raft tick this late (ms since the previous one) is logged (warn). */
const TICK_LAG_WARN_MS = 100;
/** Tries to start a replica whose start-up reads meet a damaged entry (each cuts the log there first). */
const REPLICA_START_ATTEMPTS = 3;

/** How long a controlled shutdown waits for leadership to move away. */
export const CONTROLLED_SHUTDOWN_MS_MAX = BROKER_DEFAULTS.controlledShutdownMsMax;
/**
 * During a controlled shutdown, a transfer the core refused (no other
 * replica able to lead yet: draining, recovering, or not heard from lately)
 * is asked again after this long; nothing in the group's soft state would
 * announce that it can succeed now.
 */
const REFUSED_TRANSFER_RETRY_MS = 20;
/** How often this broker's moving partitions it leads take their next step (docs/OPERATIONS.md, "Moving partitions"). */
const REASSIGNMENT_CHECK_INTERVAL_MS = 100;
/**
 * While a moving group led here has reached its target and the controller
 * has not recorded it yet, its voters are announced again this often (the
 * first announcement, or the controller leader, may have been lost).
 */
const REASSIGNMENT_DONE_ANNOUNCE_MS = 1000;

/** How often retention runs over every partition. */
export const RETENTION_CHECK_INTERVAL_MS = BROKER_DEFAULTS.retentionCheckIntervalMs;

export interface BrokerOptions {
  readonly config: BrokerConfig;
  readonly logger: Logger;
  /** Wall clock, ms since epoch. */
  readonly clock?: () => number;
  /**
   * The broker cannot go on (a bug: a write, or opening or deleting a
   * partition's log, refused for a reason other than a full disk or an I/O
   * error, which are retried): its state is unknown. The process entry point
   * (broker/main.ts) logs and exits; the broker itself never ends the process.
   */
  readonly onFatal: (err: unknown, message: string) => void;
}

export class Broker {
  readonly id: NodeId;
  private readonly config: BrokerConfig;
  private readonly logger: Logger;
  private readonly clock: () => number;
  private readonly limits: Limits;
  private readonly onFatal: (err: unknown, message: string) => void;
  /** Open partition replicas by group id. */
  private readonly partitions = new Map<PartitionGroupId, PartitionReplica>();
  /**
   * The open partition replicas whose group is awake (not quiesced): the only
   * ones the Raft tick visits, so an idle partition costs no CPU (issue 16).
   * Kept by each runner's quiescence listener (openTopic).
   */
  private readonly awake = new Map<PartitionGroupId, PartitionReplica>();
  /** Whether each peer broker is live (one heartbeat per broker pair); feeds peerDown / peerUp to every group. */
  private liveness: PeerLiveness | undefined;
  /** Every partition's leader as announced by the leaders themselves, hosted here or not. */
  private readonly leaders: LeaderTable;
  private announcer!: LeaderAnnouncer;
  private announceTimer: NodeJS.Timeout | undefined;
  private controller!: Controller;
  /** The controller group's learners, voters and leader preference (controller-voters.ts). */
  private controllerVoters: ControllerVoters | undefined;
  private membershipTimer: NodeJS.Timeout | undefined;
  /** The broker registry and controller voters admin operations. */
  private brokerAdmin!: BrokerAdmin;
  /** Consumer-group coordinator for the offsets partitions this broker leads. */
  private groups!: GroupCoordinator;
  private store!: LogStore;
  /** What the start-up check of the data directory found (logs to repair as they open). */
  private dataDirCheck!: DataDirCheck;
  /** Whether the data directory is full: no new records, no leadership here (docs/STORAGE.md, "A full disk"). */
  private disk!: DiskGate;
  /** How every group on this broker retries a log write that failed with a full disk or an I/O error. */
  private writeRetry!: WriteRetryOptions;
  /** The data directory's identity: whether its groups may vote (lost-disk guard). */
  private identity!: DiskIdentity;
  private transport: WsPeerTransport | undefined;
  /** The peer URL of each broker the transport has a link to (syncPeers keeps it). */
  private readonly peerUrls = new Map<NodeId, string>();
  /** Peer messages refused by this broker's groups (each closed that peer's connection). */
  private peerFaults = 0;
  private server!: ClientServer;
  /** The config's authorization over the controller metadata's ACLs (docs/SECURITY.md). */
  private authorizer!: Authorizer;
  /** SCRAM users: the users file (read at start) over the controller metadata. */
  private users!: UserDirectory;
  /** The Raft tick (every raftTickMs) while a group here is awake; undefined while every group is quiesced. */
  private tickTimer: NodeJS.Timeout | undefined;
  /** While no group is awake: peer liveness checked every peerHeartbeatIntervalMs instead of every tick. */
  private livenessTimer: NodeJS.Timeout | undefined;
  /** When the last Raft tick ran (monotonic ms), to warn of a blocked event loop. */
  private lastTickMs = 0;
  /** Ticking has started (start() finished its set-up); groups that wake before only note it. */
  private tickingStarted = false;
  private retentionTimer: NodeJS.Timeout | undefined;
  /** Takes the next step of the moving partitions led here (every REASSIGNMENT_CHECK_INTERVAL_MS). */
  private reassignments!: ReassignmentDriver;
  private reassignTimer: NodeJS.Timeout | undefined;
  /** Moving groups led here at their target: when their voters were last announced (monotonic ms), by group. */
  private readonly doneAnnounced = new Map<string, number>();
  /** CompleteReassignment commits this broker (as controller leader) has under way, by group. */
  private readonly completing = new Set<string>();
  /** Whether the metadata holds a moving partition (kept on metadata changes): the reassignment timer runs only then. */
  private movesRecorded = false;
  private groupTimer: NodeJS.Timeout | undefined;
  /** Partition opens and deletes run one at a time, in metadata order. */
  private reconcileChain: Promise<void> = Promise.resolve();
  private readonly random: SeededRandom;
  private closing = false;
  /** The PEM material of the `tls` config group, read once in the constructor; undefined: TLS off. */
  private readonly tls: TlsMaterial | undefined;
  /** The client listener's port once started (the configured one, or the one picked for port 0). */
  clientPort = 0;
  /** The peer listener's port once started (0 for a single broker). */
  peerPort = 0;
  /** The admin listener's port once started (0 while it is off: adminPort -1). */
  adminPort = 0;
  /** The Kafka listener's port once started (0 while it is off: kafkaPort -1). */
  kafkaPort = 0;
  /** The Kafka-protocol listener (docs/KAFKA.md); undefined when kafkaPort is -1. */
  private kafka: KafkaServer | undefined;
  /** The admin HTTP listener (/metrics, /health, /ready); undefined when adminPort is -1. */
  private admin: AdminServer | undefined;
  /** This broker's metrics; undefined when metrics.enabled is false. */
  private metrics: BrokerMetrics | undefined;
  /** start() has finished: every listener is up and the controller replayed (readiness rule 1). */
  private started = false;
  /** When this Broker was made (monotonic ms), for /health's uptime. */
  private readonly createdAtMs = performance.now();

  constructor(opts: BrokerOptions) {
    this.config = opts.config;
    this.id = nodeId(opts.config.brokerId);
    this.logger = opts.logger;
    this.clock = opts.clock ?? Date.now;
    this.onFatal = opts.onFatal;
    this.random = new SeededRandom(randomInt(2 ** 31));
    const l = opts.config.limits;
    this.limits = Object.freeze({ ...DEFAULT_LIMITS, ...l });
    this.leaders = new LeaderTable(BROKER_DEFAULTS.leaderTableEntriesMax);
    this.tls = readTlsFiles(opts.config.tls); // throws naming an unreadable file: before anything opens
  }

  /** Open storage, join the cluster, start serving clients. */
  async start(): Promise<void> {
    const c = this.config;
    // First: /health answers and /ready says what is missing while the rest starts (docs/METRICS.md).
    await this.startAdmin();
    // A bad users file is a configuration error: refuse to start before touching the disk.
    const fileUsers = c.authentication.scramUsersFile === null ? new Map() : loadScramUsersFile(c.authentication.scramUsersFile, this.limits.stringLengthMax);
    this.users = new UserDirectory(fileUsers, () => this.controller.metadata);
    if (fileUsers.size > 0) this.logger.info({ users: fileUsers.size, file: c.authentication.scramUsersFile }, "SCRAM users file read");
    // Integrity (docs/STORAGE.md, "A damaged entry"): every checksum, in a child process, before the store opens.
    this.dataDirCheck = await DataDirCheck.run({ dataDir: c.dataDir, timeoutMs: c.storage.startupCheckTimeoutMs, logger: this.logger, clock: this.clock });
    this.store = await this.openStore();
    this.disk = new DiskGate({
      path: c.dataDir,
      freeBytesMin: c.storage.diskFreeMinBytes,
      reserveBytes: c.storage.diskReserveBytes,
      checkIntervalMs: c.storage.diskCheckIntervalMs,
      logger: this.logger.child({ component: "disk" }),
      onChange: (full) => this.onDiskFull(full),
      onFullCheck: () => this.handLeadershipAway(),
    });
    this.writeRetry = {
      backoffMs: c.storage.writeRetryBackoffMs,
      backoffMsMax: c.storage.writeRetryBackoffMsMax,
      onWriteFailed: (err) => this.disk.writeFailed(err),
    };
    await this.disk.start();
    const peers = c.brokers.filter((b) => b.id !== c.brokerId);
    this.announcer = new LeaderAnnouncer({
      selfId: this.id,
      table: this.leaders,
      transport: { announce: (to, list) => this.transport?.announce(to, list), peerIds: () => this.transport?.peerIds() ?? [] },
      ledGroups: () => this.ledGroups(),
      onVoters: (group, _leader, _term, voters) => this.onMovedVoters(group, voters),
    });
    // Lost-disk guard (docs/STORAGE.md, "A lost disk"): what this data directory is, and whether its groups may vote.
    this.identity = await DiskIdentity.load({ store: this.store, brokerId: this.id, controllerVoters: c.controllerVoters.map(nodeId), peers: peers.map((b) => nodeId(b.id)), logger: this.logger });
    for (const b of peers) this.peerUrls.set(nodeId(b.id), peerUrl(b, this.tls !== undefined));
    if (peers.length > 0) {
      if (!c.clusterSecret) throw new Error("clusterSecret is required for a cluster of more than one broker");
      const liveness = new PeerLiveness(c.peerLivenessTimeoutMs, { onDown: (p) => this.onPeerDown(p), onUp: (p) => this.onPeerUp(p) });
      this.liveness = liveness;
      this.transport = new WsPeerTransport({
        selfId: this.id,
        host: c.host,
        port: c.peerPort,
        secret: c.clusterSecret,
        peers: this.peerUrls,
        logger: this.logger.child({ component: "transport" }),
        // A peer that (re)connects may have restarted: tell it at once what we lead, and wake the groups led here
        // that include it, so that it hears from their leaders (they may be quiesced).
        onLinkOpen: (peer) => {
          this.announcer.announceAll(peer);
          this.onPeerUp(peer);
        },
        refuseUnknownPeers: true,
        identity: this.identity,
        ...(this.tls === undefined ? {} : { tls: this.tls }),
        limits: { heartbeatIntervalMs: c.peerHeartbeatIntervalMs },
        liveness: {
          connected: (peer) => liveness.connected(peer, performance.now()),
          heard: (peer) => liveness.heard(peer, performance.now()),
          closed: (peer) => liveness.closed(peer),
        },
      });
      this.transport.onMessage((from, group, msg) => this.route(from, group, msg));
      this.transport.onLeaderAnnouncements((_from, list) => this.announcer.received(list));
      await this.transport.start();
      this.peerPort = this.transport.port;
    }
    await this.identity.settle(); // a new data directory waits here until its peers tell whether the cluster exists
    this.groups = new GroupCoordinator({
      brokerId: this.id,
      brokers: c.brokers.map((b) => nodeId(b.id)),
      topicPartitions: Math.min(c.groupsTopicPartitions, this.limits.partitionsMax),
      controller: () => this.controller,
      topicDefaults: () => this.topicDefaults(),
      hostedReplica: (t, p) => this.partitions.get(partitionGroupId(t.id, p)),
      leaderHint: (id) => this.leaderHint(id),
      wallMs: this.clock,
      monotonicMs: () => performance.now(),
      logger: this.logger.child({ component: "groups" }),
    });
    const voters = c.controllerVoters.map(nodeId);
    const controllerLog = await this.openLog(CONTROLLER_GROUP, { segmentBytes: CONTROLLER_LOG_DEFAULTS.segmentBytes, segmentMs: CONTROLLER_LOG_DEFAULTS.segmentMs });
    // A broker left out of controllerVoters opens the controller as a non-member (passive until the leader makes it a
    // learner). On a lost disk it starts recovering there too: the log may make it a voter, and it must not vote with
    // a vote it has forgotten until its leader says it has caught up (docs/OPERATIONS.md, "Controller voters").
    this.controller = new Controller({
      raft: this.raftConfig(voters, voters),
      log: controllerLog,
      random: this.random,
      send: (msgs) => this.send(CONTROLLER_GROUP, msgs),
      logger: this.logger.child({ component: "controller", group: CONTROLLER_GROUP, node: this.id }),
      brokers: c.brokers.map((b) => nodeId(b.id)),
      knownBrokers: () => this.knownBrokers(),
      liveBrokers: () => this.knownBrokers().map((b) => b.id).filter((id) => this.reachable(id)),
      leaderHint: (id) => this.leaderHint(id),
      clock: this.clock,
      onChange: (change) => this.onMetadataChange(change),
      onFatal: this.onFatal,
      onStoreDamaged: (err) => void this.dataDirCheck.markDamaged(CONTROLLER_GROUP, err.message),
      writeRetry: this.writeRetry,
      snapshotEntries: c.controllerSnapshotEntries,
      producerIdBlockSize: c.producerIdBlockSize,
    });
    if (this.disk.full()) this.controller.runner.drain();
    this.syncPeers(); // registered brokers the replayed metadata holds
    this.controllerVoters = new ControllerVoters({ controller: () => this.controller, knownBrokers: () => this.knownBrokers(), logger: this.logger.child({ component: "controller-voters" }) });
    this.brokerAdmin = new BrokerAdmin({
      controller: () => this.controller,
      knownBrokers: () => this.knownBrokers(),
      reachable: (id) => this.reachable(id),
      clientUrl: (b) => clientUrl(b, this.tls !== undefined),
      controllerVoters: this.controllerVoters,
    });
    this.movesRecorded = this.anyMoveRecorded();
    // The controller replayed its committed log in its constructor; open what it assigned to us.
    await this.reconcileChain;
    this.identity.watch({
      controller: () => this.controller,
      hosted: () =>
        this.controller.metadata.topics().flatMap((t) =>
          t.replicas.flatMap((_r, p) => (hostingReplicas(t, p).includes(this.id) ? [{ topic: t, partition: p, recovering: this.partitions.get(partitionGroupId(t.id, p))?.runner.recovering() }] : [])),
        ),
    });
    this.authorizer = new Authorizer(c.authorization, this.controller.metadata.acls);
    if (c.authorization.enabled) this.logger.info({ superUsers: c.authorization.superUsers }, "authorization on: requests are checked against ACLs");
    const handlers = this.metrics === undefined ? buildHandlers(this.handlerContext()) : instrumentHandlers(buildHandlers(this.handlerContext()), this.metrics);
    this.server = new ClientServer({
      host: c.host,
      port: c.clientPort,
      brokerId: c.brokerId,
      limits: this.limits,
      allowedOrigins: c.allowedOrigins,
      handlers,
      logger: this.logger.child({ component: "server" }),
      authorize: (principal, request) => this.authorizer.authorize(principal, request),
      ...(this.tls === undefined ? {} : { tls: this.tls }),
      authentication: {
        mechanism: c.authentication.mechanism,
        failureDelayMs: c.authentication.failureDelayMs,
        lookupUser: (name) => this.users.lookup(name),
      },
    });
    const { port } = await this.server.start();
    this.clientPort = port;
    if (c.kafkaPort !== -1) await this.startKafka(handlers);
    if (c.authentication.mechanism === "scram" && this.users.list().length === 0) {
      // The metadata applied so far may lag a cluster that has users; without a users file nobody can create the first one.
      this.logger.warn(
        { scramUsersFile: c.authentication.scramUsersFile },
        "authentication.mechanism is scram but no users are known yet: no client can log in until one is; a new cluster needs authentication.scramUsersFile (see rlog-cli user hash)",
      );
    }
    this.controller.runner.watchQuiescence((quiesced) => {
      if (!quiesced) this.armTick();
    });
    this.controller.runner.watchPeerFaults((fault) => this.onPeerFault(fault));
    this.tickingStarted = true;
    this.armTick();
    // A full disk or an I/O error skips a partition until the next pass (applyRetention); anything else is a bug.
    this.retentionTimer = setInterval(() => void this.applyRetention().catch((err: unknown) => this.onFatal(err, "retention failed")), RETENTION_CHECK_INTERVAL_MS);
    this.retentionTimer.unref();
    this.groupTimer = setInterval(() => this.groups.tick(), GROUP_TICK_MS);
    this.announceTimer = setInterval(() => this.announcer.announceAll(), c.leaderAnnounceIntervalMs);
    this.announceTimer.unref();
    this.membershipTimer = setInterval(() => this.controllerVoters?.check(), CONTROLLER_MEMBERSHIP_CHECK_INTERVAL_MS);
    this.membershipTimer.unref();
    this.reassignments = new ReassignmentDriver({
      catchUpLagEntriesMax: c.reassignment.catchUpLagEntriesMax,
      logger: this.logger.child({ component: "reassignment" }),
      moving: () => this.movingHere(),
      onDone: (p, term, voters) => this.onMoveDone(p, term, voters),
    });
    this.started = true;
    this.syncReassignTimer();
    this.logger.info({ brokerId: this.id, clientPort: this.clientPort, peerPort: this.peerPort, adminPort: this.adminPort, kafkaPort: this.kafkaPort, dataDir: c.dataDir }, "broker started");
  }

  /**
   * Stop. With `controlled`, first move leadership of every partition (and
   * the controller) this broker leads to another replica, so clients see
   * retriable errors and no acknowledged write is lost.
   */
  async stop(controlled = true): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (controlled) await this.moveLeadershipAway();
    this.disk?.stop();
    await this.identity?.close();
    clearInterval(this.tickTimer);
    clearInterval(this.livenessTimer);
    this.tickingStarted = false;
    clearInterval(this.retentionTimer);
    clearInterval(this.groupTimer);
    clearInterval(this.announceTimer);
    clearInterval(this.membershipTimer);
    clearInterval(this.reassignTimer);
    this.groups?.close();
    await this.server?.close();
    await this.kafka?.close();
    await this.reconcileChain;
    await Promise.all([...this.partitions.values()].map((p) => p.close()));
    await this.controller?.runner.close();
    await this.transport?.close();
    await this.store?.close();
    await this.admin?.close();
    this.logger.info({ brokerId: this.id }, "broker stopped");
  }

  /**
   * The newest knowledge of a group's leader: this broker's own Raft view
   * when it hosts a replica, or the leader's announcement, whichever names
   * the higher term. Leader 0 and term 0 when nothing is known.
   */
  leaderOf(groupId: PartitionGroupId): LeaderInfo {
    const r = this.partitions.get(groupId);
    const s = r?.runner.softState();
    const own = s === undefined ? undefined : { leader: s.leader, term: s.term };
    return newerLeader(own, this.leaders.get(groupId)) ?? { leader: NO_NODE, term: toTerm(0) };
  }

  // ------------------------------------------------------------ internals

  /** Start the Kafka-protocol listener (docs/KAFKA.md) over the client listener's handlers. */
  private async startKafka(handlers: OpHandlers): Promise<void> {
    const c = this.config;
    this.kafka = new KafkaServer({
      host: c.host,
      port: c.kafkaPort,
      settings: c.kafka,
      budgetLimits: this.limits,
      handlers,
      authorize: (principal, request) => this.authorizer.authorize(principal, request),
      cluster: {
        brokerId: this.id,
        clusterId: () => this.controller?.metadata.clusterId ?? null,
        kafkaBrokers: () =>
          this.knownBrokers().flatMap((b) => {
            const port = b.id === this.id ? this.kafkaPort : b.kafkaPort;
            return port === undefined || port === 0 ? [] : [{ id: b.id, host: b.host, port }];
          }),
        limits: this.limits,
        topicDefaults: { partitions: c.defaultPartitions, replicationFactor: c.defaultReplicationFactor, config: () => this.topicDefaults() },
      },
      authentication: {
        mechanism: c.authentication.mechanism,
        failureDelayMs: c.authentication.failureDelayMs,
        lookupUser: (name) => this.users.lookup(name),
        fakeSaltKey: this.server.fakeSaltKey,
      },
      ...(this.tls === undefined ? {} : { tls: this.tls }),
      handshakeWaitMs: this.limits.handshakeWaitMsMax,
      logger: this.logger.child({ component: "kafka-listener" }),
    });
    this.kafkaPort = (await this.kafka.start()).port;
  }

  /** Start the admin listener and the metrics, unless adminPort is -1 (then neither). */
  private async startAdmin(): Promise<void> {
    const c = this.config;
    if (c.adminPort === -1) return;
    if (c.metrics.enabled) {
      this.metrics = new BrokerMetrics({
        brokerId: this.id,
        partitionSeriesMax: c.metrics.partitionSeriesMax,
        source: {
          partitions: () => [...this.partitions].map(([group, r]) => ({ topic: r.topic, partition: r.partition, group })),
          sample: (p) => this.partitionSample(p),
          clientConnections: () => this.server?.stats().connections ?? 0,
          clientErrorsByCode: () => this.server?.stats().errorsByCode ?? {},
          kafka: () => this.kafka?.stats(),
        },
      });
    }
    const adminLogger = this.logger.child({ component: "admin" });
    this.admin = new AdminServer({
      host: c.host,
      port: c.adminPort,
      ...(this.tls === undefined ? {} : { tls: this.tls }),
      connectionsMax: c.adminConnectionsMax,
      idleMs: c.adminIdleMs,
      logger: adminLogger,
      guard: {
        paths: new Set(["/metrics"]),
        gate: adminGate({
          mechanism: c.authentication.mechanism,
          failureDelayMs: c.authentication.failureDelayMs,
          tls: this.tls !== undefined,
          // The users and the authorizer come later in start(): until then every user is unknown (401) and authorization answers 503.
          verifier: new BasicVerifier({ lookup: (name) => (this.users as UserDirectory | undefined)?.lookup(name), secretKey: randomBytes(ADMIN_AUTH_KEY_BYTES), monotonicMs: () => performance.now() }),
          authorizationEnabled: c.authorization.enabled,
          authorizer: () => this.authorizer as Authorizer | undefined,
          logger: adminLogger,
        }),
      },
      routes: adminRoutes({
        brokerId: this.id,
        startedAtMs: this.createdAtMs,
        monotonicMs: () => performance.now(),
        metrics: this.metrics,
        readinessInput: () => this.readinessInput(),
        consoleConfig: () => ({
          brokerId: this.id,
          brokers: this.knownBrokers().map((b) => ({ id: b.id, clientUrl: clientUrl(b, this.tls !== undefined) })),
          authentication: c.authentication.mechanism,
        }),
      }),
    });
    this.adminPort = (await this.admin.start()).port;
  }

  /** Log writes of partition groups, into the metrics (bound once: every replica shares it). */
  private readonly onPersistedMetric = (tookMs: number, entriesCount: number): void => {
    this.metrics?.logWriteSeconds.observe(tookMs / 1000);
    this.metrics?.logWriteEntries.observe(entriesCount);
  };

  /** What a scrape reads of one open partition replica (broker-metrics.ts); undefined when it is no longer open. */
  private partitionSample(p: HostedPartition): PartitionSample | undefined {
    const r = this.partitions.get(p.group as PartitionGroupId);
    if (r === undefined) return undefined;
    const s = r.runner.status();
    let replication: PartitionSample["replication"];
    if (s.role === Role.Leader) {
      let matchMin = Infinity;
      for (const f of s.progress) if (f.id !== s.id && f.match < matchMin) matchMin = f.match;
      if (matchMin !== Infinity) replication = { lastIndex: s.lastIndex, matchMin };
    }
    return { ...p, isLeader: s.role === Role.Leader, term: s.term, highWatermark: r.highWatermarkOffset(), logBytes: r.logBytes(), replication };
  }

  /** The facts /ready decides on (broker/admin/readiness.ts), now. */
  private readinessInput(): ReadinessInput {
    const replicas: ReplicaReadiness[] = [];
    const controller = this.controller as Controller | undefined; // undefined until start() opens it
    if (controller !== undefined) {
      for (const t of controller.metadata.topics()) {
        for (let p = 0; p < t.replicas.length; p++) {
          if (!hostingReplicas(t, p).includes(this.id)) continue;
          const r = this.partitions.get(partitionGroupId(t.id, p));
          if (r === undefined) {
            replicas.push({ topic: t.name, partition: p, open: false, leader: 0, isLeader: false, recovering: false, repairing: false, applied: 0, leaderCommit: 0 });
            continue;
          }
          const s = r.runner.status();
          replicas.push({ topic: t.name, partition: p, open: true, leader: s.leader, isLeader: s.role === Role.Leader, recovering: s.recovering, repairing: s.repairing, applied: r.runner.applied(), leaderCommit: s.leaderCommit });
        }
      }
    }
    return {
      started: this.started,
      stopping: this.closing,
      controllerLeader: controller?.runner.softState().leader ?? 0,
      replicas,
      lagEntriesMax: this.config.adminReadyLagEntriesMax,
    };
  }

  /** What the client handlers see of this broker (started: controller and groups exist). */
  private handlerContext(): HandlerContext {
    const broker = this; // the getter below runs with the context object as `this`
    return {
      brokerId: this.id,
      // A getter: registered brokers come and go as the metadata is applied.
      get brokers() {
        return broker.knownBrokers().map((b) => ({ id: b.id, clientUrl: clientUrl(b, broker.tls !== undefined) }));
      },
      limits: this.limits,
      metadata: this.controller.metadata,
      controller: this.controller,
      brokerAdmin: this.brokerAdmin,
      groups: this.groups,
      authorizer: this.authorizer,
      users: this.users,
      topicDefaults: () => this.topicDefaults(),
      replica: (topic, partition) => this.replica(topic, partition),
      hostedReplica: (group) => this.partitions.get(group),
      leaderOf: (group) => this.leaderOf(group),
      leaderHint: (id) => this.leaderHint(id),
      reachable: (id) => this.reachable(id),
      reassignmentProgress: (group, target) => ReassignmentDriver.progress(this.partitions.get(group)?.runner, target),
    };
  }

  /** A partition replica hosted here, or the error a client should see. */
  private replica(topicName: string, partition: number): PartitionReplica {
    const t = this.controller.metadata.topic(topicName);
    if (!t) throw new RlogError("UNKNOWN_TOPIC", `topic ${topicName} does not exist`);
    const replicas = t.replicas[partition];
    if (!replicas) throw new RlogError("UNKNOWN_PARTITION", `topic ${topicName} has ${t.replicas.length} partitions; ${partition} does not exist`);
    const groupId = partitionGroupId(t.id, partition);
    const r = this.partitions.get(groupId);
    if (!r) {
      if (!replicas.includes(this.id)) {
        // Name the leader we heard of; failing that, the preferred replica, which hosts the partition and knows.
        // The announced leader's hint carries its term; the preferred replica's none (it may not lead).
        const announced = this.leaders.get(groupId);
        const known = announced?.leader ?? NO_NODE;
        const hint = known !== NO_NODE ? known : replicas[0]!;
        const why = known !== NO_NODE ? `it is led by broker ${known}` : `its leader has not been announced here yet; ask broker ${hint}, a replica`;
        throw new RlogError("NOT_LEADER", `broker ${this.id} holds no replica of ${topicName}/${partition} (replicas ${replicas.join(",")}): ${why}`, {
          leader: this.leaderHint(hint, known !== NO_NODE ? announced?.term : undefined),
        });
      }
      throw new RlogError("LEADER_NOT_AVAILABLE", `${topicName}/${partition} is still opening on broker ${this.id}`);
    }
    return r;
  }

  /** The broker's defaults for topic settings. */
  private topicDefaults(): TopicConfig {
    const s = this.config.storage;
    return { retentionBytes: s.retentionBytes, retentionMs: s.retentionMs, segmentBytes: s.segmentBytes, segmentMs: s.segmentMs, compression: TOPIC_DEFAULTS.compression };
  }

  /**
   * Every broker of the cluster as this broker knows it now: its config's
   * `brokers` and the brokers registered in the metadata (broker-registry.ts).
   */
  private knownBrokers(): KnownBroker[] {
    return knownBrokers(this.config.brokers, this.controller?.metadata.registeredBrokers() ?? []);
  }

  /**
   * Make the peer transport's links match the known brokers: a link to each
   * broker registered since (or whose address changed), none to a broker no
   * longer known. Runs as registry changes are applied, and after a snapshot.
   * A broker started without peers has no transport (docs/OPERATIONS.md).
   */
  private syncPeers(): void {
    const transport = this.transport;
    if (transport === undefined || this.controller === undefined || this.closing) return;
    const secure = this.tls !== undefined;
    const wanted = new Map(this.knownBrokers().filter((b) => b.id !== this.id).map((b) => [b.id, peerUrl(b, secure)]));
    for (const [id, url] of wanted) {
      if (this.peerUrls.get(id) === url) continue;
      transport.setPeer(id, url);
      this.peerUrls.set(id, url);
      this.logger.info({ peer: id, url }, "peer link added");
    }
    for (const id of [...this.peerUrls.keys()]) {
      if (wanted.has(id)) continue;
      this.peerUrls.delete(id);
      void transport.removePeer(id);
      this.logger.info({ peer: id }, "peer link removed");
    }
  }

  /** The hint naming broker `id`: its client URL when known, and `term` when the caller knows the term it leads in. */
  private leaderHint(id: NodeId, term?: Term): LeaderHint {
    const b = this.knownBrokers().find((x) => x.id === id);
    const at = term === undefined ? {} : { term };
    return b ? { brokerId: id, url: clientUrl(b, this.tls !== undefined), ...at } : { brokerId: id, ...at };
  }

  /** Whether this broker has a working peer link to `id`. */
  private reachable(id: NodeId): boolean {
    if (id === this.id) return true;
    const link = this.transport?.stats().links.find((l) => l.peerId === id);
    return link?.connected ?? false;
  }

  /** Start transfers of partitions led here whose preferred replica is another broker. */
  private rebalanceLocal(topic: string | undefined): LeaderMove[] {
    const moves: LeaderMove[] = [];
    for (const t of this.controller.metadata.topics()) {
      if (topic !== undefined && t.name !== topic) continue;
      t.replicas.forEach((replicas, p) => {
        const r = this.partitions.get(partitionGroupId(t.id, p));
        const preferred = replicas[0];
        if (!r || !r.isLeader() || preferred === undefined || preferred === this.id) return;
        if (r.startTransfer(preferred).ok) moves.push({ topic: t.name, partition: p, fromBrokerId: this.id, toBrokerId: preferred });
      });
    }
    return moves;
  }

  private raftConfig(voters: readonly NodeId[], priority: readonly NodeId[]): RaftConfig {
    const r = this.config.raft;
    return {
      id: this.id,
      membership: { voters },
      priority,
      electionTimeoutTicks: r.electionTimeoutTicks,
      heartbeatIntervalTicks: r.heartbeatIntervalTicks,
      preferredLeaderCheckTicks: r.preferredLeaderCheckTicks,
      inflightAppendsMax: r.inflightAppendsMax,
      inflightBytesMax: r.inflightBytesMax,
      appendBytesMax: r.appendBytesMax,
      uncommittedEntriesMax: r.uncommittedEntriesMax,
      uncommittedBytesMax: r.uncommittedBytesMax,
      recentEntriesBytesMax: r.recentEntriesBytesMax,
      quiesce: r.quiesce,
      // The reassignment throttle, per tick: bytes a leader sends its learners (new replicas of a moving partition) together.
      ...(this.config.reassignment.throttleBytesPerSec > 0 ? { learnerAppendBytesPerTick: Math.max(1, Math.ceil((this.config.reassignment.throttleBytesPerSec * this.config.raftTickMs) / 1000)) } : {}),
      ...this.identity.raftOptions(voters),
    };
  }

  /** The groups this broker leads, for the announcer. */
  private *ledGroups(): Iterable<{ group: string; term: Term; voters?: readonly NodeId[] }> {
    const moving = new Set<string>();
    for (const t of this.controller?.metadata.topics() ?? []) for (const m of t.reassignments ?? []) moving.add(partitionGroupId(t.id, m.partition));
    for (const [group, r] of this.partitions) {
      const s = r.runner.softState();
      if (s.role !== Role.Leader) continue;
      const m = moving.has(group) ? r.runner.membership() : undefined;
      // A moving group's committed voters go along (LeaderAnnouncement.voters), unless joint.
      yield m === undefined || (m.config.votersOutgoing?.length ?? 0) > 0 ? { group, term: s.term } : { group, term: s.term, voters: m.config.voters };
    }
  }

  private send(group: string, msgs: readonly Message[]): void {
    if (!this.transport) return;
    for (const m of msgs) this.transport.send(m.to, group, m);
  }

  private route(from: NodeId, group: string, msg: Message): void {
    // A group name from the wire is looked up, not trusted: one that is no open partition finds nothing.
    const runner = group === CONTROLLER_GROUP ? this.controller?.runner : this.partitions.get(group as PartitionGroupId)?.runner;
    // Messages for a partition not open yet are dropped; Raft retries.
    if (runner === undefined) return;
    // An absurd term: far more elections than could have happened since this member last heard (docs/SECURITY.md, "Hostile peer frames").
    const termMax = runner.softState().term + DEFAULT_PEER_LIMITS.peerTermJumpMax;
    if (msg.term > termMax) {
      this.onPeerFault({ peer: from, group, reason: `term ${msg.term} is more than peerTermJumpMax (${DEFAULT_PEER_LIMITS.peerTermJumpMax}) above this member's term` });
      return;
    }
    runner.step(msg);
  }

  /** Peer traffic counters: messages this broker's groups refused, and the peer listener's counters. */
  peerStats(): { readonly peerFaults: number; readonly listener: Readonly<Record<string, number>> | undefined } {
    return { peerFaults: this.peerFaults, listener: this.transport?.stats().listener };
  }

  /** A peer sent a message a group refused (GroupRunner.watchPeerFaults, route): close that peer's connection. */
  private onPeerFault(fault: PeerFault): void {
    this.peerFaults++;
    this.logger.warn({ peer: fault.peer, group: fault.group, reason: fault.reason }, "peer message refused");
    this.transport?.disconnectPeer(fault.peer, `${fault.group}: ${fault.reason}`);
  }

  /**
   * Run the Raft tick every raftTickMs (a group woke). Idempotent. While every
   * group is quiesced the tick stops (tick() stops it), so an idle broker
   * wakes only for its peer heartbeats and liveness checks, not 100 times a
   * second: a woken group restarts it here, before its next tick is due.
   */
  private armTick(): void {
    if (!this.tickingStarted || this.tickTimer !== undefined) return;
    clearInterval(this.livenessTimer);
    this.livenessTimer = undefined;
    const tickMs = this.config.raftTickMs;
    this.lastTickMs = performance.now();
    this.tickTimer = setInterval(() => {
      const now = performance.now();
      // Raft time is counted in ticks: a stalled event loop slows every group's clock.
      if (now - this.lastTickMs >= TICK_LAG_WARN_MS) this.logger.warn({ lateMs: Math.round(now - this.lastTickMs - tickMs) }, "raft tick late: the event loop was blocked");
      this.lastTickMs = now;
      this.tick();
    }, tickMs);
  }

  /** One Raft tick: peer liveness, the controller, and only the partitions whose group is awake. */
  private tick(): void {
    this.liveness?.check(performance.now());
    this.controller.runner.tick();
    for (const p of this.awake.values()) p.tick();
    if (this.awake.size === 0 && this.controller.runner.quiesced()) this.stopTick();
  }

  /** Every group is quiesced: stop the Raft tick; check peer liveness at the peer heartbeat interval meanwhile. */
  private stopTick(): void {
    clearInterval(this.tickTimer);
    this.tickTimer = undefined;
    if (this.liveness === undefined || this.livenessTimer !== undefined) return;
    const liveness = this.liveness;
    this.livenessTimer = setInterval(() => liveness.check(performance.now()), this.config.peerHeartbeatIntervalMs);
  }

  /**
   * A peer broker went silent or its connection closed: every group here
   * hears it (RaftNode.peerDown), so those it led wake and elect, and those
   * led here stop quiescing while it is away. Costs one call per group, once per event.
   */
  private onPeerDown(peer: NodeId): void {
    if (this.closing) return;
    this.logger.info({ peer, awakeGroups: this.awake.size }, "peer broker down: waking the groups it is in");
    for (const r of this.runners()) r.peerDown(peer);
  }

  /** A peer broker is live again or (re)connected: the groups led here that include it wake and heartbeat it. */
  private onPeerUp(peer: NodeId): void {
    if (this.closing) return;
    this.logger.info({ peer }, "peer broker up");
    for (const r of this.runners()) r.peerUp(peer);
  }

  private onMetadataChange(change: MetadataChange | { readonly kind: "reset" }): void {
    if (change.kind === "reassignmentStarted") this.movesRecorded = true;
    // Rare changes that may end the last move: look again (the metadata is current when onChange is called).
    if (change.kind === "reassignmentCompleted" || change.kind === "topicDeleted" || change.kind === "reset") {
      this.movesRecorded = this.anyMoveRecorded();
    }
    this.syncReassignTimer();
    switch (change.kind) {
      case "topicCreated":
        this.enqueue(() => this.openTopic(change.topic));
        return;
      case "topicDeleted":
        this.enqueue(() => this.deleteTopic(change.topic));
        return;
      case "topicAltered":
        this.enqueue(() => this.alterTopic(change.topic, change.before));
        return;
      case "reset":
        this.syncPeers();
        this.enqueue(() => this.reconcileAll());
        return;
      case "brokerRegistered":
      case "brokerUnregistered":
        this.syncPeers();
        this.controllerVoters?.check();
        return;
      case "reassignmentStarted":
        this.enqueue(() => this.openTopic(change.topic));
        for (const m of change.moves) this.partitions.get(partitionGroupId(change.topic.id, m.partition))?.runner.setPriority(m.target);
        return;
      case "reassignmentCancelled":
        // Going back: every broker hosting it already has a replica open; the leader preference follows the list again.
        for (const m of change.moves) this.partitions.get(partitionGroupId(change.topic.id, m.partition))?.runner.setPriority(m.target);
        return;
      case "reassignmentCompleted":
        this.enqueue(() => this.completeMove(change.topic, change.partition));
        return;
      case "rebalanceRequested":
        if (!this.closing) this.rebalanceLocal(change.topic);
        return;
      default:
        return;
    }
  }

  private enqueue(task: () => Promise<void>): void {
    this.reconcileChain = this.reconcileChain.then(() => this.retryingWrites(task)).catch((err: unknown) => this.onFatal(err, "opening or deleting a partition failed"));
  }

  /**
   * Run `task` (opening or deleting partitions: idempotent, each step checks
   * what is done) again after a back-off while it fails with a full disk or
   * an I/O error, like a group's log write; other failures are bugs and
   * propagate. Gives up quietly once the broker is stopping.
   */
  private async retryingWrites(task: () => Promise<void>): Promise<void> {
    let backoffMs = this.config.storage.writeRetryBackoffMs;
    let failing = false;
    for (;;) {
      try {
        await task();
        if (failing) this.logger.info({}, "opening or deleting partitions succeeded again");
        return;
      } catch (err) {
        if (!isRetriableWriteFailure(err)) throw err;
        this.disk.writeFailed(err);
        if (!failing) this.logger.warn({ code: err.code, err: err.message }, "opening or deleting a partition failed on the disk; trying again until it succeeds");
        failing = true;
        if (this.closing) return;
        await sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, this.config.storage.writeRetryBackoffMsMax);
      }
    }
  }

  /**
   * The disk became full (or has space again). Full: every group on this
   * broker stops seeking leadership (as in a controlled shutdown) and those
   * led here are handed to a replica with space; produce answers
   * NOT_ENOUGH_SPACE meanwhile (PartitionReplica.produce). Space again: the
   * groups may lead again, and preferred-leader transfers bring back the
   * leaderships this broker is preferred for.
   */
  private onDiskFull(full: boolean): void {
    if (this.closing) return;
    const runners = this.runners();
    if (full) {
      for (const r of runners) r.drain();
      this.handLeadershipAway();
    } else {
      for (const r of runners) r.undrain();
    }
  }

  /** While the disk is full: start a transfer in every group led here that has a live member able to take it. */
  private handLeadershipAway(): void {
    if (this.closing || !this.disk.full()) return;
    let started = 0;
    for (const r of this.runners()) {
      if (r.voterCount <= 1) continue;
      const s = r.status();
      if (s.role !== Role.Leader || s.transferee !== NO_NODE) continue;
      if (!s.progress.some((p) => p.id !== this.id && p.active && !p.recovering)) continue;
      if (r.transferLeadership().ok) started++;
    }
    if (started > 0) this.logger.info({ groups: started }, "disk full: handing leadership to replicas with space");
  }

  /** The controller's runner and every partition's. */
  private runners(): GroupRunner[] {
    return [...(this.controller ? [this.controller.runner] : []), ...[...this.partitions.values()].map((p) => p.runner)];
  }

  /**
   * Open the data directory's store. One whose records fail their checks
   * (which the start-up check finds first, unless it could not run) is set
   * aside and the broker starts on an empty one, as a lost disk.
   */
  private async openStore(): Promise<LogStore> {
    const c = this.config;
    const open = (): Promise<LogStore> => LogStore.open({ path: c.dataDir, fsync: c.storage.fsync, mapSizeBytes: c.storage.mapSizeBytes, clock: this.clock, logger: this.logger });
    try {
      return await open();
    } catch (err) {
      if (!(err instanceof StorageError) || err.code !== "CORRUPT_RECORD") throw err;
      await this.dataDirCheck.setAside(err.message);
      return await open();
    }
  }

  /**
   * Open a group's log, cutting damaged entries the start-up check found in
   * it before its group starts. A log whose records or structure turn out
   * damaged now (which the check missed or could not run to find) marks the
   * directory, so that the next start sets it aside, and fails.
   */
  private async openLog(name: string, opts: { readonly segmentBytes: number; readonly segmentMs: number }): Promise<LogStorage> {
    try {
      const log = await this.store.openLog(name, opts);
      await this.dataDirCheck.repairOnOpen(name, log);
      return log;
    } catch (err) {
      if (err instanceof StorageError && err.code === "CORRUPT_RECORD") await this.dataDirCheck.markDamaged(name, err.message);
      throw err;
    }
  }

  private async openTopic(t: TopicMeta): Promise<void> {
    if (this.closing) return;
    for (let p = 0; p < t.replicas.length; p++) {
      // A moving partition is hosted by the brokers of both lists; its replica list (not the target) is the group's base
      // membership: a replica new to the partition starts as a passive non-member, until the leader makes it a learner.
      const replicas = t.replicas[p]!;
      const hosts = hostingReplicas(t, p);
      if (!hosts.includes(this.id)) continue;
      const groupId = partitionGroupId(t.id, p);
      if (this.partitions.has(groupId)) continue;
      let log: LogStorage;
      try {
        log = await this.openLog(groupId, { segmentBytes: t.config.segmentBytes, segmentMs: t.config.segmentMs });
      } catch (err) {
        // Its other replicas serve the partition meanwhile; the next start rebuilds this directory from them.
        if (err instanceof StorageError && err.code === "CORRUPT_RECORD") continue;
        throw err;
      }
      let previous: SoftState | undefined; // the replica's last soft state, for the Raft counters (metrics)
      const replica = await this.startReplica(groupId, log, () => {
        // The offsets topic's replicas keep the consumer-group table (broker/consumer-groups/).
        const applier = t.name === OFFSETS_TOPIC ? this.groups.applierFor(t.id, p) : undefined;
        return new PartitionReplica({
          topic: t.name,
          partition: p,
          topicId: t.id,
          raft: this.raftConfig(replicas, reassignmentOf(t, p)?.target ?? replicas),
          log,
          random: this.random,
          send: (msgs) => this.send(groupId, msgs),
          logger: this.logger.child({ component: "partition", group: groupId, topic: t.name, partition: p, node: this.id }),
          leaderHint: (id) => this.leaderHint(id),
          clock: this.clock,
          ...(applier ? { applier } : {}),
          // The group table is snapshotted and the offsets log compacted to it (config groupsSnapshotEntries; 0 = never).
          ...(applier && this.config.groupsSnapshotEntries > 0 ? { snapshotEntries: this.config.groupsSnapshotEntries } : {}),
          onRoleChanged: (s) => {
            if (s.role === Role.Leader) this.announcer.won(groupId, s.term);
            if (this.metrics !== undefined) countRaftChanges(this.metrics, previous, s);
            previous = s;
          },
          ...(this.metrics === undefined ? {} : { onPersisted: this.onPersistedMetric }),
          onFatal: this.onFatal,
          onStoreDamaged: (err) => void this.dataDirCheck.markDamaged(groupId, err.message),
          writeRetry: this.writeRetry,
          diskFull: () => this.disk.reason(),
          compression: t.config.compression ?? "producer", // topics created before the setting existed
          limits: this.limits,
          producerIdExpirationMs: this.config.producerIdExpirationMs,
        });
      });
      if (replica === undefined) {
        if (t.name === OFFSETS_TOPIC) this.groups.detach(t.id, p);
        continue;
      }
      if (this.disk.full()) replica.runner.drain();
      this.partitions.set(groupId, replica);
      for (const peer of this.liveness?.downPeers() ?? []) replica.runner.peerDown(peer);
      replica.runner.watchPeerFaults((fault) => this.onPeerFault(fault));
      replica.runner.watchQuiescence((quiesced) => {
        if (this.partitions.get(groupId) !== replica) return; // closed and dropped
        if (quiesced) this.awake.delete(groupId);
        else {
          this.awake.set(groupId, replica);
          this.armTick();
        }
      });
      if (t.name === OFFSETS_TOPIC) this.groups.attach(p, replica);
    }
  }

  /**
   * A topic was altered: open the replicas of its new partitions assigned
   * here (as for a new topic), hand changed settings to the replicas open
   * here, and run retention over the topic at once when its retention
   * changed (not at the next pass, up to retentionCheckIntervalMs later).
   */
  private async alterTopic(t: TopicMeta, before: TopicMeta): Promise<void> {
    if (this.closing) return;
    await this.openTopic(t);
    const c = t.config;
    const compression = c.compression ?? "producer"; // topics created before the setting existed
    if (compression !== (before.config.compression ?? "producer") || c.segmentBytes !== before.config.segmentBytes || c.segmentMs !== before.config.segmentMs) {
      for (let p = 0; p < t.replicas.length; p++) this.partitions.get(partitionGroupId(t.id, p))?.reconfigure({ compression, segmentBytes: c.segmentBytes, segmentMs: c.segmentMs });
    }
    if (c.retentionBytes !== before.config.retentionBytes || c.retentionMs !== before.config.retentionMs) await this.applyRetentionTo(t);
  }

  /**
   * Start a replica over its just-opened log. A damaged entry its start-up
   * reads meet (the high watermark, producer state, the group table's replay)
   * is cut like one the start-up check found, and the replica starts again
   * (a fresh state machine each time). Should the same log stay damaged, the
   * directory is marked and the replica stays closed (its peers serve it).
   */
  private async startReplica(groupId: string, log: LogStorage, make: () => PartitionReplica): Promise<PartitionReplica | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return make();
      } catch (err) {
        if (!isDamagedEntry(err)) throw err;
        this.logger.error({ group: groupId, index: err.details.index, attempt, err: err.message }, "damaged entry found while the replica starts");
        if (attempt >= REPLICA_START_ATTEMPTS) {
          await this.dataDirCheck.markDamaged(groupId, err.message);
          await log.close();
          return undefined;
        }
        await this.dataDirCheck.cut(groupId, log, err.details.index!);
      }
    }
  }

  /**
   * A partition's move was recorded complete: a broker no longer in its list
   * closes its replica and deletes its log; the others take the new list as
   * their leader preference (the preferred-leader transfer then moves
   * leadership to its first broker).
   */
  private async completeMove(t: TopicMeta, p: number): Promise<void> {
    const groupId = partitionGroupId(t.id, p);
    this.doneAnnounced.delete(groupId);
    const r = this.partitions.get(groupId);
    if (hostingReplicas(t, p).includes(this.id)) {
      r?.runner.setPriority(t.replicas[p]!);
      return;
    }
    await this.dropReplica(groupId, r);
    this.logger.info({ topic: t.name, partition: p, replicas: t.replicas[p] }, "partition moved away from this broker: replica closed and its log deleted");
  }

  /** Whether the metadata holds a moving partition (true while the controller is still being built: it replays its log in its constructor). */
  /**
   * Run the reassignment pass every REASSIGNMENT_CHECK_INTERVAL_MS while the
   * metadata holds a move, and not at all otherwise (an idle broker does not
   * wake for it). Idempotent; nothing before start() has finished.
   */
  private syncReassignTimer(): void {
    const wanted = this.started && !this.closing && this.movesRecorded;
    if (wanted && this.reassignTimer === undefined) {
      this.reassignTimer = setInterval(() => {
        if (!this.closing) this.reassignments.pass();
      }, REASSIGNMENT_CHECK_INTERVAL_MS);
      this.reassignTimer.unref();
    } else if (!wanted && this.reassignTimer !== undefined) {
      clearInterval(this.reassignTimer);
      this.reassignTimer = undefined;
    }
  }

  private anyMoveRecorded(): boolean {
    return this.controller === undefined || this.controller.metadata.topics().some((t) => t.reassignments !== undefined);
  }

  /** The moving partitions with a replica open here. */
  private *movingHere(): Iterable<MovingPartition> {
    for (const t of this.controller.metadata.topics()) {
      for (const m of t.reassignments ?? []) {
        const group = partitionGroupId(t.id, m.partition);
        const replica = this.partitions.get(group);
        if (replica) yield { group, topic: t.name, topicId: t.id, partition: m.partition, target: m.target, runner: replica.runner };
      }
    }
  }

  /** A moving group led here has the target as its voters: record it (as controller leader) or tell the controller leader. */
  private onMoveDone(p: MovingPartition, term: Term, voters: readonly NodeId[]): void {
    if (this.controller.isLeader()) {
      this.completeReassignment(p.group, voters);
      return;
    }
    const now = performance.now();
    const last = this.doneAnnounced.get(p.group);
    if (last !== undefined && now - last < REASSIGNMENT_DONE_ANNOUNCE_MS) return;
    this.doneAnnounced.set(p.group, now);
    this.announcer.votersChanged(p.group, term, voters);
  }

  /** An announcement named a moving group's voters: as controller leader, record its move once they are its target. */
  private onMovedVoters(group: string, voters: readonly NodeId[]): void {
    if (!this.closing && this.controller?.isLeader()) this.completeReassignment(group, voters);
  }

  /** Commit CompleteReassignment for `group` when `voters` are its target (once at a time per group). */
  private completeReassignment(group: string, voters: readonly NodeId[]): void {
    const ref = parsePartitionGroupId(group);
    if (ref === undefined || this.completing.has(group)) return;
    const t = this.controller.metadata.topics().find((x) => x.id === ref.topicId);
    const move = t === undefined ? undefined : reassignmentOf(t, ref.partition);
    if (t === undefined || move === undefined || !sameMembers(move.target, voters)) return;
    this.completing.add(group);
    this.controller
      .completeReassignment(t.name, t.id, ref.partition, move.target)
      .catch((err: unknown) => this.logger.warn({ topic: t.name, partition: ref.partition, err: err instanceof Error ? err.message : String(err) }, "recording a partition move complete failed; trying again at the next announcement"))
      .finally(() => this.completing.delete(group));
  }

  private async deleteTopic(t: TopicMeta): Promise<void> {
    this.leaders.retain((g) => parsePartitionGroupId(g)?.topicId !== t.id);
    for (let p = 0; p < t.replicas.length; p++) {
      const groupId = partitionGroupId(t.id, p);
      await this.dropReplica(groupId, this.partitions.get(groupId));
    }
  }

  /** Close a replica open here (if any) and delete its log: its partition is gone or no longer hosted here. */
  private async dropReplica(groupId: PartitionGroupId, r: PartitionReplica | undefined): Promise<void> {
    if (r) {
      this.partitions.delete(groupId);
      this.awake.delete(groupId);
      if (r.topic === OFFSETS_TOPIC) this.groups.detach(r.topicId, r.partition);
      await r.close();
    }
    await this.store.deleteLog(groupId);
  }

  private async reconcileAll(): Promise<void> {
    const wanted = new Set<string>();
    const existing = new Set<string>();
    for (const t of this.controller.metadata.topics()) {
      t.replicas.forEach((_r, p) => {
        existing.add(partitionGroupId(t.id, p));
        if (hostingReplicas(t, p).includes(this.id)) wanted.add(partitionGroupId(t.id, p));
      });
      await this.openTopic(t);
      // Settings altered by entries the snapshot covered reach the replicas already open here.
      const compression = t.config.compression ?? "producer";
      t.replicas.forEach((r, p) => {
        const replica = this.partitions.get(partitionGroupId(t.id, p));
        replica?.reconfigure({ compression, segmentBytes: t.config.segmentBytes, segmentMs: t.config.segmentMs });
        // Moves the snapshot covered: the leader preference follows the list (or the target while moving).
        replica?.runner.setPriority(reassignmentOf(t, p)?.target ?? r);
      });
    }
    this.leaders.retain((g) => existing.has(g));
    for (const [groupId, r] of this.partitions) {
      if (wanted.has(groupId)) continue;
      await this.dropReplica(groupId, r);
    }
  }

  private async applyRetention(): Promise<void> {
    for (const t of this.controller.metadata.topics()) await this.applyRetentionTo(t);
  }

  /** One retention pass over the replicas of `t` open here, with its current settings. */
  private async applyRetentionTo(t: TopicMeta): Promise<void> {
    for (let p = 0; p < t.replicas.length; p++) {
      const r = this.partitions.get(partitionGroupId(t.id, p));
      if (!r) continue;
      // Idle producers are forgotten here too, so an idle partition does not keep dead producers (producerIdExpirationMs).
      const forgotten = r.expireProducers();
      if (forgotten > 0) this.logger.debug({ topic: t.name, partition: p, forgotten }, "expired idle producers");
      let res;
      try {
        res = await r.applyRetention({ retentionBytes: t.config.retentionBytes, retentionMs: t.config.retentionMs });
      } catch (err) {
        // A full disk or an I/O error (or the partition closing): the next pass tries again.
        if (!isRetriableWriteFailure(err) && !(err instanceof StorageError && err.code === "CLOSED")) throw err;
        this.logger.warn({ topic: t.name, partition: p, code: err.code, err: err.message }, "retention failed; trying again at the next pass");
        continue;
      }
      if (res.segmentsDropped > 0) this.logger.info({ topic: t.name, partition: p, ...res }, "retention dropped segments");
    }
  }

  /**
   * Controlled shutdown: hand every group led here to another member, within
   * CONTROLLED_SHUTDOWN_MS_MAX. Waits on the groups' role and transfer
   * changes: a transfer that ends with this broker still leading (the target
   * did not win within an election timeout) is asked again at once.
   */
  private async moveLeadershipAway(): Promise<void> {
    const deadline = AbortSignal.timeout(CONTROLLED_SHUTDOWN_MS_MAX);
    // Only groups with another voter can hand leadership over.
    const runners: GroupRunner[] = [this.controller.runner, ...[...this.partitions.values()].map((p) => p.runner)].filter((r) => r.voterCount > 1);
    // First make sure nothing hands leadership back to us (leader preference would).
    for (const r of runners) r.drain();
    // Led groups with another live member able to take over (when every peer is gone, or only
    // recovering from a lost disk, there is no one to hand to: waiting would only run out the deadline).
    const led = (): GroupRunner[] =>
      runners.filter((r) => {
        const s = r.status();
        return s.role === Role.Leader && s.progress.some((p) => p.id !== this.id && p.active && !p.recovering);
      });
    this.logger.info({ groups: led().length }, "controlled shutdown: moving leadership away");
    while (!deadline.aborted) {
      const still = led();
      if (still.length === 0) break;
      let refused = false;
      for (const r of still) if (!r.softState().transferee && !r.transferLeadership().ok) refused = true;
      // Wake at the first group that stops leading or whose transfer ends; or, after a refusal, to ask again.
      const round = new AbortController();
      const signal = AbortSignal.any([deadline, round.signal]);
      const changes: Promise<unknown>[] = still
        .filter((r) => r.softState().transferee !== NO_NODE)
        .map((r) => r.waitForSoftState((s) => s.role !== Role.Leader || s.transferee === NO_NODE, signal));
      if (refused) changes.push(sleep(REFUSED_TRANSFER_RETRY_MS, undefined, { signal }).catch(() => undefined));
      if (changes.length === 0) break; // unreachable: every group led either transfers or was refused
      await Promise.race(changes);
      round.abort();
    }
  }
}

/**
 * Count a partition replica's Raft changes between two soft states:
 * elections started (became candidate), leader changes (a known leader that
 * differs, or the same one in a newer term), leadership transfers started
 * here (a transferee appears on the leader).
 */
function countRaftChanges(metrics: BrokerMetrics, prev: SoftState | undefined, s: SoftState): void {
  if (s.role === Role.Candidate && (prev?.role !== Role.Candidate || prev.term !== s.term)) metrics.elections.inc();
  if (s.leader !== NO_NODE && (prev === undefined || prev.leader !== s.leader || prev.term !== s.term)) metrics.leaderChanges.inc();
  if (s.role === Role.Leader && s.transferee !== NO_NODE && (prev === undefined || prev.transferee !== s.transferee)) metrics.leadershipTransfers.inc();
}
