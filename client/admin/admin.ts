/**
 * Cluster administration. Topic creation and deletion and the leader
 * rebalance go to the controller (following NOT_CONTROLLER hints);
 * transferLeader and listOffsets go to the partition's leader; group
 * questions to the group's coordinator (following NOT_COORDINATOR hints),
 * except listGroups, which asks every broker (each answers for the groups it
 * coordinates) and merges; the rest to any broker. Every call is retried on
 * retriable errors like any request.
 *
 * createTopic and deleteTopic are not naturally idempotent: when an earlier
 * attempt's outcome is unknown (TIMEOUT, lost connection) and a retry then
 * gets TOPIC_ALREADY_EXISTS (create) or UNKNOWN_TOPIC (delete), the earlier
 * attempt is taken to have succeeded.
 *
 * Brokers (docs/OPERATIONS.md): registerBroker, unregisterBroker,
 * listBrokers and alterControllerVoters go to the controller. Register and
 * unregister are made safe to retry like createTopic and deleteTopic.
 *
 * Users (SCRAM-SHA-256): createUser salts and hashes the password here and
 * sends only the salted keys (the password never crosses the wire); it and
 * deleteUser go to the controller, listUsers to any broker.
 */
import { OffsetSpec } from "../../broker/protocol/enums.js";
import { ErrorCode, RlogError } from "../../broker/protocol/errors.js";
import type { CommitOffset, ReassignmentMove, TopicConfig, TopicPartition } from "../../broker/protocol/requests.js";
import type { Acl, AclFilter } from "../../broker/protocol/acls.js";
import { newUserCredential } from "./user-credential.js";
import type {
  CancelReassignmentResult,
  ClusterStatusResult,
  ControllerMembership,
  ListBrokersResult,
  ListedBroker,
  DescribeGroupResult,
  GroupSummary,
  LeaderMove,
  ListOffsetsResult,
  RecordedReassignment,
  ReassignmentPhase,
  ReassignmentStatus,
  TopicDescription,
  TopicSummary,
  TransferLeaderResult,
  UserInfo,
} from "../../broker/protocol/results.js";
import { CallState, type Cluster, type TopicPartitionRef } from "../cluster/cluster.js";
import type { RequestOf, ResultOf } from "../../broker/protocol/ops.js";
import { isRetriableError } from "../retry/retry-options.js";

/** What createTopic takes. */
export interface CreateTopicOptions {
  readonly name: string;
  /** Number of partitions, 1 .. partitionsMax. */
  readonly partitions: number;
  /** Replicas per partition, 1 .. replicationFactorMax and at most the number of brokers. */
  readonly replicationFactor: number;
  /** Settings to override; the broker's defaults fill in the rest. */
  readonly config?: Partial<TopicConfig>;
}

/** What registerBroker takes: the new broker's id and advertised addresses. */
export interface RegisterBrokerOptions {
  readonly id: number;
  /** Where clients and peers reach it (host name or address; never 0.0.0.0 or ::). */
  readonly host: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** Its Kafka-protocol listener's port (docs/KAFKA.md), advertised to Kafka clients in Metadata; absent: no Kafka listener. */
  readonly kafkaPort?: number;
}

/**
 * How much longer than requestTimeoutMs alterControllerVoters waits for its
 * answer: the controller answers once both steps of the change committed
 * (up to 30 s, CONTROLLER_VOTERS_CHANGE_MS_MAX on the broker).
 */
const ALTER_CONTROLLER_VOTERS_EXTRA_MS = 30_000;

/** What alterTopic takes: at least one of the two. */
export interface AlterTopicOptions {
  /**
   * The new partition count: more than the topic has (partitions are only
   * added), at most partitionsMax. Keys then hash over the new count, so a key
   * may map to another partition than before (as in Kafka).
   */
  readonly partitions?: number;
  /** Settings to change; the others keep their values. */
  readonly config?: Partial<TopicConfig>;
}

