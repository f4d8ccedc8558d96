/**
 * One consumer group's live membership on its coordinator: the pure state
 * machine of join, sync, heartbeat, leave, session expiry and generations.
 * No timers, sockets or clocks: every call takes the coordinator's time
 * (`nowMs`), new member ids are handed in, and what must be made durable
 * comes out as a GroupMetadataValue to write (`takeWrite()`); the
 * coordinator (coordinator.ts) does the waiting and the log writes.
 *
 * Protocol (eager rebalancing, server-side assignment):
 * - Any join starts a rebalance (PreparingRebalance) unless one is under
 *   way. Known members learn of it from their heartbeat
 *   (REBALANCE_IN_PROGRESS), stop processing, commit, and rejoin.
 * - The join barrier completes when every member has rejoined. A member
 *   that does not rejoin is removed once both its session and the
 *   rebalance deadline (start + the largest rebalanceTimeoutMs) have passed.
 *   A rebalance that starts from an empty group also waits
 *   INITIAL_REBALANCE_DELAY_MS so members starting together land in one
 *   generation.
 * - On completion the generation goes up by one, the strategy assigns the
 *   partitions, and the group waits for its GroupMetadata record to commit
 *   (CompletingRebalance); then the joins are answered (Stable). syncGroup
 *   hands each member its part of that generation.
 * - Heartbeats extend a member's session only while the group is Stable:
 *   REBALANCE_IN_PROGRESS answers extend nothing, so a member that stops
 *   hearing "fine" stops processing before its session can expire, and its
 *   partitions are never handed to another member while it may still be
 *   processing them (the SDK keeps the matching lease; docs/GROUPS.md).
 * - A member whose session expires in a Stable group is removed and the
 *   rest rebalance; the last member leaving or expiring empties the group
 *   (a new generation with no members is written).
 * - Commits are accepted from members of the current generation (also
 *   while a rebalance is preparing: that is when members commit what they
 *   processed before giving partitions up); a stale generation gets
 *   ILLEGAL_GENERATION, an unknown member UNKNOWN_MEMBER, and a commit
 *   without a member GROUP_NOT_EMPTY unless the group has no members.
 */
import { AssignmentStrategy, GroupState } from "../protocol/enums.js";
import { RlogError } from "../protocol/errors.js";
import type { TopicPartitions } from "../protocol/results.js";
import { assign, type Assignment } from "./assignors.js";
import { GROUP_MEMBERS_MAX } from "./group-limits.js";
import type { GroupMetadataValue, StoredMember } from "./group-records.js";
import { GROUP_COORDINATOR_DEFAULTS } from "../protocol/defaults.js";

/** How long a rebalance that starts from an empty group waits for more members to join it. */
export const INITIAL_REBALANCE_DELAY_MS = GROUP_COORDINATOR_DEFAULTS.initialRebalanceDelayMs;

/** A member of the live group. */
export interface LiveMember {
  readonly memberId: string;
  clientId: string;
  topics: readonly string[];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** Partitions per topic in the current generation (empty before its first). */
  assignment: Map<string, number[]>;
  /** When its session expires (coordinator clock); Infinity while its join waits at the barrier. */
  sessionDeadlineMs: number;
  /** Whether it has (re)joined the rebalance in progress (or the next one, during CompletingRebalance). */
  joined: boolean;
}

/** What a join says. */
export interface JoinInput {
  /** "" for a new member. */
  readonly memberId: string;
  readonly clientId: string;
  readonly topics: readonly string[];
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly strategy: AssignmentStrategy;
}

/** Partition counts of existing topics; undefined for a topic that does not exist. */
export type PartitionCounts = (topic: string) => number | undefined;

