/**
 * The group coordinator of one broker: serves the consumer-group operations
 * for the groups whose offsets-topic partition this broker leads.
 *
 * - Committed state (generations and offsets) is in each hosted offsets
 *   partition's GroupTable, kept by every replica from the committed log
 *   (group-table.ts). Writes go through the partition's Raft group with
 *   acks all: an answer that says "committed" means a quorum has it.
 * - Live state (members' sessions, the join barrier, waiting joins) exists
 *   only on the leader, per group (consumer-group.ts), loaded from the table
 *   on first use. It is dropped when leadership or the term changes (and
 *   after a failed write); the next coordinator reloads the last committed
 *   generation and gives every member one fresh session timeout.
 * - A broker that does not lead a group's partition answers NOT_COORDINATOR
 *   with the leader as hint (or COORDINATOR_NOT_AVAILABLE while there is no
 *   leader, the topic is missing, or the leader has not applied its term's
 *   first entry yet, i.e. is still "loading").
 * - The controller leader creates the offsets topic as soon as it leads and
 *   the topic is missing (checked every GROUP_TICK_MS; idempotent).
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Controller } from "../cluster/controller.js";
import type { TopicMeta } from "../cluster/metadata.js";
import { refusalError, refusalKind, rescope, type ErrorScope } from "../group/client-errors.js";
import type { PartitionReplica, ReplicaApplier } from "../partition/partition-replica.js";
import { AssignmentStrategy, GroupState, OffsetSpec } from "../protocol/enums.js";
import { RlogError, type LeaderHint } from "../protocol/errors.js";
import { coordinatorPartition, OFFSETS_TOPIC } from "../protocol/group-routing.js";
import type { ProduceRecord } from "../protocol/records.js";
import { buildUncompressedBatch } from "../protocol/batch-codec.js";
import type {
  CommitOffsetsRequest,
  FetchOffsetsRequest,
  HeartbeatRequest,
  JoinGroupRequest,
  LeaveGroupRequest,
  ResetOffsetsRequest,
  SyncGroupRequest,
  TopicConfig,
} from "../protocol/requests.js";
import type {
  DescribeGroupResult,
  FetchOffsetsResult,
  GroupOffset,
  GroupSummary,
  JoinGroupResult,
  ResetOffsetsResult,
  SyncGroupResult,
} from "../protocol/results.js";
import { Role, type SoftState } from "../raft/ready.js";
import type { Entry, Index, NodeId, Snapshot, Term } from "../raft/types.js";
import { ConsumerGroup, type PartitionCounts } from "./consumer-group.js";
import { GROUP_OFFSETS_MAX, GROUP_SNAPSHOT_BYTES_MAX, GROUP_WRITE_TIMEOUT_MS, GROUPS_PER_PARTITION_MAX } from "./group-limits.js";
import { decodeGroupSnapshot, encodeGroupSnapshot } from "./group-snapshot.js";
import { groupMetadataRecord, offsetCommitRecord, type GroupMetadataValue } from "./group-records.js";
import { GroupTable, offsetKey, parseOffsetKey } from "./group-table.js";
import { BROKER_DEFAULTS, GROUP_COORDINATOR_DEFAULTS } from "../protocol/defaults.js";

/** Longest client-id prefix of a member id (member ids must fit stringLengthMax). */
const MEMBER_ID_CLIENT_PREFIX_MAX = 64;
/** Pause between attempts to create the offsets topic after a failure. */
const TOPIC_CREATE_RETRY_MS = GROUP_COORDINATOR_DEFAULTS.offsetsTopicCreateRetryMs;

/** What the coordinator needs of the controller: the metadata, and creating the offsets topic when it leads. */
export type CoordinatorController = Pick<Controller, "metadata" | "isLeader" | "createTopic">;

/** What the coordinator needs of an offsets-partition replica (and of a data replica, for resetOffsets and lags). */
export type CoordinatorReplica = Pick<PartitionReplica, "runner" | "produce" | "readBarrier" | "localOffset" | "highWatermarkOffset">;

