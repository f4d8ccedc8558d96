/**
 * The controller: the Raft group over the configured controller voters that
 * holds cluster metadata (topics, replica lists). Every voter applies the
 * same commands; only the controller leader accepts changes, others answer
 * NOT_CONTROLLER with a hint. Applied changes are handed to the broker,
 * which opens and closes partition replicas accordingly.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { refusalError, refusalKind, toClientError, type ErrorScope } from "../group/client-errors.js";
import { GroupRunner, type StateMachine, type WriteRetryOptions } from "../group/group-runner.js";
import { RlogError, type LeaderHint } from "../protocol/errors.js";
import { formatAcl, type Acl, type AclFilter } from "../protocol/acls.js";
import { AUTHORIZATION_DEFAULTS, PRODUCER_ID_DEFAULTS } from "../protocol/defaults.js";
import type { TopicConfig } from "../protocol/requests.js";
import type { ScramCredential } from "../protocol/scram.js";
import type { RaftConfig } from "../raft/config.js";
import type { LogStorage, StorageError } from "../raft/log-storage.js";
import type { Message } from "../raft/messages.js";
import type { RandomSource } from "../raft/random.js";
import { EntryKind, NO_NODE, type Entry, type NodeId, type Snapshot } from "../raft/types.js";
import type { LeaderInfo } from "./leader-table.js";
import { ClusterMetadata, MetadataOp, encodeCommand, type MetadataChange, type MetadataCommand, type ProducerIdBlock, type RegisteredBroker, type TopicMeta } from "./metadata.js";
import { CONTROLLER_GROUP } from "./names.js";
import { ProducerIdAllocator } from "./producer-id-allocator.js";
import { placeReplicas } from "./placement.js";
import { checkCancels, checkMoves, decommissionMoves, type RequestedCancel, type RequestedMove } from "./reassignment-plan.js";
import { reassignmentOf, sameList } from "./reassignments.js";
import type { CancelReassignmentResult, RecordedReassignment } from "../protocol/results.js";
/** How long an admin change waits for its commit. */
export const CONTROLLER_COMMIT_TIMEOUT_MS = 15_000;

export interface ControllerOptions {
  readonly raft: RaftConfig;
  readonly log: LogStorage;
  readonly random: RandomSource;
  readonly send: (messages: readonly Message[]) => void;
  readonly logger: Logger;
  /** Every broker id of the config's `brokers` (used when knownBrokers is absent). */
  readonly brokers: readonly NodeId[];
  /**
   * Every broker of the cluster as this broker knows it now: its config's
   * `brokers` and the registered ones (broker-registry.ts), with addresses.
   * Absent: `brokers`, without addresses (tests of the controller alone).
   */
  readonly knownBrokers?: () => readonly RegisteredBroker[];
  /**
   * The brokers the controller can reach now (itself included): new replicas
   * are placed only on them, as Kafka places only on registered brokers.
   */
  readonly liveBrokers: () => readonly NodeId[];
  readonly leaderHint: (brokerId: NodeId) => LeaderHint;
  readonly clock: () => number;
  /** Applied changes, in order; `reset` after a snapshot replaced the state. */
  readonly onChange: (change: MetadataChange | { readonly kind: "reset" }) => void;
  /** The controller log's storage failed; see GroupRunnerOptions.onFatal. */
  readonly onFatal: (err: unknown, message: string) => void;
  /** Damage a cut did not mend; see GroupRunnerOptions.onStoreDamaged. */
  readonly onStoreDamaged?: (err: StorageError) => void;
  /** How failing log writes are retried; see GroupRunnerOptions.writeRetry. */
  readonly writeRetry?: WriteRetryOptions;
  /**
   * Snapshot the metadata and compact the controller log every this many
   * applied entries (config controllerSnapshotEntries; GroupRunnerOptions.snapshotEntries).
   * Undefined: never.
   */
  readonly snapshotEntries?: number;
  /** Producer ids per AllocateProducerIdBlock; PRODUCER_ID_DEFAULTS.producerIdBlockSize when absent. */
  readonly producerIdBlockSize?: number;
}