/** What transferLeader takes. */
export interface TransferLeaderOptions extends TopicPartitionRef {
  /** Target broker; the most preferred caught-up replica when absent. */
  readonly toBrokerId?: number;
  /** How long the broker waits for the transfer to finish. */
  readonly timeoutMs?: number;
}

/** Which offset listOffsets resolves. */
export type OffsetQuery = "earliest" | "latest" | { readonly timestampMs: number };

/** What resetOffsets takes. */
export interface ResetOffsetsOptions {
  readonly group: string;
  readonly topic: string;
  /** Only these partitions; all of the topic's when absent. */
  readonly partitions?: readonly number[];
  /** Where to: each partition's earliest or latest offset, the first at or after a time, or one exact offset. */
  readonly to: OffsetQuery | { readonly offset: number };
}

/** What createUser takes besides the name and password. */
export interface CreateUserOptions {
  /** PBKDF2 iterations, 4096 .. 1 000 000; default 8192. More is slower to log in and to guess. */
  readonly iterations?: number;
}

/** Administrative operations; see the file comment. Create with `client.admin()`. */
export class Admin {
  /** Use `client.admin()`. */
  constructor(private readonly cluster: Cluster) {}

  /** Create a topic; resolves with its placement (leaders may still be electing: 0). */
  async createTopic(options: CreateTopicOptions): Promise<TopicDescription> {
    const { name, partitions, replicationFactor, config } = options;
    const request = { op: "createTopic" as const, name, partitions, replicationFactor, ...(config === undefined ? {} : { config }) };
    let ambiguous = false;
    const state = new CallState();
    const r = await this.cluster.retrier.run(
      async (ctx) => {
        try {
          return (await this.cluster.attemptController<"createTopic">(request, state, { timeoutMs: Math.min(this.cluster.options.requestTimeoutMs, ctx.remainingMs) })).topic;
        } catch (err) {
          if (ambiguous && err instanceof RlogError && err.code === ErrorCode.TOPIC_ALREADY_EXISTS) return this.describeTopic(name);
          if (isAmbiguous(err)) ambiguous = true;
          throw err;
        }
      },
      { onRetriable: (err) => this.cluster.onControllerError(err, state) },
    );
    this.cluster.cache.putTopic(r);
    return r;
  }

  /**
   * Add partitions to a topic and/or change its settings; resolves with the
   * topic as altered (new partitions' leaders may still be electing: 0). When
   * an earlier attempt's outcome is unknown and a retry gets INVALID_PARTITIONS
   * while the topic has the partitions asked for, that attempt is taken to have
   * succeeded.
   */
  async alterTopic(name: string, options: AlterTopicOptions): Promise<TopicDescription> {
    const { partitions, config } = options;
    const request = { op: "alterTopic" as const, name, ...(partitions === undefined ? {} : { partitions }), ...(config === undefined ? {} : { config }) };
    let ambiguous = false;
    const state = new CallState();
    const r = await this.cluster.retrier.run(
      async (ctx) => {
        try {
          return (await this.cluster.attemptController<"alterTopic">(request, state, { timeoutMs: Math.min(this.cluster.options.requestTimeoutMs, ctx.remainingMs) })).topic;
        } catch (err) {
          if (ambiguous && err instanceof RlogError && err.code === ErrorCode.INVALID_PARTITIONS) {
            const now = await this.describeTopic(name);
            if (now.partitions.length === partitions) return now;
          }
          if (isAmbiguous(err)) ambiguous = true;
          throw err;
        }
      },
      { onRetriable: (err) => this.cluster.onControllerError(err, state) },
    );
    this.cluster.cache.putTopic(r);
    return r;
  }

  /** Delete a topic and all its records. */
  async deleteTopic(name: string): Promise<void> {
    let ambiguous = false;
    const state = new CallState();
    await this.cluster.retrier.run(
      async (ctx) => {
        try {
          await this.cluster.attemptController<"deleteTopic">({ op: "deleteTopic", name }, state, { timeoutMs: Math.min(this.cluster.options.requestTimeoutMs, ctx.remainingMs) });
        } catch (err) {
          if (ambiguous && err instanceof RlogError && err.code === ErrorCode.UNKNOWN_TOPIC) return;
          if (isAmbiguous(err)) ambiguous = true;
          throw err;
        }
      },
      { onRetriable: (err) => this.cluster.onControllerError(err, state) },
    );
    this.cluster.cache.removeTopic(name);
  }