/** See the file comment. */
export class ConsumerGroup {
  readonly id: string;
  state: GroupState = GroupState.Empty;
  /** Current generation: the last completed rebalance (0 before the first). */
  generation = 0;
  strategy: AssignmentStrategy = AssignmentStrategy.Sticky;
  /** Members by id; at most GROUP_MEMBERS_MAX. */
  readonly members = new Map<string, LiveMember>();
  /** PreparingRebalance: when members that have not rejoined may be removed (once their session expired too). */
  rebalanceDeadlineMs = 0;
  /** PreparingRebalance: the barrier does not complete before this (initial delay). */
  private barrierNotBeforeMs = 0;
  /** A join arrived while the generation record was being written: rebalance again once it commits. */
  private rebalanceAfterWrite = false;
  /** Partition counts the current generation was assigned with, to notice topics created, deleted or grown. */
  private assignedCounts = new Map<string, number | undefined>();
  /** The record to write next, taken by the coordinator. */
  private write: GroupMetadataValue | undefined;

  constructor(id: string) {
    this.id = id;
  }

  /**
   * The live group a new coordinator starts from: the last committed
   * generation, Stable, each member with one fresh session timeout (its
   * heartbeats reach the new coordinator within that; otherwise it expires).
   */
  static fromCommitted(id: string, committed: GroupMetadataValue | undefined, nowMs: number, counts: PartitionCounts): ConsumerGroup {
    const g = new ConsumerGroup(id);
    if (committed === undefined) return g;
    g.generation = committed.generation;
    g.strategy = committed.strategy;
    for (const m of committed.members) {
      g.members.set(m.memberId, {
        memberId: m.memberId,
        clientId: m.clientId,
        topics: m.topics,
        sessionTimeoutMs: m.sessionTimeoutMs,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        assignment: new Map(m.assignment.map(([t, ps]) => [t, [...ps]])),
        sessionDeadlineMs: nowMs + m.sessionTimeoutMs,
        joined: false,
      });
    }
    g.state = g.members.size > 0 ? GroupState.Stable : GroupState.Empty;
    g.assignedCounts = g.countsOf(counts);
    return g;
  }

  /**
   * A member joins (or rejoins). Returns its member id; the coordinator
   * answers the join once the generation it completes is committed.
   * @param newMemberId the id to give a member that joins with ""
   * @throws RlogError UNKNOWN_MEMBER, INCONSISTENT_GROUP_PROTOCOL, GROUP_LIMIT_REACHED
   */
  join(input: JoinInput, newMemberId: string, nowMs: number): string {
    let m = input.memberId === "" ? undefined : this.members.get(input.memberId);
    if (input.memberId !== "" && m === undefined) {
      throw new RlogError("UNKNOWN_MEMBER", `member ${input.memberId} is not in group ${this.id} (expired or removed); rejoin with an empty member id`);
    }
    const others = this.members.size - (m === undefined ? 0 : 1);
    if (others > 0 && input.strategy !== this.strategy) {
      throw new RlogError("INCONSISTENT_GROUP_PROTOCOL", `group ${this.id} uses assignment strategy ${this.strategy}; this member asked for ${input.strategy}`);
    }
    if (m === undefined && this.members.size >= GROUP_MEMBERS_MAX) {
      throw new RlogError("GROUP_LIMIT_REACHED", `group ${this.id} has ${GROUP_MEMBERS_MAX} members (GROUP_MEMBERS_MAX)`);
    }
    this.strategy = input.strategy;
    if (m === undefined) {
      m = {
        memberId: newMemberId,
        clientId: input.clientId,
        topics: input.topics,
        sessionTimeoutMs: input.sessionTimeoutMs,
        rebalanceTimeoutMs: input.rebalanceTimeoutMs,
        assignment: new Map(),
        sessionDeadlineMs: Infinity,
        joined: true,
      };
      this.members.set(m.memberId, m);
    } else {
      m.clientId = input.clientId;
      m.topics = input.topics;
      m.sessionTimeoutMs = input.sessionTimeoutMs;
      m.rebalanceTimeoutMs = input.rebalanceTimeoutMs;
      m.sessionDeadlineMs = Infinity;
      m.joined = true;
    }
    if (this.state === GroupState.CompletingRebalance) this.rebalanceAfterWrite = true;
    else if (this.state !== GroupState.PreparingRebalance) this.startRebalance(nowMs);
    else this.rebalanceDeadlineMs = Math.max(this.rebalanceDeadlineMs, nowMs + m.rebalanceTimeoutMs);
    return m.memberId;
  }