/** What the coordinator needs from its broker. */
export interface CoordinatorHost {
  readonly brokerId: NodeId;
  /** Every broker id of the cluster. */
  readonly brokers: readonly NodeId[];
  /** Partitions of the offsets topic when this broker creates it (config groupsTopicPartitions). */
  readonly topicPartitions: number;
  readonly controller: () => CoordinatorController;
  /** The broker's default topic settings. */
  readonly topicDefaults: () => TopicConfig;
  /** A hosted replica by topic and partition, if this broker has one. */
  readonly hostedReplica: (topic: TopicMeta, partition: number) => CoordinatorReplica | undefined;
  readonly leaderHint: (id: NodeId) => LeaderHint;
  /** Wall clock, ms since the epoch (stored timestamps). */
  readonly wallMs: () => number;
  /** Monotonic clock, ms (sessions and barriers). */
  readonly monotonicMs: () => number;
  readonly logger: Logger;
}

/** A live group with the joins waiting for its next generation. */
interface LiveGroup {
  readonly group: ConsumerGroup;
  /** Waiting joins by member id; at most one per member (bounded by GROUP_MEMBERS_MAX). */
  readonly joins: Map<string, { resolve: (r: JoinGroupResult) => void; reject: (e: unknown) => void }>;
}

/** One offsets-topic partition hosted on this broker. */
interface Hosted {
  readonly partition: number;
  readonly topicId: number;
  readonly table: GroupTable;
  replica: CoordinatorReplica | undefined;
  /** Live groups while this broker leads the partition; at most GROUPS_PER_PARTITION_MAX. */
  readonly live: Map<string, LiveGroup>;
}

/** See the file comment. */
export class GroupCoordinator {
  /** Hosted offsets partitions by partition number (bounded by the topic's partition count). */
  private readonly hosted = new Map<number, Hosted>();
  private creatingTopic = false;
  private nextCreateMs = 0;
  private closed = false;
  /** How partition refusals reach this coordinator's clients (broker/group/client-errors.ts). */
  private readonly scope: ErrorScope;

  constructor(private readonly host: CoordinatorHost) {
    this.scope = { kind: "coordinator", name: "group coordinator", leaderHint: host.leaderHint };
  }

  // ------------------------------------------------------------ hosting

  /** The applier for a new replica of offsets partition `partition` (before the replica exists). */
  applierFor(topicId: number, partition: number): ReplicaApplier {
    const h: Hosted = { partition, topicId, table: new GroupTable(), replica: undefined, live: new Map() };
    this.hosted.set(partition, h);
    return {
      apply: (entries: readonly Entry[]) => h.table.apply(entries),
      reset: (index: Index, term: Term) => {
        h.table.reset(index, term);
        this.dropLive(h, new RlogError("COORDINATOR_NOT_AVAILABLE", "the group log was replaced by a snapshot"));
      },
      restore: (snap: Snapshot) => {
        if (snap.data.byteLength === 0) {
          // A snapshot without state (retention's, which this topic never runs): nothing before it is kept.
          this.host.logger.warn({ partition, index: snap.index }, "offsets partition restored from a snapshot without group state: committed group state before it is not kept (docs/GROUPS.md)");
          h.table.reset(snap.index, snap.term);
        } else {
          h.table.restore(snap.index, snap.term, decodeGroupSnapshot(snap.data));
          this.host.logger.info({ partition, index: snap.index, bytes: snap.data.byteLength, groups: h.table.size }, "group table restored from a snapshot");
        }
        this.dropLive(h, new RlogError("COORDINATOR_NOT_AVAILABLE", "the group log was replaced by a snapshot"));
      },
      checkSnapshot: (snap: Snapshot) => {
        if (snap.data.byteLength > 0) decodeGroupSnapshot(snap.data);
      },
      snapshot: () => this.snapshotOf(h),
      roleChanged: (soft: SoftState) => {
        if (h.live.size === 0) return;
        const err =
          soft.role === Role.Leader
            ? new RlogError("COORDINATOR_NOT_AVAILABLE", "the coordinator's term changed")
            : this.notCoordinator(soft.leader);
        this.dropLive(h, err);
      },
    };
  }

