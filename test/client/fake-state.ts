/**
 * The in-memory state of the fake cluster the client tests run against:
 * topics, partition logs (record batches encoded with the real codec),
 * leaders, the controller, and idempotent-producer dedup modelled on the
 * broker's ProducerStateTable (unknown id: append; same sequence range as
 * one of the last 8 batches: answer with its original offset; a gap:
 * OUT_OF_ORDER_SEQUENCE; older: DUPLICATE_SEQUENCE). Every write commits at
 * once (high watermark = end of log).
 */
import { OffsetSpec } from "../../broker/protocol/enums.js";
import { RlogError } from "../../broker/protocol/errors.js";
import { decodeUncompressedBatch, patchRecordBatch, readRecordBatchHeader } from "../../broker/protocol/record-batch.js";
import type { FetchedRecord } from "../../broker/protocol/records.js";
import type { ProduceRequest, FetchRequest, ListOffsetsRequest } from "../../broker/protocol/requests.js";
import type { FetchResult, ListOffsetsResult, MetadataResult, ProduceResult, TopicDescription } from "../../broker/protocol/results.js";

/** One stored batch. */
export interface StoredBatch {
  readonly baseOffset: number;
  readonly count: number;
  readonly data: Uint8Array;
}

interface ProducerEntry {
  epoch: number;
  batches: { first: number; last: number; baseOffset: number }[];
}

/** One partition: its leader, log and producer table. */
export class FakePartition {
  leader: number;
  term = 1;
  readonly batches: StoredBatch[] = [];
  logStartOffset = 0;
  readonly producers = new Map<number, ProducerEntry>();
  /** Long-poll fetches waiting for data. */
  readonly waiters = new Set<() => void>();

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly replicas: number[],
  ) {
    this.leader = replicas[0] ?? 0;
  }

  /** The offset the next record gets (= high watermark: everything commits at once). */
  get endOffset(): number {
    const last = this.batches[this.batches.length - 1];
    return last === undefined ? this.logStartOffset : last.baseOffset + last.count;
  }

  /** Every record held, decoded (the fake's producers do not compress). */
  records(): FetchedRecord[] {
    const out: FetchedRecord[] = [];
    for (const b of this.batches) {
      const r = decodeUncompressedBatch(b.data);
      if (!r.ok) throw r.error;
      r.value.records.forEach((rec, i) => {
        const f: FetchedRecord = { offset: b.baseOffset + i, timestampMs: rec.timestampMs, value: rec.value, headers: rec.headers };
        out.push(rec.key === null ? f : { ...f, key: rec.key });
      });
    }
    return out;
  }

  produce(req: ProduceRequest): ProduceResult {
    const head = readRecordBatchHeader(req.batch, true);
    if (!head.ok) throw head.error;
    const h = head.value;
    const count = h.recordCount;
    /** The batch's idempotence stamp, as the request sent it (tests read it). */
    const stamp = h.producerId !== -1 ? { producerId: h.producerId, producerEpoch: h.producerEpoch, baseSequence: h.baseSequence } : undefined;
    if (stamp !== undefined) {
      const p = this.producers.get(stamp.producerId);
      if (p !== undefined && stamp.producerEpoch < p.epoch) throw new RlogError("PRODUCER_FENCED", "fenced");
      if (p !== undefined && stamp.producerEpoch === p.epoch) {
        const last = stamp.baseSequence + count - 1;
        const dup = p.batches.find((b) => b.first === stamp.baseSequence && b.last === last);
        if (dup !== undefined) return { baseOffset: dup.baseOffset, count, logAppendTimeMs: Date.now() };
        const tail = p.batches[p.batches.length - 1];
        if (tail !== undefined) {
          const expected = tail.last + 1;
          if (stamp.baseSequence > expected) throw new RlogError("OUT_OF_ORDER_SEQUENCE", `expected ${expected}, got ${stamp.baseSequence}`);
          if (stamp.baseSequence < expected) throw new RlogError("DUPLICATE_SEQUENCE", `sequence ${stamp.baseSequence} is old`);
        }
      }
    }
    const baseOffset = this.endOffset;
    const data = new Uint8Array(req.batch);
    patchRecordBatch(data, baseOffset, this.term);
    this.batches.push({ baseOffset, count, data });
    if (stamp !== undefined) {
      let p = this.producers.get(stamp.producerId);
      if (p === undefined || stamp.producerEpoch > p.epoch) {
        p = { epoch: stamp.producerEpoch, batches: [] };
        this.producers.set(stamp.producerId, p);
      }
      p.batches.push({ first: stamp.baseSequence, last: stamp.baseSequence + count - 1, baseOffset });
      if (p.batches.length > 8) p.batches.shift();
    }
    for (const w of [...this.waiters]) w();
    return { baseOffset, count, logAppendTimeMs: Date.now() };
  }

  /** Batches from `offset` on, within maxBytes (at least one), or undefined when there is nothing yet. */
  read(req: FetchRequest): FetchResult | undefined {
    if (req.offset < this.logStartOffset || req.offset > this.endOffset) {
      throw new RlogError("OFFSET_OUT_OF_RANGE", `offset ${req.offset} is outside [${this.logStartOffset}, ${this.endOffset}]`, {
        logStartOffset: this.logStartOffset,
        highWatermark: this.endOffset,
      });
    }
    const out: StoredBatch[] = [];
    let bytes = 0;
    for (const b of this.batches) {
      if (b.baseOffset + b.count <= req.offset) continue;
      if (out.length > 0 && bytes + b.data.byteLength > req.maxBytes) break;
      out.push(b);
      bytes += b.data.byteLength;
    }
    if (out.length === 0) return undefined;
    return { batches: out.map((b) => ({ baseOffset: b.baseOffset, data: b.data })), highWatermark: this.endOffset, logStartOffset: this.logStartOffset };
  }

  /** An empty fetch answer. */
  empty(): FetchResult {
    return { batches: [], highWatermark: this.endOffset, logStartOffset: this.logStartOffset };
  }

  listOffsets(req: ListOffsetsRequest): ListOffsetsResult {
    if (req.spec === OffsetSpec.Earliest) return { offset: this.logStartOffset };
    if (req.spec === OffsetSpec.Latest) return { offset: this.endOffset };
    const found = this.records().find((r) => r.timestampMs >= (req.timestampMs ?? 0));
    return found === undefined ? { offset: this.endOffset } : { offset: found.offset, timestampMs: found.timestampMs };
  }

  /** Drop the log below `offset` (retention), keeping whole batches only. */
  truncateBefore(offset: number): void {
    while (this.batches.length > 0 && (this.batches[0] as StoredBatch).baseOffset + (this.batches[0] as StoredBatch).count <= offset) this.batches.shift();
    this.logStartOffset = this.batches[0]?.baseOffset ?? Math.max(this.logStartOffset, offset);
  }
}