  /**
   * This member's partitions of the current generation.
   * @throws RlogError UNKNOWN_MEMBER, REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION
   */
  sync(memberId: string, generation: number, nowMs: number): TopicPartitions[] {
    const m = this.checkMember(memberId, generation);
    m.sessionDeadlineMs = nowMs + m.sessionTimeoutMs;
    return [...m.assignment].map(([topic, partitions]) => ({ topic, partitions: [...partitions] })).sort((a, b) => cmp(a.topic, b.topic));
  }

  /**
   * Keep a member's session alive.
   * @throws RlogError UNKNOWN_MEMBER, REBALANCE_IN_PROGRESS (rejoin), ILLEGAL_GENERATION
   */
  heartbeat(memberId: string, generation: number, nowMs: number): void {
    const m = this.checkMember(memberId, generation);
    m.sessionDeadlineMs = nowMs + m.sessionTimeoutMs;
  }

  /**
   * A member leaves at once: the rest of the group rebalances, or, when it
   * was the last member, the group becomes Empty (a record to write).
   * @throws RlogError UNKNOWN_MEMBER
   */
  leave(memberId: string, nowMs: number): void {
    if (!this.members.has(memberId)) throw new RlogError("UNKNOWN_MEMBER", `member ${memberId} is not in group ${this.id}`);
    this.remove([memberId], nowMs);
  }

  /**
   * Whether a commit may be written now.
   * @throws RlogError GROUP_NOT_EMPTY (standalone commit to a group with members), UNKNOWN_MEMBER, ILLEGAL_GENERATION
   */
  checkCommit(memberId: string | undefined, generation: number | undefined): void {
    if (memberId === undefined || generation === undefined) {
      if (this.members.size > 0) {
        throw new RlogError("GROUP_NOT_EMPTY", `group ${this.id} has ${this.members.size} members; only a member may commit (or stop them first)`);
      }
      return;
    }
    if (!this.members.has(memberId)) throw new RlogError("UNKNOWN_MEMBER", `member ${memberId} is not in group ${this.id}`);
    if (generation !== this.generation) {
      throw new RlogError("ILLEGAL_GENERATION", `group ${this.id} is at generation ${this.generation}, not ${generation}; rejoin`);
    }
  }

  /**
   * Advance time: expire sessions, notice topic changes, complete the join
   * barrier. Returns the ids of members removed.
   */
  tick(nowMs: number, counts: PartitionCounts): string[] {
    const expired: string[] = [];
    for (const m of this.members.values()) {
      if (m.joined || m.sessionDeadlineMs > nowMs) continue;
      if (this.state === GroupState.PreparingRebalance && nowMs < this.rebalanceDeadlineMs) continue;
      expired.push(m.memberId);
    }
    if (expired.length > 0) this.remove(expired, nowMs);
    if (this.state === GroupState.Stable && this.topicsChanged(counts)) this.startRebalance(nowMs);
    if (this.state === GroupState.PreparingRebalance && nowMs >= this.barrierNotBeforeMs && [...this.members.values()].every((m) => m.joined)) {
      this.complete(nowMs, counts);
    }
    return expired;
  }

  /** The record the coordinator must write next, if any (taken once). */
  takeWrite(): GroupMetadataValue | undefined {
    const w = this.write;
    this.write = undefined;
    return w;
  }

  /**
   * The record of `generation` committed. Returns the members whose joins it
   * answers (empty when the group moved on meanwhile).
   */
  written(generation: number, nowMs: number): string[] {
    if (this.state !== GroupState.CompletingRebalance || generation !== this.generation) return [];
    this.state = GroupState.Stable;
    const answered: string[] = [];
    for (const m of this.members.values()) {
      if (m.joined) continue; // joined during the write: waits for the next generation
      m.sessionDeadlineMs = nowMs + m.sessionTimeoutMs;
      answered.push(m.memberId);
    }
    if (this.rebalanceAfterWrite) {
      this.rebalanceAfterWrite = false;
      this.startRebalance(nowMs);
    }
    return answered;
  }