/** The cluster metadata as read by handlers and the group coordinator. */
export type MetadataView = Pick<ClusterMetadata, "topic" | "topics" | "acls" | "replicaCount">;

/** Most ACLs named in the log line of one ACL change. */
const ACLS_LOGGED_MAX = 10;

/** Most ACLs the metadata holds (createAcls past it is refused). */
export const ACLS_MAX = AUTHORIZATION_DEFAULTS.aclsMax;

export class Controller {
  readonly metadata = new ClusterMetadata();
  readonly runner: GroupRunner;
  private readonly opts: ControllerOptions;
  /** How refusals reach clients (broker/group/client-errors.ts). */
  private readonly scope: ErrorScope;
  /** An InitCluster of this broker is waiting for its commit. */
  private initPending = false;
  /** initProducerId served from blocks of ids. */
  readonly producerIds: ProducerIdAllocator;

  constructor(opts: ControllerOptions) {
    this.opts = opts;
    this.scope = { kind: "controller", name: "controller", leaderHint: opts.leaderHint };
    const sm: StateMachine = {
      apply: (entries: readonly Entry[]) => {
        for (const change of this.metadata.apply(entries)) {
          if (change.kind === "topicCreated" || change.kind === "topicDeleted") {
            opts.logger.info({ topic: change.topic.name, topicId: change.topic.id, partitions: change.topic.replicas.length }, change.kind === "topicCreated" ? "topic created" : "topic deleted");
          }
          if (change.kind === "topicAltered") {
            opts.logger.info({ topic: change.topic.name, topicId: change.topic.id, partitions: change.topic.replicas.length, partitionsBefore: change.before.replicas.length, config: change.topic.config }, "topic altered");
          }
          if (change.kind === "reassignmentStarted") {
            for (const m of change.moves) opts.logger.info({ topic: change.topic.name, partition: m.partition, from: change.topic.replicas[m.partition], target: m.target }, "partition reassignment started");
          }
          if (change.kind === "reassignmentCancelled") {
            for (const m of change.moves) opts.logger.info({ topic: change.topic.name, partition: m.partition, cancelledTarget: m.cancelled, replicas: m.target }, "partition reassignment cancelled: going back");
          }
          if (change.kind === "reassignmentCompleted") {
            opts.logger.info({ topic: change.topic.name, partition: change.partition, from: change.from, replicas: change.topic.replicas[change.partition] }, "partition reassignment completed");
          }
          if (change.kind === "aclsCreated" || change.kind === "aclsDeleted") {
            // Security-relevant: every change at info, with the first ACLs named (a change may hold thousands).
            const shown = change.acls.slice(0, ACLS_LOGGED_MAX).map(formatAcl);
            opts.logger.info({ count: change.acls.length, acls: shown, index: change.index }, change.kind === "aclsCreated" ? "ACLs created" : "ACLs deleted");
          }
          if (change.kind === "brokerRegistered" || change.kind === "brokerUnregistered") {
            opts.logger.info({ broker: change.broker, index: change.index }, change.kind === "brokerRegistered" ? "broker registered" : "broker unregistered");
          }
          if (change.kind === "userUpserted" || change.kind === "userDeleted") {
            opts.logger.info({ user: change.name }, change.kind === "userUpserted" ? "user created or changed" : "user deleted");
          }
          opts.onChange(change);
        }
      },
      restore: (snap: Snapshot) => {
        this.metadata.restore(snap);
        opts.onChange({ kind: "reset" });
      },
      snapshot: () => this.metadata.encode(),
      // A snapshot from the leader that would not restore is refused before it is written (GroupRunner, peer faults).
      checkSnapshot: (snap: Snapshot) => new ClusterMetadata().restore(snap),
    };
    this.producerIds = new ProducerIdAllocator({
      blockSize: opts.producerIdBlockSize ?? PRODUCER_ID_DEFAULTS.producerIdBlockSize,
      waitersMax: PRODUCER_ID_DEFAULTS.producerIdWaitersMax,
      term: () => this.runner.softState().term,
      commitBlock: (count) => this.commitProducerIdBlock(count),
    });
    this.runner = new GroupRunner({
      groupId: CONTROLLER_GROUP,
      config: opts.raft,
      storage: opts.log,
      random: opts.random,
      send: opts.send,
      stateMachine: sm,
      logger: opts.logger,
      onFatal: opts.onFatal,
      ...(opts.onStoreDamaged ? { onStoreDamaged: opts.onStoreDamaged } : {}),
      ...(opts.writeRetry ? { writeRetry: opts.writeRetry } : {}),
      ...(opts.snapshotEntries !== undefined ? { snapshotEntries: opts.snapshotEntries } : {}),
    });
  }

