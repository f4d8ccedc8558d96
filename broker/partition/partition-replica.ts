/**
 * One replica of one partition: its Raft group over its LMDB log, the
 * high watermark, idempotent-producer state, and the produce, fetch and
 * list-offsets operations the leader serves.
 *
 * Only the leader serves reads and writes (as in Kafka); followers answer
 * NOT_LEADER with a hint. Fetch never returns records at or past the high
 * watermark (the offset after the last committed, applied entry).
 */
import type { Logger } from "pino";
import { partitionGroupId, type PartitionGroupId } from "../cluster/names.js";
import { fromRefusal, refusalError, refusalKind, toClientError, type ErrorScope } from "../group/client-errors.js";
import { isDamagedEntry } from "../group/damage.js";
import { GroupRunner, type Appended, type Proposed, type StateMachine, type WriteRetryOptions } from "../group/group-runner.js";
import { RlogError, type LeaderHint } from "../protocol/errors.js";
import { OffsetSpec } from "../protocol/enums.js";
import type { FetchRequest, ListOffsetsRequest, ProduceRequest } from "../protocol/requests.js";
import type { FetchResult, ListOffsetsResult, PartitionStatus, ProduceResult } from "../protocol/results.js";
import type { FetchedBatch } from "../protocol/records.js";
import { patchRecordBatch, readRecordBatchHeader } from "../protocol/record-batch.js";
import { DEFAULT_LIMITS, type Limits } from "../protocol/limits.js";
import type { TopicCompression } from "../protocol/requests.js";
import { assert } from "../raft/assert.js";
import type { RaftConfig } from "../raft/config.js";
import type { LogStorage, RetentionPolicy, RetentionResult, StorageError } from "../raft/log-storage.js";
import type { Message } from "../raft/messages.js";
import type { TransferResult } from "../raft/core.js";
import type { RandomSource } from "../raft/random.js";
import { Role, type SoftState } from "../raft/ready.js";
import type { Proposal } from "../raft/ready.js";
import { EntryKind, index, NO_NODE, offset, type Entry, type Index, type NodeId, type Offset, type Snapshot, type Term } from "../raft/types.js";
import { FetchWaiters } from "./fetch-waiters.js";
import { ProducerStateTable } from "./producer-state.js";
import { checkProducedBatch, forcedCodec, recompressBatch, type ProducedBatchLimits } from "./produced-batch.js";
import { PRODUCER_STATE_DEFAULTS, REQUEST_DEFAULTS } from "../protocol/defaults.js";

/** Entries scanned back from the end of the log at start-up to rebuild producer state. */
export const PRODUCER_STATE_SCAN_ENTRIES_MAX = PRODUCER_STATE_DEFAULTS.scanEntriesMax;
/** How long a produce waits for its commit when the request gives no timeoutMs. */
export const PRODUCE_TIMEOUT_MS_DEFAULT = REQUEST_DEFAULTS.produceTimeoutMs;
/** How long transferLeadership waits for the new leader when the request gives no timeoutMs. */
export const TRANSFER_WAIT_MS_DEFAULT = REQUEST_DEFAULTS.transferWaitMs;


/** A finished leadership transfer: who leads now, in which term. */
export interface TransferDone {
  readonly leader: NodeId;
  readonly term: Term;
}