  /** The members (sorted by id) with their current assignment. */
  describeMembers(): { memberId: string; clientId: string; assignment: TopicPartitions[] }[] {
    return [...this.members.values()]
      .sort((a, b) => cmp(a.memberId, b.memberId))
      .map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        assignment: [...m.assignment].map(([topic, partitions]) => ({ topic, partitions: [...partitions] })).sort((a, b) => cmp(a.topic, b.topic)),
      }));
  }

  // ------------------------------------------------------------ internals

  private checkMember(memberId: string, generation: number): LiveMember {
    const m = this.members.get(memberId);
    if (m === undefined) throw new RlogError("UNKNOWN_MEMBER", `member ${memberId} is not in group ${this.id} (expired or removed); rejoin with an empty member id`);
    if (this.state === GroupState.PreparingRebalance || this.state === GroupState.CompletingRebalance || m.joined) {
      throw new RlogError("REBALANCE_IN_PROGRESS", `group ${this.id} is rebalancing; rejoin`);
    }
    if (generation !== this.generation) {
      throw new RlogError("ILLEGAL_GENERATION", `group ${this.id} is at generation ${this.generation}, not ${generation}; rejoin`);
    }
    return m;
  }

  private startRebalance(nowMs: number): void {
    const fromEmpty = this.state === GroupState.Empty;
    this.state = GroupState.PreparingRebalance;
    let longest = 0;
    for (const m of this.members.values()) longest = Math.max(longest, m.rebalanceTimeoutMs);
    this.rebalanceDeadlineMs = nowMs + longest;
    this.barrierNotBeforeMs = fromEmpty ? nowMs + Math.min(INITIAL_REBALANCE_DELAY_MS, longest) : nowMs;
  }

  private remove(ids: readonly string[], nowMs: number): void {
    for (const id of ids) this.members.delete(id);
    if (this.members.size === 0) {
      // Empty: a new generation without members, so a later coordinator does not wait for the departed.
      this.state = GroupState.Empty;
      this.rebalanceAfterWrite = false;
      this.generation++;
      this.assignedCounts = new Map();
      this.write = this.record(nowMs);
    } else if (this.state === GroupState.Stable) {
      this.startRebalance(nowMs);
    } else if (this.state === GroupState.CompletingRebalance) {
      this.rebalanceAfterWrite = true;
    }
  }

  private complete(nowMs: number, counts: PartitionCounts): void {
    const previous: Assignment = new Map([...this.members.values()].map((m) => [m.memberId, m.assignment]));
    const topics = new Set([...this.members.values()].flatMap((m) => m.topics));
    const known = new Map<string, number>();
    for (const t of topics) {
      const n = counts(t);
      if (n !== undefined) known.set(t, n);
    }
    const result = assign(this.strategy, [...this.members.values()], known, previous);
    for (const m of this.members.values()) {
      m.assignment = result.get(m.memberId) ?? new Map();
      m.joined = false;
      m.sessionDeadlineMs = Infinity; // until the record commits and the join is answered
    }
    this.generation++;
    this.state = GroupState.CompletingRebalance;
    this.assignedCounts = this.countsOf(counts);
    this.write = this.record(nowMs);
  }

  private record(nowMs: number): GroupMetadataValue {
    const members: StoredMember[] = [...this.members.values()]
      .sort((a, b) => cmp(a.memberId, b.memberId))
      .map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        topics: [...m.topics],
        sessionTimeoutMs: m.sessionTimeoutMs,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        assignment: [...m.assignment].sort((a, b) => cmp(a[0], b[0])).map(([t, ps]) => [t, [...ps]] as const),
      }));
    return { generation: this.generation, strategy: this.strategy, members, writtenMs: nowMs };
  }

  private countsOf(counts: PartitionCounts): Map<string, number | undefined> {
    const out = new Map<string, number | undefined>();
    for (const m of this.members.values()) for (const t of m.topics) out.set(t, counts(t));
    return out;
  }

  private topicsChanged(counts: PartitionCounts): boolean {
    for (const [t, n] of this.assignedCounts) if (counts(t) !== n) return true;
    return false;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