  /** Create a topic with placed replicas; resolves once committed. */
  async createTopic(name: string, partitions: number, replicationFactor: number, config: TopicConfig): Promise<TopicMeta> {
    this.requireLeader();
    if (this.metadata.topic(name)) throw new RlogError("TOPIC_ALREADY_EXISTS", `topic ${name} already exists`);
    const brokers = this.known().map((b) => b.id);
    if (replicationFactor > brokers.length) {
      throw new RlogError("INVALID_REPLICATION_FACTOR", `replication factor ${replicationFactor} is more than the ${brokers.length} brokers of the cluster`);
    }
    const live = this.opts.liveBrokers();
    if (replicationFactor > live.length) {
      const down = brokers.filter((id) => !live.includes(id));
      throw new RlogError(
        "INVALID_REPLICATION_FACTOR",
        `replication factor ${replicationFactor} needs ${replicationFactor} live brokers, but only ${live.length} are reachable (${[...live].sort((a, b) => a - b).join(", ")}; down or cut off: ${down.join(", ")}); start them or use a lower replication factor`,
      );
    }
    const replicas = placeReplicas(live, partitions, replicationFactor, this.metadata.leaderCounts());
    const firstIndex = await this.commit({ op: MetadataOp.CreateTopic, name, replicas, config, createdMs: this.opts.clock() });
    const t = this.metadata.topic(name);
    if (!t || t.id !== firstIndex) throw new RlogError("TOPIC_ALREADY_EXISTS", `topic ${name} already exists`);
    return t;
  }

  /**
   * Add partitions to a topic (`partitions` is the new total, more than it
   * has) and/or change its settings (`config` is merged over the current
   * ones, already validated by the request parser); resolves once committed
   * with the topic as altered. New partitions are placed on live brokers with
   * the topic's replication factor, spread like a new topic's. Refused, with
   * nothing proposed: an unknown topic (UNKNOWN_TOPIC), a count not above the
   * current one (INVALID_PARTITIONS), the partition count or retention of an
   * internal topic (INVALID_TOPIC: consumer groups are routed by
   * `__consumer_offsets`' partition count and its log is their state), too
   * few live brokers for the replication factor (INVALID_REPLICATION_FACTOR).
   * Asking for nothing that differs commits nothing and answers the topic.
   */
  async alterTopic(name: string, partitions: number | undefined, config: Partial<TopicConfig> | undefined): Promise<TopicMeta> {
    this.requireLeader();
    const t = this.metadata.topic(name);
    if (!t) throw new RlogError("UNKNOWN_TOPIC", `topic ${name} does not exist`);
    const internal = name.startsWith("__"); // the reserved prefix (protocol/topic-name.ts): __consumer_offsets
    const current = t.replicas.length;
    if (partitions !== undefined && internal) {
      throw new RlogError("INVALID_TOPIC", `the partition count of internal topic ${name} cannot change: consumer groups are placed on its partitions by their number`);
    }
    if (partitions !== undefined && partitions <= current) {
      throw new RlogError("INVALID_PARTITIONS", `topic ${name} has ${current} partitions; partitions can only be added (asked for ${partitions}, more than ${current} needed)`, { field: "partitions" });
    }
    const merged: TopicConfig = { ...t.config, ...config };
    if (internal && (merged.retentionBytes !== t.config.retentionBytes || merged.retentionMs !== t.config.retentionMs)) {
      throw new RlogError("INVALID_TOPIC", `the retention of internal topic ${name} cannot change: its log is the consumer groups' state`);
    }
    const configChanged = (Object.keys(merged) as (keyof TopicConfig)[]).some((k) => merged[k] !== t.config[k]);
    let addReplicas: NodeId[][] | undefined;
    if (partitions !== undefined) {
      const rf = t.replicas[0]?.length ?? 1;
      const live = this.opts.liveBrokers();
      if (rf > live.length) {
        throw new RlogError("INVALID_REPLICATION_FACTOR", `topic ${name} has replication factor ${rf}, but only ${live.length} brokers are reachable (${[...live].sort((a, b) => a - b).join(", ")}); start them and try again`);
      }
      addReplicas = placeReplicas(live, partitions - current, rf, this.metadata.leaderCounts());
    }
    if (addReplicas === undefined && !configChanged) return t;
    await this.commit({
      op: MetadataOp.AlterTopic,
      name,
      topicId: t.id,
      ...(addReplicas === undefined ? {} : { partitionsBefore: current, addReplicas }),
      ...(configChanged ? { config: merged } : {}),
    });
    const after = this.metadata.topic(name);
    // Rejected at apply: a command committed between the check and this one changed the topic.
    if (!after || after.id !== t.id) throw new RlogError("UNKNOWN_TOPIC", `topic ${name} was deleted while it was being altered`);
    if (addReplicas !== undefined && after.replicas.length !== partitions) {
      throw new RlogError("INVALID_PARTITIONS", `topic ${name} was altered by another request meanwhile (it has ${after.replicas.length} partitions); look at it and try again`, { field: "partitions" });
    }
    return after;
  }