export interface PartitionReplicaOptions {
  readonly topic: string;
  readonly partition: number;
  /** The topic incarnation (index of its CreateTopic entry); with `partition`, names the Raft group. */
  readonly topicId: number;
  readonly raft: RaftConfig;
  readonly log: LogStorage;
  readonly random: RandomSource;
  readonly send: (messages: readonly Message[]) => void;
  readonly logger: Logger;
  /** Where clients reach a broker, for leader hints. */
  readonly leaderHint: (brokerId: NodeId, term?: Term) => LeaderHint;
  /** Wall clock (ms since epoch) for record timestamps. */
  readonly clock: () => number;
  /**
   * State derived from the committed records, for internal topics (the
   * consumer-group table of an offsets-topic partition). Replayed from the
   * committed log at start-up, then fed every newly committed run.
   */
  readonly applier?: ReplicaApplier;
  /** Leadership or term of this replica's group changed (the broker announces wins to its peers). */
  readonly onRoleChanged?: (soft: SoftState) => void;
  /** The group's storage failed; see GroupRunnerOptions.onFatal. */
  readonly onFatal: (err: unknown, message: string) => void;
  /** Damage a cut did not mend; see GroupRunnerOptions.onStoreDamaged. */
  readonly onStoreDamaged?: (err: StorageError) => void;
  /** How failing log writes are retried; see GroupRunnerOptions.writeRetry. */
  readonly writeRetry?: WriteRetryOptions;
  /**
   * Why this broker takes no new records now (its disk is full, or its free
   * space is below storage.diskFreeMinBytes), or undefined when it does:
   * produce then answers NOT_ENOUGH_SPACE without proposing.
   */
  readonly diskFull?: () => string | undefined;
  /** The topic's `compression` setting: "producer" keeps each batch's codec, a codec name forces it. */
  readonly compression?: TopicCompression;
  /** Batch limits in force (record count, decompressed size); the protocol defaults when absent. */
  readonly limits?: Pick<Limits, "batchRecordsMax" | "batchDecompressedBytesMax">;
  /** Idle time after which a producer's dedup state is forgotten; PRODUCER_STATE_DEFAULTS.producerIdExpirationMs when absent. */
  readonly producerIdExpirationMs?: number;
  /**
   * With an applier that takes snapshots (ReplicaApplier.snapshot): take one
   * and compact the log to it every this many applied entries
   * (GroupRunnerOptions.snapshotEntries). Undefined: never.
   */
  readonly snapshotEntries?: number;
  /** Told after each durable log write of this replica's group (GroupRunnerOptions.onPersisted; metrics). */
  readonly onPersisted?: (tookMs: number, entriesCount: number) => void;
}

/**
 * The extension point for state kept from a partition's committed entries
 * (internal topics). Called on every replica, leader or not, in log order.
 */
export interface ReplicaApplier {
  /** Committed entries in order: first the committed log at start-up, then each newly committed run. */
  apply(entries: readonly Entry[]): void;
  /**
   * The log starts after a snapshot at `index` that carries no state of the
   * applier's (index 0: the whole log follows): what came from earlier
   * entries is gone. Without `restore`, every snapshot is handled so.
   */
  reset(index: Index, term: Term): void;
  /**
   * Replace the state by a snapshot's (one this replica took, at start-up,
   * before the log after it is replayed; or one from the leader). Throws
   * when the data cannot be read (checkSnapshot refuses those first).
   */
  restore?(snap: Snapshot): void;
  /** Throw if a leader's snapshot could not be restored; called before it is written (GroupRunner peer faults). */
  checkSnapshot?(snap: Snapshot): void;
  /**
   * The state as of the last entry applied, for a snapshot of this
   * replica's own (PartitionReplicaOptions.snapshotEntries); undefined for
   * none now (see StateMachine.snapshot).
   */
  snapshot?(): Uint8Array | undefined;
  /** Leadership or term changed. */
  roleChanged?(soft: SoftState): void;
}

export class PartitionReplica {
  readonly topic: string;
  readonly partition: number;
  readonly topicId: number;
  /** Raft group id: unique per topic incarnation and partition. */
  readonly groupId: PartitionGroupId;
  readonly runner: GroupRunner;
  /** This broker. */
  private readonly id: NodeId;
  private readonly log: LogStorage;
  private readonly logger: Logger;
  /** How refusals reach clients (broker/group/client-errors.ts). */
  private readonly scope: ErrorScope;
  private readonly clock: () => number;
  private readonly diskFull: () => string | undefined;
  private readonly producers: ProducerStateTable;
  private readonly waiters = new FetchWaiters();
  private readonly preferred: NodeId;
  private readonly applier: ReplicaApplier | undefined;
  private readonly roleListener: ((soft: SoftState) => void) | undefined;
  /** Offset after the last committed record this replica applied. Never decreases. */
  private highWatermark: Offset;
  /** Last index this replica made durable (to detect truncation). */
  private lastAppended: Index;
  /** The topic's compression setting (changed by reconfigure). */
  private compression: TopicCompression;
  private readonly batchLimits: ProducedBatchLimits;