/** The cluster-wide state shared by all fake brokers. */
export class FakeState {
  readonly topics = new Map<string, FakePartition[]>();
  controllerId = 1;
  private nextProducerId = 1000;

  constructor(
    readonly brokerIds: readonly number[],
    private readonly urlOf: (brokerId: number) => string,
  ) {}

  /** Create a topic with partitions led round-robin (partition p by broker p % n + 1). */
  createTopic(name: string, partitions: number, replicationFactor = Math.min(3, this.brokerIds.length)): TopicDescription {
    if (this.topics.has(name)) throw new RlogError("TOPIC_ALREADY_EXISTS", `${name} exists`);
    const n = this.brokerIds.length;
    const parts: FakePartition[] = [];
    for (let p = 0; p < partitions; p++) {
      const replicas = Array.from({ length: replicationFactor }, (_, i) => this.brokerIds[(p + i) % n] as number);
      parts.push(new FakePartition(name, p, replicas));
    }
    this.topics.set(name, parts);
    return this.describe(name);
  }

  /** Grow a topic to `partitions` (placed as createTopic places them); INVALID_PARTITIONS when that is not more. */
  addPartitions(name: string, partitions: number): TopicDescription {
    const parts = this.topics.get(name);
    if (parts === undefined) throw new RlogError("UNKNOWN_TOPIC", `no topic ${name}`);
    if (partitions <= parts.length) throw new RlogError("INVALID_PARTITIONS", `${name} has ${parts.length} partitions`);
    const n = this.brokerIds.length;
    const rf = parts[0]?.replicas.length ?? 1;
    for (let p = parts.length; p < partitions; p++) parts.push(new FakePartition(name, p, Array.from({ length: rf }, (_, i) => this.brokerIds[(p + i) % n] as number)));
    return this.describe(name);
  }

  partition(topic: string, partition: number): FakePartition {
    const parts = this.topics.get(topic);
    if (parts === undefined) throw new RlogError("UNKNOWN_TOPIC", `no topic ${topic}`);
    const p = parts[partition];
    if (p === undefined) throw new RlogError("UNKNOWN_PARTITION", `no partition ${topic}/${partition}`);
    return p;
  }

  describe(name: string): TopicDescription {
    const parts = this.topics.get(name);
    if (parts === undefined) throw new RlogError("UNKNOWN_TOPIC", `no topic ${name}`);
    return {
      name,
      internal: false,
      replicationFactor: parts[0]?.replicas.length ?? 1,
      config: { retentionBytes: -1, retentionMs: -1, segmentBytes: 1 << 20, segmentMs: 3_600_000, compression: "producer" },
      partitions: parts.map((p) => ({ partition: p.partition, leader: p.leader, replicas: [...p.replicas], term: p.term })),
    };
  }

  metadata(): MetadataResult {
    return {
      brokers: this.brokerIds.map((brokerId) => ({ brokerId, clientUrl: this.urlOf(brokerId) })),
      controllerId: this.controllerId,
      topics: [...this.topics.keys()].map((name) => {
        const d = this.describe(name);
        return { name: d.name, internal: d.internal, partitions: d.partitions };
      }),
    };
  }

  /** Move a partition's leadership (a new term); long polls waiting on it wake up and see it. */
  moveLeader(topic: string, partition: number, to: number): void {
    const p = this.partition(topic, partition);
    p.leader = to;
    p.term++;
    for (const w of [...p.waiters]) w();
  }

  newProducerId(): number {
    return this.nextProducerId++;
  }

  hint(brokerId: number): { brokerId: number; url: string } {
    return { brokerId, url: this.urlOf(brokerId) };
  }
}