  /**
   * The group table of `h` encoded for a snapshot, or undefined (warn) when
   * it is larger than GROUP_SNAPSHOT_BYTES_MAX: the log is then kept whole
   * until the table shrinks, which only happens when groups are deleted.
   */
  private snapshotOf(h: Hosted): Uint8Array | undefined {
    const data = encodeGroupSnapshot(h.table.groups());
    if (data.byteLength <= GROUP_SNAPSHOT_BYTES_MAX) return data;
    this.host.logger.warn(
      { partition: h.partition, bytes: data.byteLength, bytesMax: GROUP_SNAPSHOT_BYTES_MAX, groups: h.table.size, offsets: h.table.offsetCount() },
      "group table too large to snapshot (GROUP_SNAPSHOT_BYTES_MAX, the peer frame limit): its log is not compacted (docs/GROUPS.md, \"Snapshots\")",
    );
    return undefined;
  }

  /** Groups and committed offsets in the table of hosted offsets partition `partition` (diagnostics, bench/offsets-restart.ts); undefined when not hosted here. */
  tableSize(partition: number): { readonly groups: number; readonly offsets: number } | undefined {
    const h = this.hosted.get(partition);
    return h === undefined ? undefined : { groups: h.table.size, offsets: h.table.offsetCount() };
  }

  /** The replica created with applierFor's applier. */
  attach(partition: number, replica: CoordinatorReplica): void {
    const h = this.hosted.get(partition);
    if (h !== undefined) h.replica = replica;
  }

  /** The replica of offsets partition `partition` is closing (topic deleted or broker stopping). */
  detach(topicId: number, partition: number): void {
    const h = this.hosted.get(partition);
    if (h === undefined || h.topicId !== topicId) return;
    this.dropLive(h, new RlogError("COORDINATOR_NOT_AVAILABLE", "the group log is closing"));
    this.hosted.delete(partition);
  }

  /** Stop: fail waiting joins. */
  close(): void {
    this.closed = true;
    for (const h of this.hosted.values()) this.dropLive(h, new RlogError("SHUTTING_DOWN", `broker ${this.host.brokerId} is shutting down`));
  }

  /** Timers: sessions, barriers, and the offsets topic's existence. Called every GROUP_TICK_MS. */
  tick(): void {
    if (this.closed) return;
    this.ensureTopic();
    const now = this.host.monotonicMs();
    const counts = this.partitionCounts();
    for (const h of this.hosted.values()) {
      if (h.live.size === 0) continue;
      if (!this.isReady(h)) {
        this.dropLive(h, new RlogError("COORDINATOR_NOT_AVAILABLE", "coordinator leadership changed"));
        continue;
      }
      for (const [id, lg] of h.live) {
        const expired = lg.group.tick(now, counts);
        if (expired.length > 0) this.host.logger.info({ group: id, members: expired }, "group members' sessions expired");
        this.flush(h, id, lg);
      }
    }
  }

  // ------------------------------------------------------------ operations