  constructor(opts: PartitionReplicaOptions) {
    this.topic = opts.topic;
    this.partition = opts.partition;
    this.topicId = opts.topicId;
    this.groupId = partitionGroupId(opts.topicId, opts.partition);
    this.id = opts.raft.id;
    this.log = opts.log;
    this.logger = opts.logger;
    this.scope = {
      kind: "partition",
      name: `${opts.topic}/${opts.partition}`,
      leaderHint: opts.leaderHint,
      // The core's leader is the leader of its current term (it is cleared when the term moves on).
      leaderTerm: (leader) => {
        const s = this.runner.softState();
        return s.leader === leader ? s.term : undefined;
      },
    };
    this.clock = opts.clock;
    this.producers = new ProducerStateTable(opts.producerIdExpirationMs === undefined ? {} : { expirationMs: opts.producerIdExpirationMs });
    this.diskFull = opts.diskFull ?? (() => undefined);
    this.compression = opts.compression ?? "producer";
    this.batchLimits = {
      batchRecordsMax: opts.limits?.batchRecordsMax ?? DEFAULT_LIMITS.batchRecordsMax,
      batchDecompressedBytesMax: opts.limits?.batchDecompressedBytesMax ?? DEFAULT_LIMITS.batchDecompressedBytesMax,
    };
    this.preferred = opts.raft.priority[0] ?? opts.raft.id;
    const commit = opts.log.hardState().commit;
    this.highWatermark = this.offsetAfter(commit);
    this.lastAppended = opts.log.lastIndex();
    this.rebuildProducerState();
    this.applier = opts.applier;
    this.roleListener = opts.onRoleChanged;
    if (this.applier) this.replayCommitted(this.applier, commit);
    const sm: StateMachine = {
      apply: (entries) => this.onApply(entries),
      appended: (entries) => this.onAppended(entries),
      restore: (snap) => this.onRestore(snap),
      roleChanged: (s) => this.onRoleChanged(s),
    };
    const applierSnapshot = this.applier?.snapshot?.bind(this.applier);
    if (applierSnapshot !== undefined) sm.snapshot = applierSnapshot;
    const applierCheck = this.applier?.checkSnapshot?.bind(this.applier);
    if (applierCheck !== undefined) sm.checkSnapshot = applierCheck;
    const snapshotEntries = applierSnapshot !== undefined ? opts.snapshotEntries : undefined;
    // The log is the state: committed entries need no replay at start-up.
    this.runner = new GroupRunner({
      groupId: this.groupId,
      config: opts.raft,
      storage: opts.log,
      random: opts.random,
      send: opts.send,
      stateMachine: sm,
      logger: opts.logger,
      applied: index(Math.max(commit, opts.log.snapshot().index)),
      onFatal: opts.onFatal,
      traceHops: true,
      ...(snapshotEntries !== undefined ? { snapshotEntries } : {}),
      ...(opts.onPersisted !== undefined ? { onPersisted: opts.onPersisted } : {}),
      ...(opts.onStoreDamaged ? { onStoreDamaged: opts.onStoreDamaged } : {}),
      ...(opts.writeRetry ? { writeRetry: opts.writeRetry } : {}),
    });
  }

  // ------------------------------------------------------------ operations