  /** Delete a topic; resolves once committed. */
  async deleteTopic(name: string): Promise<void> {
    this.requireLeader();
    if (!this.metadata.topic(name)) throw new RlogError("UNKNOWN_TOPIC", `topic ${name} does not exist`);
    await this.commit({ op: MetadataOp.DeleteTopic, name });
  }

  /** A cluster-unique producer id, from this leader's current block (a new block is committed when it runs out). */
  allocateProducerId(): Promise<number> {
    this.requireLeader();
    return this.producerIds.allocate();
  }

  /** Commit an AllocateProducerIdBlock; resolves with the block it handed out. */
  private async commitProducerIdBlock(count: number): Promise<ProducerIdBlock> {
    this.requireLeader();
    const index = await this.commit({ op: MetadataOp.AllocateProducerIdBlock, count });
    const block = this.metadata.lastProducerIdBlock;
    // Only this leader proposes blocks in its term, so the last block applied is ours unless
    // leadership moved and a newer leader's block was applied after it: then this one is lost
    // (skipped, never used), and the callers retry on the new controller.
    if (block === undefined || block.index !== index) {
      throw refusalError(refusalKind({ code: "NOT_LEADER", leader: this.runner.leader() }), this.runner.leader(), "the controller changed while a block of producer ids was committed", this.scope);
    }
    this.opts.logger.info({ firstProducerId: block.firstProducerId, count: block.count, index }, "producer id block allocated");
    return block;
  }

  /**
   * Name the cluster if it has no id yet (leader only; a no-op otherwise).
   * Resolves once committed. Other commands carry one too (see commit()).
   */
  async initCluster(clusterId: string): Promise<void> {
    if (this.metadata.clusterId !== undefined || !this.runner.isLeader() || this.initPending) return;
    this.initPending = true;
    try {
      await this.commit({ op: MetadataOp.InitCluster, clusterId });
    } finally {
      this.initPending = false;
    }
  }

  /** Add ACLs; resolves once committed with those that were not held before. */
  async createAcls(acls: readonly Acl[]): Promise<Acl[]> {
    this.requireLeader();
    const fresh = acls.filter((acl) => !this.metadata.acls.has(acl));
    if (fresh.length === 0) return [];
    if (this.metadata.acls.size + fresh.length > ACLS_MAX) {
      throw new RlogError("INVALID_REQUEST", `the cluster holds ${this.metadata.acls.size} ACLs; ${fresh.length} more would pass the bound of ${ACLS_MAX}`);
    }
    await this.commit({ op: MetadataOp.CreateAcls, acls: fresh });
    return fresh.filter((acl) => this.metadata.acls.has(acl));
  }