  /**
   * Create a SCRAM-SHA-256 user, or change its password (a new salt every
   * time). Resolves once the controller committed it; every broker then
   * accepts the new password.
   * @throws RangeError for a password or iteration count SCRAM cannot use
   */
  async createUser(name: string, password: string, options: CreateUserOptions = {}): Promise<void> {
    const credential = await newUserCredential(password, options.iterations);
    await this.cluster.controllerRequest<"createUser">({ op: "createUser", name, credential });
  }

  /**
   * Delete a user; its open connections stay, new logins fail. INVALID_REQUEST
   * when there is no such user (unless an earlier attempt of this call, whose
   * outcome was unknown, deleted it).
   */
  async deleteUser(name: string): Promise<void> {
    let ambiguous = false;
    const state = new CallState();
    await this.cluster.retrier.run(
      async (ctx) => {
        try {
          await this.cluster.attemptController<"deleteUser">({ op: "deleteUser", name }, state, { timeoutMs: Math.min(this.cluster.options.requestTimeoutMs, ctx.remainingMs) });
        } catch (err) {
          if (ambiguous && err instanceof RlogError && err.code === ErrorCode.INVALID_REQUEST && !(await this.userExists(name))) return;
          if (isAmbiguous(err)) ambiguous = true;
          throw err;
        }
      },
      { onRetriable: (err) => this.cluster.onControllerError(err, state) },
    );
  }

  private async userExists(name: string): Promise<boolean> {
    return (await this.listUsers()).some((u) => u.name === name);
  }

  /** Every user (names, mechanism, iterations and where it comes from; never keys), sorted by name. */
  async listUsers(): Promise<UserInfo[]> {
    return [...(await this.cluster.anyRequest<"listUsers">({ op: "listUsers" })).users];
  }

  /** Names and sizes of all topics, sorted by name. */
  async listTopics(options: { readonly includeInternal?: boolean } = {}): Promise<TopicSummary[]> {
    const includeInternal = options.includeInternal ?? false;
    return [...(await this.cluster.anyRequest<"listTopics">({ op: "listTopics", includeInternal })).topics];
  }

  /** A topic's settings and partition assignment. */
  async describeTopic(name: string): Promise<TopicDescription> {
    return (await this.cluster.anyRequest<"describeTopic">({ op: "describeTopic", name })).topic;
  }

  /**
   * Add a broker to the running cluster's registry (start it afterwards);
   * resolves with it as the controller lists it. BROKER_ALREADY_REGISTERED
   * for a known id (unless an earlier attempt of this call, whose outcome was
   * unknown, registered it with these addresses).
   */
  async registerBroker(options: RegisterBrokerOptions): Promise<ListedBroker> {
    const { id, host, clientPort, peerPort, kafkaPort } = options;
    let ambiguous = false;
    const state = new CallState();
    const r = await this.cluster.retrier.run(
      async (ctx) => {
        try {
          const request = { op: "registerBroker" as const, brokerId: id, host, clientPort, peerPort, ...(kafkaPort === undefined ? {} : { kafkaPort }) };
          return (await this.cluster.attemptController<"registerBroker">(request, state, { timeoutMs: Math.min(this.cluster.options.requestTimeoutMs, ctx.remainingMs) })).broker;
        } catch (err) {
          if (ambiguous && err instanceof RlogError && err.code === ErrorCode.BROKER_ALREADY_REGISTERED) {
            const b = (await this.listBrokers()).brokers.find((x) => x.brokerId === id);
            if (b !== undefined && b.source === "registered" && b.host === host && b.clientPort === clientPort && b.peerPort === peerPort) return b;
          }
          if (isAmbiguous(err)) ambiguous = true;
          throw err;
        }
      },
      { onRetriable: (err) => this.cluster.onControllerError(err, state) },
    );
    this.cluster.markStale();
    return r;
  }