  /**
   * Append one client-built record batch. The header and CRC are checked
   * without decoding the records (produced-batch.ts); a topic that forces a
   * codec re-encodes a batch that uses another. Then, with no await between
   * the offset being known and the proposal (proposals on a leader are
   * serialized on the event loop, so nothing else can propose in between):
   * the idempotence check, the base offset and leader epoch patched into the
   * batch (both outside the CRC), and the proposal of those same bytes.
   */
  async produce(req: ProduceRequest): Promise<ProduceResult> {
    this.requireLeader();
    const now = this.clock();
    const header = checkProducedBatch(req.batch, this.batchLimits);
    const count = header.recordCount;
    const target = forcedCodec(this.compression);
    let data: Uint8Array;
    if (target !== undefined && target !== header.compression) {
      data = await recompressBatch(req.batch, header, target, this.batchLimits);
      this.requireLeader();
    } else {
      // A small batch sent in a larger buffer is copied, so the log does not keep the rest alive.
      data = req.batch.byteLength * 2 < req.batch.buffer.byteLength ? req.batch.slice() : req.batch;
    }
    // From here to the proposal: no await (the offset `next` stays exact only within this turn).
    const next = this.runner.nextOffset();
    const idempotent = header.producerId !== -1;
    if (idempotent) {
      const c = this.producers.check(header.producerId, header.producerEpoch, header.baseSequence, count, now);
      switch (c.kind) {
        case "duplicate": {
          const b = c.batch;
          const result: Appended = { firstIndex: b.index, firstOffset: b.baseOffset, term: b.term };
          this.logger.debug({ producerId: header.producerId, baseSequence: header.baseSequence, offset: b.baseOffset }, "duplicate batch");
          const done = req.acks === "leader" ? this.runner.waitForAppend(b.index, b.term, result) : this.runner.waitForCommit(b.index, b.term, result);
          const a = await this.withTimeout(done, req.timeoutMs);
          return { baseOffset: a.firstOffset, count, logAppendTimeMs: now };
        }
        case "fenced":
          throw new RlogError("PRODUCER_FENCED", `producer ${header.producerId} epoch ${header.producerEpoch} was fenced by epoch ${c.epoch}`);
        case "outOfOrder":
          throw new RlogError("OUT_OF_ORDER_SEQUENCE", `expected sequence ${c.expected} from producer ${header.producerId}, got ${header.baseSequence}`);
        case "tooOld":
          throw new RlogError("DUPLICATE_SEQUENCE", `sequence ${header.baseSequence} of producer ${header.producerId} was written long ago (expected ${c.expected})`);
        case "append":
          break;
      }
    }
    // A full disk takes no new records (a duplicate above is answered: it writes nothing).
    // Retriable: the broker is handing its leaderships to replicas with space.
    const full = this.diskFull();
    if (full !== undefined) throw new RlogError("NOT_ENOUGH_SPACE", `${this.scope.name}: ${full}; leadership is moving to a replica with space`);
    const term = this.runner.softState().term;
    assert(term <= 0x7fff_ffff, `term ${term} does not fit the batch's int32 partitionLeaderEpoch`);
    patchRecordBatch(data, next, term);
    const proposed = this.proposeChecked([{ kind: EntryKind.Records, count, timestampMs: header.maxTimestampMs, data }], req.acks);
    // The offset patched in must be the one the core assigned.
    assert(proposed.firstOffset === next && proposed.term === term, `batch patched for offset ${next} term ${term}, but the core put it at offset ${proposed.firstOffset} term ${proposed.term}`);
    if (idempotent) {
      this.producers.record(header.producerId, header.producerEpoch, {
        firstSequence: header.baseSequence,
        lastSequence: header.baseSequence + count - 1,
        baseOffset: proposed.firstOffset,
        index: proposed.firstIndex,
        term: proposed.term,
      }, header.maxTimestampMs, now);
    }
    const a = await this.withTimeout(proposed.done, req.timeoutMs);
    return { baseOffset: a.firstOffset, count, logAppendTimeMs: now };
  }

  /** Propose through the runner; a refusal becomes the client's error. */
  private proposeChecked(proposals: readonly Proposal[], acks?: "all" | "leader"): Proposed {
    try {
      return this.runner.propose(proposals, acks);
    } catch (err) {
      throw toClientError(err, this.scope);
    }
  }

  /**
   * Committed records from req.offset, after a long poll of at most
   * req.maxWaitMs when there are none yet. `beforeRead`, when given, is
   * asked just before records are read (the client listener's response
   * budget): false answers no records instead.
   */
  async fetch(req: FetchRequest, signal: AbortSignal, beforeRead?: () => boolean | Promise<boolean>): Promise<FetchResult> {
    this.requireLeader(false);
    const from = req.offset;
    const start = this.log.logStartOffset();
    const end = this.log.nextOffset();
    if (from < start || from > end) {
      throw new RlogError("OFFSET_OUT_OF_RANGE", `offset ${from} of ${this.name()} is outside [${start}, ${end}]`, {
        logStartOffset: start,
        highWatermark: this.highWatermark,
      });
    }
    const minBytes = req.minBytes ?? 1;
    if (from >= this.highWatermark) {
      await this.waiters.wait(from, req.maxWaitMs, signal, () => from < this.highWatermark);
      this.requireLeader(false); // leadership may have moved while we waited: send the client to the new leader
    }
    // An expired long poll with nothing to read needs no response budget.
    if (beforeRead !== undefined && from < this.highWatermark) {
      const allowed = beforeRead();
      if (allowed !== true && !(await allowed)) return { batches: [], highWatermark: this.highWatermark, logStartOffset: this.log.logStartOffset() };
      if (allowed !== true) this.requireLeader(false); // leadership may have moved while the fetch waited for budget
    }
    // Retention may have moved the log start while we waited (OFFSET_OUT_OF_RANGE then).
    return this.read(() => this.readCommitted(from, req.maxBytes, minBytes));
  }