  /**
   * Remove every ACL matching any filter; resolves once committed with the
   * ACLs removed (as this broker's metadata held them just before: a change
   * committed in between may add to or take from that list).
   */
  async deleteAcls(filters: readonly AclFilter[]): Promise<Acl[]> {
    this.requireLeader();
    const matching = new Map<string, Acl>();
    for (const f of filters) for (const acl of this.metadata.acls.list(f)) matching.set(JSON.stringify(acl), acl);
    if (matching.size === 0) return [];
    await this.commit({ op: MetadataOp.DeleteAcls, filters });
    return [...matching.values()];
  }

  /** Create a SCRAM user or replace its credential (a password change); resolves once committed. */
  async upsertUser(name: string, credential: ScramCredential): Promise<void> {
    this.requireLeader();
    await this.commit({ op: MetadataOp.UpsertUser, name, credential });
  }

  /** Delete a SCRAM user; resolves once committed. INVALID_REQUEST when there is no such user. */
  async deleteUser(name: string): Promise<void> {
    this.requireLeader();
    if (this.metadata.user(name) === undefined) throw new RlogError("INVALID_REQUEST", `there is no user ${JSON.stringify(name)}`, { field: "name" });
    await this.commit({ op: MetadataOp.DeleteUser, name });
  }

  /**
   * Add a broker to the registry (docs/OPERATIONS.md, "Adding a broker");
   * resolves once committed. Refused, with nothing proposed: an id the
   * cluster knows already, configured or registered (BROKER_ALREADY_REGISTERED),
   * or a listener address another broker advertises (INVALID_REQUEST).
   */
  async registerBroker(b: RegisteredBroker): Promise<RegisteredBroker> {
    this.requireLeader();
    const known = this.known();
    if (known.some((x) => x.id === b.id)) {
      const how = this.metadata.registeredBroker(b.id) !== undefined ? "registered" : "listed in the brokers config";
      throw new RlogError("BROKER_ALREADY_REGISTERED", `broker ${b.id} is already ${how}; remove it first, or pick another id`, { field: "brokerId" });
    }
    for (const x of known) {
      for (const [mine, theirs] of [[b.clientPort, x.clientPort], [b.clientPort, x.peerPort], [b.peerPort, x.clientPort], [b.peerPort, x.peerPort]] as const) {
        if (x.host === b.host && mine === theirs) throw new RlogError("INVALID_REQUEST", `${b.host}:${mine} is already a listener of broker ${x.id}`, { field: mine === b.clientPort ? "clientPort" : "peerPort" });
      }
    }
    if (b.clientPort === b.peerPort) throw new RlogError("INVALID_REQUEST", `clientPort and peerPort are both ${b.clientPort}`, { field: "peerPort" });
    await this.commit({ op: MetadataOp.RegisterBroker, broker: b });
    const registered = this.metadata.registeredBroker(b.id);
    if (registered === undefined) throw new RlogError("BROKER_ALREADY_REGISTERED", `broker ${b.id} was registered and removed meanwhile`, { field: "brokerId" });
    return registered;
  }