  /**
   * Remove a registered broker that holds no replicas and is no controller
   * voter (INVALID_REQUEST otherwise, naming why). Stop it afterwards.
   */
  async unregisterBroker(id: number): Promise<void> {
    let ambiguous = false;
    const state = new CallState();
    await this.cluster.retrier.run(
      async (ctx) => {
        try {
          await this.cluster.attemptController<"unregisterBroker">({ op: "unregisterBroker", brokerId: id }, state, { timeoutMs: Math.min(this.cluster.options.requestTimeoutMs, ctx.remainingMs) });
        } catch (err) {
          if (ambiguous && err instanceof RlogError && err.code === ErrorCode.INVALID_REQUEST && !(await this.listBrokers()).brokers.some((b) => b.brokerId === id)) return;
          if (isAmbiguous(err)) ambiguous = true;
          throw err;
        }
      },
      { onRetriable: (err) => this.cluster.onControllerError(err, state) },
    );
    this.cluster.markStale();
  }

  /** Every broker (configured or registered) with its addresses, liveness, controller role and replica count, as the controller sees them. */
  listBrokers(): Promise<ListBrokersResult> {
    return this.cluster.controllerRequest<"listBrokers">({ op: "listBrokers" });
  }

  /**
   * Change the controller's voters (known, live brokers); every other broker
   * stays a controller learner. Resolves once the new voters alone decide.
   * INVALID_CONTROLLER_VOTERS for a list the controller cannot take.
   */
  async alterControllerVoters(voters: readonly number[]): Promise<ControllerMembership> {
    const timeoutMs = this.cluster.options.requestTimeoutMs + ALTER_CONTROLLER_VOTERS_EXTRA_MS;
    return (await this.cluster.controllerRequest<"alterControllerVoters">({ op: "alterControllerVoters", voters }, { timeoutMs })).controller;
  }

  /** Brokers, controller, and per partition its leader, offsets and replica lag. */
  clusterStatus(): Promise<ClusterStatusResult> {
    return this.cluster.anyRequest<"clusterStatus">({ op: "clusterStatus" });
  }