  /** joinGroup: resolves when the generation this join belongs to is committed. */
  join(req: JoinGroupRequest, clientId: string, signal: AbortSignal): Promise<JoinGroupResult> {
    const h = this.route(req.group);
    const lg = this.liveGroup(h, req.group, true)!;
    const now = this.host.monotonicMs();
    const newId = `${clientId.slice(0, MEMBER_ID_CLIENT_PREFIX_MAX)}-${randomUUID()}`;
    const memberId = this.orDiscard(h, req.group, () =>
      lg.group.join(
        {
          memberId: req.memberId,
          clientId,
          topics: [...new Set(req.topics)],
          sessionTimeoutMs: req.sessionTimeoutMs,
          rebalanceTimeoutMs: req.rebalanceTimeoutMs,
          strategy: req.assignmentStrategy ?? AssignmentStrategy.Sticky,
        },
        newId,
        now,
      ),
    );
    if (req.memberId === "") this.host.logger.info({ group: req.group, memberId }, "member joined");
    const answer = new Promise<JoinGroupResult>((resolve, reject) => {
      lg.joins.get(memberId)?.reject(new RlogError("REBALANCE_IN_PROGRESS", "a newer join of this member replaced this one"));
      const onAbort = (): void => {
        if (lg.joins.get(memberId)?.reject === rejectOnce) lg.joins.delete(memberId);
      };
      const rejectOnce = (e: unknown): void => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      };
      lg.joins.set(memberId, {
        resolve: (r) => {
          signal.removeEventListener("abort", onAbort);
          resolve(r);
        },
        reject: rejectOnce,
      });
      signal.addEventListener("abort", onAbort, { once: true });
    });
    lg.group.tick(now, this.partitionCounts());
    this.flush(h, req.group, lg);
    return answer;
  }

  /** syncGroup: this member's partitions of the generation. */
  sync(req: SyncGroupRequest): SyncGroupResult {
    const lg = this.existingGroup(req.group, req.memberId);
    return { assignment: lg.group.sync(req.memberId, req.generation, this.host.monotonicMs()) };
  }

  /** heartbeat. */
  heartbeat(req: HeartbeatRequest): void {
    const lg = this.existingGroup(req.group, req.memberId);
    lg.group.heartbeat(req.memberId, req.generation, this.host.monotonicMs());
  }

  /** leaveGroup: resolves once the departure is decided (and, when it empties the group, committed). */
  async leave(req: LeaveGroupRequest): Promise<void> {
    const h = this.route(req.group);
    const lg = this.liveGroup(h, req.group, false);
    if (lg === undefined) throw new RlogError("UNKNOWN_MEMBER", `member ${req.memberId} is not in group ${req.group}`);
    const now = this.host.monotonicMs();
    lg.group.leave(req.memberId, now);
    lg.joins.get(req.memberId)?.reject(new RlogError("UNKNOWN_MEMBER", `member ${req.memberId} left group ${req.group}`));
    lg.joins.delete(req.memberId);
    this.host.logger.info({ group: req.group, memberId: req.memberId }, "member left");
    lg.group.tick(now, this.partitionCounts());
    const written = this.flush(h, req.group, lg);
    if (written !== undefined) await written;
  }

  /** commitOffsets: resolves once every offset of the request is committed (all or none: one batch). */
  async commit(req: CommitOffsetsRequest): Promise<void> {
    const h = this.route(req.group);
    const standalone = req.memberId === undefined;
    const lg = this.liveGroup(h, req.group, standalone);
    if (lg === undefined) throw new RlogError("UNKNOWN_MEMBER", `member ${req.memberId} is not in group ${req.group}`);
    this.orDiscard(h, req.group, () => {
      lg.group.checkCommit(req.memberId, req.generation);
      this.checkOffsetsBound(h, req.group, req.offsets.map((o) => offsetKey(o.topic, o.partition)));
    });
    const commitMs = this.host.wallMs();
    const records = req.offsets.map((o) => offsetCommitRecord(req.group, o.topic, o.partition, { offset: o.offset, metadata: o.metadata ?? "", commitMs }));
    await this.append(h, records);
  }

  /**
   * fetchOffsets: committed offsets (partitions without one are left out).
   * Read after a barrier through the log, so a deposed coordinator that has
   * not noticed yet refuses instead of answering with older offsets than a
   * commit its successor has acknowledged.
   */
  async fetchOffsets(req: FetchOffsetsRequest): Promise<FetchOffsetsResult> {
    await this.readBarrier(this.route(req.group));
    const h = this.route(req.group);
    const committed = h.table.group(req.group)?.offsets;
    if (committed === undefined) return { offsets: [] };
    const keys = req.partitions === undefined ? [...committed.keys()] : req.partitions.map((p) => offsetKey(p.topic, p.partition));
    const offsets = [];
    for (const key of keys) {
      const v = committed.get(key);
      if (v === undefined) continue;
      const { topic, partition } = parseOffsetKey(key);
      offsets.push(v.metadata === "" ? { topic, partition, offset: v.offset } : { topic, partition, offset: v.offset, metadata: v.metadata });
    }
    return { offsets: offsets.sort((a, b) => cmp(a.topic, b.topic) || a.partition - b.partition) };
  }

  /** listGroups: the groups of every offsets partition this broker leads (the SDK merges across brokers). */
  listGroups(): GroupSummary[] {
    const out: GroupSummary[] = [];
    for (const h of this.hosted.values()) {
      if (!this.isReady(h)) continue;
      const ids = new Set([...h.table.groupIds(), ...h.live.keys()]);
      for (const id of ids) {
        const live = h.live.get(id)?.group;
        if (live !== undefined) out.push({ group: id, state: live.state, memberCount: live.members.size });
        else {
          const members = h.table.group(id)?.metadata?.members.length ?? 0;
          out.push({ group: id, state: members > 0 ? GroupState.Stable : GroupState.Empty, memberCount: members });
        }
      }
    }
    return out.sort((a, b) => cmp(a.group, b.group));
  }

  /** describeGroup: state, members, committed offsets with the high watermarks this broker knows. */
  describe(group: string): DescribeGroupResult {
    const h = this.route(group);
    const lg = this.liveGroup(h, group, false);
    if (lg === undefined) throw new RlogError("UNKNOWN_GROUP", `group ${group} does not exist (nothing was ever committed for it)`);
    const metadata = this.host.controller().metadata;
    const offsets: GroupOffset[] = [];
    for (const [key, v] of h.table.group(group)?.offsets ?? []) {
      const { topic, partition } = parseOffsetKey(key);
      const t = metadata.topic(topic);
      const hw = t === undefined ? undefined : this.host.hostedReplica(t, partition)?.highWatermarkOffset();
      offsets.push(hw === undefined ? { topic, partition, offset: v.offset } : { topic, partition, offset: v.offset, highWatermark: hw, lag: Math.max(0, hw - v.offset) });
    }
    offsets.sort((a, b) => cmp(a.topic, b.topic) || a.partition - b.partition);
    return { group, state: lg.group.state, generation: lg.group.generation, members: lg.group.describeMembers(), offsets };
  }

  /**
   * resetOffsets: commit offsets for a group without members, resolved on
   * this broker's own replicas (leader or follower view; docs/GROUPS.md).
   */
  async resetOffsets(req: ResetOffsetsRequest): Promise<ResetOffsetsResult> {
    const h = this.route(req.group);
    const t = this.host.controller().metadata.topic(req.topic);
    if (t === undefined) throw new RlogError("UNKNOWN_TOPIC", `topic ${req.topic} does not exist`);
    const partitions = req.partitions ?? t.replicas.map((_, p) => p);
    const offsets = partitions.map((partition) => {
      if (partition >= t.replicas.length) throw new RlogError("UNKNOWN_PARTITION", `topic ${req.topic} has ${t.replicas.length} partitions; ${partition} does not exist`);
      if (req.spec === OffsetSpec.Exact) return { topic: req.topic, partition, offset: req.offset ?? 0 };
      const r = this.host.hostedReplica(t, partition);
      if (r === undefined) {
        throw new RlogError("INVALID_REQUEST", `the coordinator of ${req.group} holds no replica of ${req.topic}/${partition}; resolve the offset at its leader (listOffsets) and reset to it (spec Exact)`);
      }
      return { topic: req.topic, partition, offset: r.localOffset(req.spec, req.timestampMs ?? 0) };
    });
    const lg = this.liveGroup(h, req.group, true)!;
    this.orDiscard(h, req.group, () => {
      lg.group.checkCommit(undefined, undefined);
      this.checkOffsetsBound(h, req.group, offsets.map((o) => offsetKey(o.topic, o.partition)));
    });
    const commitMs = this.host.wallMs();
    await this.append(
      h,
      offsets.map((o) => offsetCommitRecord(req.group, o.topic, o.partition, { offset: o.offset, metadata: "", commitMs })),
    );
    return { offsets };
  }

  // ------------------------------------------------------------ internals

  /** The hosted partition of `group` if this broker is its ready coordinator; else the error to answer. */
  private route(group: string): Hosted {
    const t = this.host.controller().metadata.topic(OFFSETS_TOPIC);
    if (t === undefined) throw new RlogError("COORDINATOR_NOT_AVAILABLE", `the ${OFFSETS_TOPIC} topic is being created`);
    const p = coordinatorPartition(group, t.replicas.length);
    const h = this.hosted.get(p);
    if (h === undefined || h.topicId !== t.id || h.replica === undefined) {
      const replicas = t.replicas[p] ?? [];
      if (!replicas.includes(this.host.brokerId) && replicas[0] !== undefined) throw this.notCoordinator(replicas[0]);
      throw new RlogError("COORDINATOR_NOT_AVAILABLE", `${OFFSETS_TOPIC}/${p} is still opening on broker ${this.host.brokerId}`);
    }
    const s = h.replica.runner.status();
    if (s.role !== Role.Leader) {
      if (s.leader !== 0) throw this.notCoordinator(s.leader);
      throw refusalError("NO_LEADER", s.leader, `${OFFSETS_TOPIC}/${p} has no leader right now`, this.scope);
    }
    if (s.transferee !== 0) throw refusalError("LEADER_TRANSFER_IN_PROGRESS", s.transferee, `coordination of ${OFFSETS_TOPIC}/${p} is moving to broker ${s.transferee}`, this.scope);
    if (h.table.appliedTerm !== s.term) throw new RlogError("COORDINATOR_NOT_AVAILABLE", `the coordinator of ${OFFSETS_TOPIC}/${p} is loading its groups`);
    return h;
  }

  /** NOT_COORDINATOR naming `leader`, or COORDINATOR_NOT_AVAILABLE when no leader is known. */
  private notCoordinator(leader: NodeId): RlogError {
    const message = leader !== 0 ? `broker ${leader} is this group's coordinator` : "the group's coordinator is being elected";
    return refusalError(refusalKind({ code: "NOT_LEADER", leader }), leader, message, this.scope);
  }

  private isReady(h: Hosted): boolean {
    const s = h.replica?.runner.status();
    return s !== undefined && s.role === Role.Leader && s.transferee === 0 && h.table.appliedTerm === s.term;
  }

  /** A group's live state, loaded from the table on first use; `create` makes a new one (within the bound). */
  private liveGroup(h: Hosted, id: string, create: boolean): LiveGroup | undefined {
    let lg = h.live.get(id);
    if (lg !== undefined) return lg;
    const committed = h.table.group(id);
    if (committed === undefined) {
      if (!create) return undefined;
      const count = h.table.size + [...h.live.keys()].filter((k) => h.table.group(k) === undefined).length;
      if (count >= GROUPS_PER_PARTITION_MAX) {
        throw new RlogError("GROUP_LIMIT_REACHED", `${OFFSETS_TOPIC}/${h.partition} holds ${GROUPS_PER_PARTITION_MAX} groups (GROUPS_PER_PARTITION_MAX)`);
      }
    }
    const group = ConsumerGroup.fromCommitted(id, committed?.metadata, this.host.monotonicMs(), this.partitionCounts());
    lg = { group, joins: new Map() };
    h.live.set(id, lg);
    return lg;
  }

  /**
   * Run `f`; when it throws, forget a live group that exists only in memory
   * (created for this request, nothing committed), so refused requests leave nothing behind.
   */
  private orDiscard<T>(h: Hosted, id: string, f: () => T): T {
    try {
      return f();
    } catch (err) {
      const lg = h.live.get(id);
      if (lg !== undefined && h.table.group(id) === undefined && lg.group.members.size === 0 && lg.group.generation === 0) h.live.delete(id);
      throw err;
    }
  }

  /** The live group of a member's request; UNKNOWN_MEMBER when there is no such group. */
  private existingGroup(group: string, memberId: string): LiveGroup {
    const lg = this.liveGroup(this.route(group), group, false);
    if (lg === undefined) throw new RlogError("UNKNOWN_MEMBER", `member ${memberId} is not in group ${group}`);
    return lg;
  }

  /**
   * Write what the group asks to write, if anything. Returns the write's
   * promise (resolved once committed and the waiting joins are answered).
   */
  private flush(h: Hosted, id: string, lg: LiveGroup): Promise<void> | undefined {
    const value = lg.group.takeWrite();
    if (value === undefined) return undefined;
    this.host.logger.info({ group: id, generation: value.generation, members: value.members.length }, "group generation written");
    const p = this.writeGroup(h, id, lg, value);
    p.catch(() => undefined); // the failure is handled inside; callers that await see it
    return p;
  }

  private async writeGroup(h: Hosted, id: string, lg: LiveGroup, value: GroupMetadataValue): Promise<void> {
    try {
      await this.append(h, [groupMetadataRecord(id, value)]);
    } catch (err) {
      if (h.live.get(id) === lg) {
        this.host.logger.warn({ group: id, generation: value.generation, err: (err as Error).message }, "group generation not committed; dropping live state");
        h.live.delete(id);
        this.failJoins(lg, err instanceof RlogError && err.retriable ? err : new RlogError("COORDINATOR_NOT_AVAILABLE", "the group's generation could not be committed"));
      }
      throw err;
    }
    if (h.live.get(id) !== lg) return;
    const answered = lg.group.written(value.generation, this.host.monotonicMs());
    for (const memberId of answered) {
      const w = lg.joins.get(memberId);
      lg.joins.delete(memberId);
      w?.resolve({ generation: value.generation, memberId });
    }
    this.flush(h, id, lg);
  }

  /** Confirm leadership and catch up before a read of committed state; see PartitionReplica.readBarrier. */
  private async readBarrier(h: Hosted): Promise<void> {
    const replica = h.replica;
    if (replica === undefined) throw new RlogError("COORDINATOR_NOT_AVAILABLE", `${OFFSETS_TOPIC}/${h.partition} is not open`);
    try {
      await replica.readBarrier(GROUP_WRITE_TIMEOUT_MS);
    } catch (err) {
      throw rescope(err, this.scope);
    }
  }

  /** Append records to the group's partition (acks all); coordinator errors for the partition's errors. */
  private async append(h: Hosted, records: readonly ProduceRecord[]): Promise<void> {
    const replica = h.replica;
    if (replica === undefined) throw new RlogError("COORDINATOR_NOT_AVAILABLE", `${OFFSETS_TOPIC}/${h.partition} is not open`);
    try {
      const batch = buildUncompressedBatch(records, { timestampMs: this.host.wallMs() });
      await replica.produce({ op: "produce", topic: OFFSETS_TOPIC, partition: h.partition, batch, acks: "all", timeoutMs: GROUP_WRITE_TIMEOUT_MS });
    } catch (err) {
      throw rescope(err, this.scope);
    }
  }

  private checkOffsetsBound(h: Hosted, group: string, keys: readonly string[]): void {
    const committed = h.table.group(group)?.offsets;
    const fresh = new Set(keys.filter((k) => !committed?.has(k))).size;
    if ((committed?.size ?? 0) + fresh > GROUP_OFFSETS_MAX) {
      throw new RlogError("GROUP_LIMIT_REACHED", `group ${group} would hold more than ${GROUP_OFFSETS_MAX} committed offsets (GROUP_OFFSETS_MAX)`);
    }
  }

  private dropLive(h: Hosted, err: RlogError): void {
    for (const lg of h.live.values()) this.failJoins(lg, err);
    h.live.clear();
  }

  private failJoins(lg: LiveGroup, err: unknown): void {
    for (const w of lg.joins.values()) w.reject(err);
    lg.joins.clear();
  }

  private partitionCounts(): PartitionCounts {
    const metadata = this.host.controller().metadata;
    return (topic) => metadata.topic(topic)?.replicas.length;
  }

  /** On the controller leader: create the offsets topic when it is missing. */
  private ensureTopic(): void {
    const controller = this.host.controller();
    if (this.creatingTopic || !controller.isLeader() || controller.metadata.topic(OFFSETS_TOPIC) !== undefined) return;
    const now = this.host.monotonicMs();
    if (now < this.nextCreateMs) return;
    this.creatingTopic = true;
    const rf = Math.min(BROKER_DEFAULTS.replicationFactorPreferred, this.host.brokers.length);
    // Uncompressed: the group table decodes these batches synchronously (group-table.ts).
    const config: TopicConfig = { ...this.host.topicDefaults(), retentionBytes: -1, retentionMs: -1, compression: "none" };
    controller
      .createTopic(OFFSETS_TOPIC, this.host.topicPartitions, rf, config)
      .then(
        (t) => this.host.logger.info({ topic: t.name, partitions: t.replicas.length, replicationFactor: rf }, "created the offsets topic"),
        (err: unknown) => {
          if (err instanceof RlogError && err.is("TOPIC_ALREADY_EXISTS")) return;
          this.nextCreateMs = this.host.monotonicMs() + TOPIC_CREATE_RETRY_MS;
          this.host.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "creating the offsets topic failed; will retry");
        },
      )
      .finally(() => {
        this.creatingTopic = false;
      });
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