  /**
   * Remove a registered broker; resolves once committed. Refused, with
   * nothing proposed (INVALID_REQUEST): an id that is not registered (a
   * configured broker leaves by removing it from every broker's config), a
   * broker that still holds partition replicas (move them first), or a
   * controller voter (change the voters first).
   */
  async unregisterBroker(id: NodeId, controllerVoters: readonly NodeId[]): Promise<void> {
    this.requireLeader();
    if (this.metadata.registeredBroker(id) === undefined) {
      const configured = this.known().some((b) => b.id === id);
      throw new RlogError(
        "INVALID_REQUEST",
        configured ? `broker ${id} is listed in the brokers config, not registered: remove it from every broker's config instead` : `broker ${id} is not registered`,
        { field: "brokerId" },
      );
    }
    const held = this.metadata.replicaCount(id);
    if (held > 0) throw new RlogError("INVALID_REQUEST", `broker ${id} still holds ${held} partition replicas: move them to other brokers first`, { field: "brokerId" });
    if (controllerVoters.includes(id)) {
      throw new RlogError("INVALID_REQUEST", `broker ${id} is a controller voter (voters ${controllerVoters.join(",")}): change the controller voters first`, { field: "brokerId" });
    }
    await this.commit({ op: MetadataOp.UnregisterBroker, id });
    if (this.metadata.registeredBroker(id) !== undefined) throw new RlogError("INVALID_REQUEST", `broker ${id} was given replicas meanwhile: move them first`, { field: "brokerId" });
  }

  /**
   * Start moving partitions to new replica lists (docs/OPERATIONS.md,
   * "Moving partitions"); resolves once recorded, with the moves recorded.
   * Refused whole, nothing proposed, when one move does not fit
   * (reassignment-plan.ts checkMoves). One ReassignPartitions per topic, all
   * in one proposal.
   */
  async reassignPartitions(requested: readonly RequestedMove[]): Promise<RecordedReassignment[]> {
    this.requireLeader();
    const plan = checkMoves({ topic: (n) => this.metadata.topic(n), brokers: this.known().map((b) => b.id), live: this.opts.liveBrokers() }, requested);
    if (plan.length === 0) return [];
    await this.commitAll(plan.map((tm) => ({ op: MetadataOp.ReassignPartitions, name: tm.topic.name, topicId: tm.topic.id, moves: tm.moves })));
    const recorded: RecordedReassignment[] = [];
    for (const tm of plan) {
      const t = this.metadata.topic(tm.topic.name);
      for (const m of tm.moves) {
        const r = t && t.id === tm.topic.id ? reassignmentOf(t, m.partition) : undefined;
        // Rejected at apply: a command committed in between (a delete, another move) changed the topic.
        if (!r || !sameList(r.target, m.replicas)) throw new RlogError("REASSIGNMENT_IN_PROGRESS", `${tm.topic.name}/${m.partition} was changed by another request meanwhile; look at listReassignments and try again`);
        recorded.push({ topic: tm.topic.name, partition: m.partition, from: [...tm.topic.replicas[m.partition]!], target: [...m.replicas] });
      }
    }
    return recorded;
  }

  /**
   * Cancel moves (reassignment-plan.ts checkCancels): each partition goes
   * back to its replica list. Resolves once recorded, with what was cancelled.
   */
  async cancelReassignment(requested: readonly RequestedCancel[]): Promise<CancelReassignmentResult["cancelled"]> {
    this.requireLeader();
    const plan = checkCancels({ topic: (n) => this.metadata.topic(n) }, requested);
    await this.commitAll(plan.map((tc) => ({ op: MetadataOp.CancelReassignment, name: tc.topic.name, topicId: tc.topic.id, partitions: tc.partitions })));
    return plan.flatMap((tc) =>
      tc.partitions.map((p) => {
        const r = this.metadata.topic(tc.topic.name)?.reassignments?.find((x) => x.partition === p);
        // Rejected at apply: the move completed (or the topic changed) between the check and the commit.
        if (r?.cancelled === undefined) throw new RlogError("NO_REASSIGNMENT_IN_PROGRESS", `${tc.topic.name}/${p} completed its move meanwhile; nothing to cancel`);
        return { topic: tc.topic.name, partition: p, cancelledTarget: [...r.cancelled], replicas: [...r.target] };
      }),
    );
  }