  /** Move a partition's leadership; resolves once the new leader holds it. */
  async transferLeader(options: TransferLeaderOptions): Promise<TransferLeaderResult> {
    const { topic, partition, toBrokerId, timeoutMs } = options;
    const request = {
      op: "transferLeader" as const,
      topic,
      partition,
      ...(toBrokerId === undefined ? {} : { toBrokerId }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    };
    const waitMs = (timeoutMs ?? this.cluster.options.requestTimeoutMs) + this.cluster.options.requestTimeoutMs;
    const r = await this.cluster.leaderRequest<"transferLeader">({ topic, partition }, request, { timeoutMs: waitMs });
    this.cluster.cache.setLeader(topic, partition, r.leader, r.term);
    return r;
  }

  /** Start moving every partition's leadership (or one topic's) back to its preferred replica. */
  async rebalanceLeaders(options: { readonly topic?: string } = {}): Promise<LeaderMove[]> {
    const request = options.topic === undefined ? { op: "rebalanceLeaders" as const } : { op: "rebalanceLeaders" as const, topic: options.topic };
    const r = await this.cluster.controllerRequest<"rebalanceLeaders">(request);
    this.cluster.markStale();
    return [...r.moves];
  }

  /**
   * Start moving partitions to new replica lists (docs/OPERATIONS.md);
   * resolves with the moves recorded, before the data has moved: follow
   * them with listReassignments. Refused whole when one move does not fit
   * (UNKNOWN_TOPIC, UNKNOWN_PARTITION, BROKER_NOT_AVAILABLE,
   * REASSIGNMENT_IN_PROGRESS, INVALID_REQUEST).
   */
  async reassignPartitions(moves: readonly ReassignmentMove[]): Promise<RecordedReassignment[]> {
    const r = await this.controllerVerdict<"reassignPartitions">({ op: "reassignPartitions", moves });
    this.cluster.markStale();
    return [...r.moves];
  }

  /**
   * Cancel moves: each partition goes back to its replica list (see
   * docs/OPERATIONS.md); resolves once recorded. NO_REASSIGNMENT_IN_PROGRESS
   * for a partition that is not moving.
   */
  async cancelReassignment(partitions: readonly { readonly topic: string; readonly partition: number }[]): Promise<CancelReassignmentResult["cancelled"]> {
    const r = await this.controllerVerdict<"cancelReassignment">({ op: "cancelReassignment", partitions });
    this.cluster.markStale();
    return [...r.cancelled];
  }

  /**
   * Move every replica off a broker so that it can be retired; resolves with
   * the moves recorded (follow them with listReassignments).
   */
  async decommissionBroker(brokerId: number): Promise<RecordedReassignment[]> {
    const r = await this.controllerVerdict<"decommissionBroker">({ op: "decommissionBroker", brokerId });
    this.cluster.markStale();
    return [...r.moves];
  }

  /**
   * A request to the controller, retried like any, except that a refusal
   * naming a field of the request (details.field: UNKNOWN_TOPIC,
   * UNKNOWN_PARTITION, BROKER_NOT_AVAILABLE for a named move or broker) is the
   * controller's verdict on its own metadata: asking again would not change it.
   */
  private controllerVerdict<O extends "reassignPartitions" | "cancelReassignment" | "decommissionBroker">(request: RequestOf<O>): Promise<ResultOf<O>> {
    const state = new CallState();
    return this.cluster.retrier.run((ctx) => this.cluster.attemptController<O>(request, state, { timeoutMs: Math.min(this.cluster.options.requestTimeoutMs, ctx.remainingMs) }), {
      onRetriable: (err) => {
        if (err.details?.field !== undefined) throw err;
        return this.cluster.onControllerError(err, state);
      },
    });
  }

  /**
   * Every moving partition, by topic and partition: the controller's list,
   * each with the furthest progress any broker reports for it (the
   * partition's leader knows its phase and its learners' lag). Brokers that
   * do not answer are skipped.
   */
  async listReassignments(): Promise<ReassignmentStatus[]> {
    const recorded = (await this.cluster.controllerRequest<"listReassignments">({ op: "listReassignments" })).reassignments;
    if (recorded.length === 0) return [];
    const urls = this.cluster.cache.brokerUrls();
    const answers = await Promise.all(urls.map((url) => this.cluster.connectionTo(url).request<"listReassignments">({ op: "listReassignments" }).then((a) => a.reassignments, () => [])));
    const rank: Record<ReassignmentPhase, number> = { pending: 0, learners: 1, joint: 2, completing: 3 };
    return recorded
      .map((r) => {
        let best = r;
        for (const list of answers) {
          const a = list.find((x) => x.topic === r.topic && x.partition === r.partition);
          if (a && (rank[a.phase] > rank[best.phase] || (a.phase === best.phase && a.learners.length > best.learners.length))) best = a;
        }
        return best;
      })
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  }

  /** Resolve an offset of a partition: earliest (log start), latest (high watermark) or the first at or after a time. */
  listOffsets(tp: TopicPartitionRef, query: OffsetQuery): Promise<ListOffsetsResult> {
    const { topic, partition } = tp;
    const request =
      typeof query === "object"
        ? { op: "listOffsets" as const, topic, partition, spec: OffsetSpec.Timestamp, timestampMs: query.timestampMs }
        : { op: "listOffsets" as const, topic, partition, spec: query === "earliest" ? OffsetSpec.Earliest : OffsetSpec.Latest };
    return this.cluster.leaderRequest<"listOffsets">(tp, request);
  }

  /**
   * Every consumer group, sorted by name: each broker is asked for the groups
   * it coordinates, and the answers merged. Groups of a broker that does not
   * answer (and whose partitions have not failed over yet) are missing.
   * @throws the last error when no broker answered
   */
  async listGroups(): Promise<GroupSummary[]> {
    await this.cluster.retrier.run(() => this.cluster.refreshMetadata());
    const urls = this.cluster.cache.brokerUrls();
    let lastError: unknown;
    const answers = await Promise.all(
      urls.map(async (url) => {
        try {
          return (await this.cluster.connectionTo(url).request<"listGroups">({ op: "listGroups" })).groups;
        } catch (err) {
          lastError = err;
          return undefined;
        }
      }),
    );
    if (answers.every((a) => a === undefined)) throw lastError;
    const merged = new Map<string, GroupSummary>();
    for (const list of answers) for (const g of list ?? []) if (!merged.has(g.group)) merged.set(g.group, g);
    return [...merged.values()].sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
  }

  /** A group's state, members with their assignment, and committed offsets (with lag where the coordinator knows the high watermark). */
  describeGroup(group: string): Promise<DescribeGroupResult> {
    return this.cluster.coordinatorRequest<"describeGroup">(group, { op: "describeGroup", group });
  }

  /** A group's committed offsets (all, or only these partitions); partitions without one are left out. */
  async fetchOffsets(group: string, partitions?: readonly TopicPartition[]): Promise<CommitOffset[]> {
    const request = partitions === undefined ? { op: "fetchOffsets" as const, group } : { op: "fetchOffsets" as const, group, partitions };
    return [...(await this.cluster.coordinatorRequest<"fetchOffsets">(group, request)).offsets];
  }

  /**
   * Set a group's committed offsets for a topic, while the group has no
   * members (GROUP_NOT_EMPTY otherwise). Earliest, latest and timestamp are
   * resolved at each partition's leader, then all offsets are committed in
   * one standalone commit (all or none). Returns the offsets committed.
   */
  async resetOffsets(options: ResetOffsetsOptions): Promise<CommitOffset[]> {
    const { group, topic, to } = options;
    const count = (await this.cluster.topicMetadata(topic)).partitions.length;
    const partitions = options.partitions ?? Array.from({ length: count }, (_, p) => p);
    for (const p of partitions) {
      if (!Number.isSafeInteger(p) || p < 0 || p >= count) throw new RlogError("UNKNOWN_PARTITION", `topic ${topic} has ${count} partitions; ${p} does not exist`);
    }
    const offsets: CommitOffset[] = await Promise.all(
      partitions.map(async (partition) => {
        if (typeof to === "object" && "offset" in to) return { topic, partition, offset: to.offset };
        return { topic, partition, offset: (await this.listOffsets({ topic, partition }, to)).offset };
      }),
    );
    if (offsets.length > 0) await this.cluster.coordinatorRequest<"commitOffsets">(group, { op: "commitOffsets", group, offsets });
    return offsets;
  }

  /**
   * Add ACLs (docs/SECURITY.md); resolves with the ones that were not held
   * before. Safe to retry: creating a held ACL changes nothing.
   */
  async createAcls(acls: readonly Acl[]): Promise<Acl[]> {
    return [...(await this.cluster.controllerRequest<"createAcls">({ op: "createAcls", acls })).created];
  }

  /**
   * Remove every ACL matching any filter (each present field must be equal;
   * {} matches all); resolves with those removed. A retry after an ambiguous
   * failure finds nothing more to remove, so its result may leave out what
   * the first attempt removed.
   */
  async deleteAcls(filters: readonly AclFilter[]): Promise<Acl[]> {
    return [...(await this.cluster.controllerRequest<"deleteAcls">({ op: "deleteAcls", filters })).deleted];
  }

  /** The ACLs matching a filter (all when absent), in creation order. */
  async listAcls(filter?: AclFilter): Promise<Acl[]> {
    const request = filter === undefined ? { op: "listAcls" as const } : { op: "listAcls" as const, filter };
    return [...(await this.cluster.anyRequest<"listAcls">(request)).acls];
  }
}

/** Whether a failed attempt may still have taken effect. */
function isAmbiguous(err: unknown): boolean {
  return isRetriableError(err) && (err.code === ErrorCode.TIMEOUT || err.code === ErrorCode.BROKER_NOT_AVAILABLE);
}