  listOffsets(req: ListOffsetsRequest): ListOffsetsResult {
    this.requireLeader(false);
    return this.read(() => this.readOffset(req));
  }

  /**
   * A read of the log for a client. A damaged entry is never served: the
   * runner repairs it (stepping down first) and the client gets
   * LEADER_NOT_AVAILABLE, retriable, and finds the new leader.
   */
  private read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (!isDamagedEntry(err)) throw toClientError(err, this.scope);
      this.runner.reportDamage(err);
      throw refusalError("NO_LEADER", NO_NODE, `${this.name()}: a damaged entry was found on broker ${this.id}; it is repairing it from another replica`, this.scope);
    }
  }

  private readOffset(req: ListOffsetsRequest): ListOffsetsResult {
    switch (req.spec) {
      case OffsetSpec.Earliest:
        return { offset: this.log.logStartOffset() };
      case OffsetSpec.Latest:
        return { offset: this.highWatermark };
      case OffsetSpec.Timestamp: {
        const found = this.log.offsetForTimestamp(req.timestampMs ?? 0);
        if (found === undefined || found >= this.highWatermark) return { offset: this.highWatermark };
        const e = this.log.entriesFromOffset(found, 1, this.runner.applied())[0];
        return e ? { offset: found, timestampMs: e.timestampMs } : { offset: found };
      }
      default:
        throw new RlogError("INVALID_REQUEST", `offset spec ${String(req.spec)} is not allowed in listOffsets`);
    }
  }

  /**
   * This replica's own view of an offset, leader or follower (a follower's
   * high watermark may trail the leader's by a heartbeat). For the group
   * coordinator, which may not lead the partition (resetOffsets).
   */
  localOffset(spec: OffsetSpec, timestampMs: number): number {
    if (spec === OffsetSpec.Earliest) return this.log.logStartOffset();
    if (spec === OffsetSpec.Timestamp) {
      const found = this.log.offsetForTimestamp(timestampMs);
      if (found !== undefined && found < this.highWatermark) return found;
    }
    return this.highWatermark;
  }

  /** Start a leadership transfer to `to` (the most preferred other replica when undefined), without waiting for it. */
  startTransfer(to: NodeId | undefined): TransferResult {
    return this.runner.transferLeadership(to);
  }

  /**
   * Move leadership to `target` (the most preferred caught-up replica when
   * undefined) and wait until it leads: resolves with the new leader and
   * term. Waits on the group's role changes (GroupRunner.waitForSoftState),
   * at most `waitMs`. Fails NOT_LEADER (with a hint) or LEADER_NOT_AVAILABLE
   * on a follower, unless `target` already leads; with the transfer refusal
   * (client-errors.ts) when the core refuses; TIMEOUT when the target did not
   * take over within an election timeout and this replica leads again, or
   * when `waitMs` passed (or `signal` aborted) first; LEADER_NOT_AVAILABLE
   * when another replica won instead.
   */
  async transferLeadership(target: NodeId | undefined, waitMs: number, signal: AbortSignal): Promise<TransferDone> {
    if (!this.isLeader()) {
      const s = this.runner.status();
      // Already where it was asked to be: nothing to do.
      if (target !== undefined && s.leader === target) return { leader: s.leader, term: s.term };
      throw this.notLeaderError();
    }
    const started = this.runner.transferLeadership(target);
    if (!started.ok) throw fromRefusal(started, this.scope);
    const to = started.target;
    if (to === this.id) return { leader: this.id, term: this.runner.status().term };
    // Done when another replica leads, or when this one leads again with no transfer running (it gave up).
    const s = await this.runner.waitForSoftState(
      (x) => (x.leader !== this.id && x.leader !== NO_NODE) || (x.leader === this.id && x.transferee === NO_NODE),
      AbortSignal.any([signal, AbortSignal.timeout(waitMs)]),
    );
    if (s === undefined) throw new RlogError("TIMEOUT", `leadership transfer of ${this.name()} did not finish in time`);
    if (s.leader === to) return { leader: s.leader, term: s.term };
    if (s.leader === this.id) {
      throw new RlogError("TIMEOUT", `broker ${to} did not take leadership of ${this.name()} within an election timeout; broker ${this.id} leads again`);
    }
    throw new RlogError("LEADER_NOT_AVAILABLE", `leadership of ${this.name()} went to broker ${s.leader}, not ${to}`);
  }

  status(replicas: readonly NodeId[], reachable: (id: NodeId) => boolean): PartitionStatus {
    const s = this.runner.status();
    const lastIndex = s.lastIndex;
    return {
      topic: this.topic,
      partition: this.partition,
      leader: s.leader,
      term: s.term,
      preferredLeader: this.preferred,
      highWatermark: this.highWatermark,
      logStartOffset: this.log.logStartOffset(),
      replicas:
        s.role === Role.Leader
          ? replicas.map((id) => {
              const p = s.progress.find((x) => x.id === id);
              const match = p?.match ?? 0;
              return {
                brokerId: id,
                matchIndex: match,
                lagEntries: Math.max(0, lastIndex - match),
                reachable: id === s.id || (reachable(id) && (p?.active ?? false)),
                recovering: p?.recovering ?? false,
                repairing: p?.repairing ?? false,
              };
            })
          : [],
    };
  }

  isLeader(): boolean {
    return this.runner.isLeader();
  }
  leader(): NodeId {
    return this.runner.leader();
  }
  highWatermarkOffset(): Offset {
    return this.highWatermark;
  }
  /** Bytes of this replica's log segments (the catalog's sum of entry sizes; one step per segment). */
  logBytes(): number {
    let bytes = 0;
    for (const s of this.log.segments()) bytes += s.bytes;
    return bytes;
  }

  tick(): void {
    this.runner.tick();
  }
  step(msg: Message): void {
    this.runner.step(msg);
  }

  /** Drop whole old segments per the topic's retention, never past what is committed. */
  /**
   * The topic's settings were altered: compression applies to the next
   * produced batch, segment settings to the next roll. Retention needs
   * nothing here: each pass is handed the topic's current policy.
   */
  reconfigure(config: { readonly compression: TopicCompression; readonly segmentBytes: number; readonly segmentMs: number }): void {
    this.compression = config.compression;
    this.log.setSegmentSettings({ segmentBytes: config.segmentBytes, segmentMs: config.segmentMs });
  }

  /** Forget idempotent producers idle for producerIdExpirationMs (ProducerStateTable.expire); how many were forgotten. */
  expireProducers(): number {
    return this.producers.expire(this.clock());
  }

  applyRetention(policy: RetentionPolicy): Promise<RetentionResult> {
    // A log compacted to snapshots of its state (the offsets topic) is never cut by retention:
    // retention's snapshot carries no state, so the state before the cut would be lost.
    if (this.applier?.snapshot !== undefined) return Promise.resolve({ segmentsDropped: 0, bytesDropped: 0 });
    return this.log.applyRetention(policy, this.clock());
  }

  async close(): Promise<void> {
    this.waiters.wakeAll();
    await this.runner.close();
  }

  // ------------------------------------------------------------ state machine

  private onApply(entries: readonly Entry[]): void {
    this.applier?.apply(entries);
    const last = entries[entries.length - 1]!;
    const hw = offset(last.offset + last.count);
    if (hw > this.highWatermark) {
      this.highWatermark = hw;
      this.waiters.notify(hw);
    }
  }

  private onAppended(entries: readonly Entry[]): void {
    const first = entries[0]!;
    if (first.index <= this.lastAppended) this.producers.truncateFrom(first.index);
    for (const e of entries) this.rememberBatch(e);
    this.lastAppended = entries[entries.length - 1]!.index;
  }

  private onRestore(snap: Snapshot): void {
    this.producers.clear();
    this.lastAppended = snap.index;
    if (snap.offset > this.highWatermark) this.highWatermark = snap.offset;
    if (this.applier !== undefined) restoreApplier(this.applier, snap);
  }

  private onRoleChanged(s: SoftState): void {
    if (s.role !== Role.Leader) this.waiters.wakeAll(); // long polls re-ask the new leader
    this.applier?.roleChanged?.(s);
    this.roleListener?.(s);
  }

  /** Feed the applier the committed log (up to `commit`), before the runner applies anything newer. */
  private replayCommitted(applier: ReplicaApplier, commit: Index): void {
    const snap = this.log.snapshot();
    restoreApplier(applier, snap);
    let from = index(Math.max(this.log.firstIndex(), snap.index + 1));
    while (from <= commit) {
      const batch = this.log.entries(from, index(commit + 1), 4 * 1024 * 1024);
      if (batch.length === 0) break;
      applier.apply(batch);
      from = index(from + batch.length);
    }
  }

  private rememberBatch(e: Entry): void {
    if (e.kind !== EntryKind.Records) return;
    const h = readRecordBatchHeader(e.data, false);
    if (!h.ok || h.value.producerId < 0) return;
    const v = h.value;
    this.producers.record(v.producerId, v.producerEpoch, {
      firstSequence: v.baseSequence,
      lastSequence: v.baseSequence + v.recordCount - 1,
      baseOffset: e.offset,
      index: e.index,
      term: e.term,
    }, e.timestampMs, this.clock());
  }

  private rebuildProducerState(): void {
    const last = this.log.lastIndex();
    let from = index(Math.max(this.log.firstIndex(), last - PRODUCER_STATE_SCAN_ENTRIES_MAX + 1));
    while (from <= last) {
      const batch = this.log.entries(from, index(last + 1), 4 * 1024 * 1024);
      for (const e of batch) this.rememberBatch(e);
      from = index(from + batch.length);
    }
  }

  // ------------------------------------------------------------ helpers

  /** Committed batches from `from`, up to about `maxBytes` (at least one batch when any is committed). */
  private readCommitted(from: number, maxBytes: number, minBytes: number): FetchResult {
    const batches: FetchedBatch[] = [];
    if (from < this.highWatermark) {
      const entries = this.log.entriesFromOffset(offset(from), maxBytes, this.runner.applied());
      for (const e of entries) {
        if (e.kind !== EntryKind.Records || e.offset >= this.highWatermark) continue;
        batches.push({ baseOffset: e.offset, data: e.data });
      }
    }
    void minBytes; // any committed data answers the poll; minBytes > 1 is served as 1 (docs/PROTOCOL.md)
    return { batches, highWatermark: this.highWatermark, logStartOffset: this.log.logStartOffset() };
  }

  /** The offset after the entry at `i` (the high watermark when `i` is the commit index). */
  private offsetAfter(i: Index): Offset {
    const snap = this.log.snapshot();
    if (i <= snap.index) return snap.offset;
    const e = this.log.entries(i, index(i + 1), Infinity)[0];
    return e ? offset(e.offset + e.count) : snap.offset;
  }

  private requireLeader(forWrite = true): void {
    const s = this.runner.softState();
    if (!this.runner.isLeader() || s.role !== Role.Leader) throw this.notLeaderError();
    if (forWrite && s.transferee) {
      throw refusalError("LEADER_TRANSFER_IN_PROGRESS", s.transferee, `leadership of ${this.name()} is moving to broker ${s.transferee}`, this.scope);
    }
  }

  /** NOT_LEADER naming the leader this replica knows, or LEADER_NOT_AVAILABLE. */
  private notLeaderError(): RlogError {
    const leader = this.runner.leader();
    const message = leader !== NO_NODE ? `${this.name()} is led by broker ${leader}` : `${this.name()} has no leader right now`;
    return refusalError(refusalKind({ code: "NOT_LEADER", leader }), leader, message, this.scope);
  }

  /**
   * A read point for state derived from this partition's log (the group
   * coordinator's offsets): resolves once an empty entry proposed now is
   * committed and applied. It commits only while this replica leads with a
   * quorum, so a deposed leader that does not know it yet fails here
   * (NOT_LEADER or TIMEOUT) instead of serving stale state; and once it
   * resolves, everything committed before the call has been applied
   * (thesis §6.4, done through the log).
   */
  async readBarrier(timeoutMs: number): Promise<void> {
    const proposed = this.proposeChecked([{ kind: EntryKind.Noop, count: 0, timestampMs: this.clock(), data: new Uint8Array(0) }]);
    await this.withTimeout(proposed.done, timeoutMs);
  }

  private async withTimeout(p: Promise<Appended>, timeoutMs: number | undefined): Promise<Appended> {
    const ms = timeoutMs ?? PRODUCE_TIMEOUT_MS_DEFAULT;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RlogError("TIMEOUT", `${this.name()}: not acknowledged within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([p, timeout]);
    } catch (err) {
      throw toClientError(err, this.scope);
    } finally {
      clearTimeout(timer);
    }
  }

  private name(): string {
    return this.scope.name;
  }
}

/** Hand a snapshot to an applier: its state when it reads snapshots and the snapshot is past the log's start, else a reset. */
function restoreApplier(applier: ReplicaApplier, snap: Snapshot): void {
  if (snap.index > 0 && applier.restore !== undefined) applier.restore(snap);
  else applier.reset(snap.index, snap.term);
}