  /**
   * Move every replica off broker `brokerId` (reassignment-plan.ts
   * decommissionMoves); resolves once the moves are recorded. Its
   * controller vote, if it has one, is not touched (alterControllerVoters).
   */
  async decommissionBroker(brokerId: NodeId): Promise<RecordedReassignment[]> {
    this.requireLeader();
    const moves = decommissionMoves({ topic: (n) => this.metadata.topic(n), topics: this.metadata.topics(), brokers: this.known().map((b) => b.id), live: this.opts.liveBrokers() }, brokerId);
    this.opts.logger.info({ brokerId, partitions: moves.length }, "decommissioning broker: moving its replicas away");
    return moves.length === 0 ? [] : this.reassignPartitions(moves);
  }

  /**
   * Record that partition `partition` of `topic` reached `target` (its
   * group's committed voters are the target). Idempotent: does nothing when
   * the partition no longer moves to `target` (already recorded, or the
   * topic is gone). Leader only.
   */
  async completeReassignment(topicName: string, topicId: number, partition: number, target: readonly NodeId[]): Promise<void> {
    this.requireLeader();
    const t = this.metadata.topic(topicName);
    const r = t && t.id === topicId ? reassignmentOf(t, partition) : undefined;
    if (!r || !sameList(r.target, target)) return;
    await this.commit({ op: MetadataOp.CompleteReassignment, name: topicName, topicId, partition, replicas: [...target] });
  }

  /** Ask every broker to move leadership back to preferred replicas. */
  async requestRebalance(topic: string | undefined): Promise<void> {
    this.requireLeader();
    if (topic !== undefined && !this.metadata.topic(topic)) throw new RlogError("UNKNOWN_TOPIC", `topic ${topic} does not exist`);
    await this.commit(topic === undefined ? { op: MetadataOp.RebalanceLeaders } : { op: MetadataOp.RebalanceLeaders, topic });
  }

  isLeader(): boolean {
    return this.runner.isLeader();
  }
  leader(): NodeId {
    return this.runner.leader();
  }
  /** The last index of this broker's copy of the controller log. */
  logLastIndex(): number {
    return this.runner.status().lastIndex;
  }
  /** The controller group's leader and term as the core knows them now. */
  leaderInfo(): LeaderInfo {
    const s = this.runner.status();
    return { leader: s.leader, term: s.term };
  }

  /** Every broker of the cluster (see ControllerOptions.knownBrokers). */
  private known(): readonly RegisteredBroker[] {
    return this.opts.knownBrokers?.() ?? this.opts.brokers.map((id) => ({ id, host: "", clientPort: 0, peerPort: 0 }));
  }

  /** Throws NOT_CONTROLLER, with a hint, unless this broker leads the controller. */
  requireLeader(): void {
    if (this.runner.isLeader()) return;
    const leader = this.runner.leader();
    const message = leader !== NO_NODE ? `broker ${leader} is the controller` : "the controller is being elected";
    throw refusalError(refusalKind({ code: "NOT_LEADER", leader }), leader, message, this.scope);
  }

  /** Propose one command; resolves with its index once it is committed and applied. */
  private async commit(c: MetadataCommand): Promise<number> {
    return this.commitAll([c]);
  }

  /** Propose commands in one proposal; resolves with the first one's index once all are committed and applied. */
  private async commitAll(cs: readonly MetadataCommand[]): Promise<number> {
    let proposed;
    // No metadata before the cluster has an id (a broker with a new data directory
    // relies on it; see disk-identity.ts): name it in the same proposal, ahead.
    const init: MetadataCommand[] = this.metadata.clusterId === undefined && cs[0]?.op !== MetadataOp.InitCluster ? [{ op: MetadataOp.InitCluster, clusterId: randomUUID() }] : [];
    try {
      proposed = this.runner.propose(
        [...init, ...cs].map((cmd) => ({ kind: EntryKind.Command, count: 0, timestampMs: this.opts.clock(), data: encodeCommand(cmd) })),
      );
    } catch (err) {
      throw toClientError(err, this.scope);
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        proposed.done,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new RlogError("TIMEOUT", `metadata change not committed within ${CONTROLLER_COMMIT_TIMEOUT_MS} ms`)), CONTROLLER_COMMIT_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      throw toClientError(err, this.scope);
    } finally {
      clearTimeout(timer);
    }
    return proposed.firstIndex + init.length;
  }
}
