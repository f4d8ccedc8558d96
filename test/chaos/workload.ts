/**
 * The chaos workload, through the SDK as an application would use it:
 * - producers, each record's value "<producer>:<seq>" (a unique producer
 *   identity and its sequence number), keyed so they spread over the
 *   partitions, a bounded number in flight, at a paced rate. A producer that
 *   fails for good is replaced by a new identity.
 * - a consumer reading every partition from the start, recording every record.
 * - a consumer group of two members committing what they processed every
 *   commitEveryMs, recording what the coordinator acknowledged, and an
 *   observer fetching the group's committed offsets every observeEveryMs.
 */
import { ErrorCode, RlogClient, RlogError, type GroupConsumer, type Consumer, type ConsumerRecord, type Producer } from "../../client/index.js";
import { sleep } from "../broker/cluster-harness.js";
import type { CommitAck, OffsetObservation, ProducedRecord, ReadRecord } from "./history.js";

export interface WorkloadOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly partitions: number;
  readonly producers: number;
  /** Records per second per producer. */
  readonly ratePerProducer: number;
  /** Sends outstanding per producer. */
  readonly inflight: number;
  readonly groupId: string;
  readonly groupMembers: number;
  readonly commitEveryMs: number;
  readonly observeEveryMs: number;
  /** The run's clock (Date.now() at its start): every recorded time is ms since then. */
  readonly clockStartMs: number;
  readonly log: (line: string) => void;
}

export const DEFAULT_WORKLOAD = { producers: 2, ratePerProducer: 250, inflight: 32, groupMembers: 2, commitEveryMs: 250, observeEveryMs: 500 } as const;

/** Parse "<producer>:<seq>"; undefined for a value the workload did not write. */
export function parseValue(value: Uint8Array | string): { producer: string; seq: number } | undefined {
  const text = typeof value === "string" ? value : Buffer.from(value).toString("utf8");
  const m = /^(.+):(\d+)$/.exec(text);
  return m ? { producer: m[1]!, seq: Number(m[2]) } : undefined;
}

export class Workload {
  readonly produced: ProducedRecord[] = [];
  readonly reads: ReadRecord[] = [];
  readonly commits: CommitAck[] = [];
  readonly observations: OffsetObservation[] = [];
  /** Records read that the workload did not write (must stay 0). */
  foreignReads = 0;
  /** Failed sends by error code name (expected under faults; shown in the report). */
  readonly failures = new Map<string, number>();
  /** Producer identities that failed for good and were replaced. */
  replacedProducers = 0;
  private stopping = false;
  private readonly clients: RlogClient[] = [];
  private readonly tasks: Promise<void>[] = [];
  private readonly members: GroupConsumer[] = [];
  private reader: Consumer | undefined;

  constructor(private readonly options: WorkloadOptions) {}

  private now(): number {
    return Date.now() - this.options.clockStartMs;
  }

  private client(clientId: string): RlogClient {
    const c = new RlogClient({ brokers: this.options.brokers, clientId });
    this.clients.push(c);
    return c;
  }

  start(): void {
    for (let i = 0; i < this.options.producers; i++) this.tasks.push(this.produceLoop(i));
    this.tasks.push(this.readLoop());
    for (let i = 0; i < this.options.groupMembers; i++) this.tasks.push(this.memberLoop(i));
    this.tasks.push(this.observeLoop());
  }

  /** Stop producing; wait until every send has settled (acknowledged or failed). */
  async stopProducers(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.tasks.slice(0, this.options.producers));
  }

  /** Stop everything else and close the clients. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.reader?.stop();
    await Promise.all(this.members.map((m) => m.stop().catch(() => undefined)));
    await Promise.all(this.tasks);
    await this.observeOnce().catch(() => undefined);
    await Promise.all(this.clients.map((c) => c.close()));
  }

  /** Records per second the producers offer. */
  offeredPerS(): number {
    return this.options.producers * this.options.ratePerProducer;
  }

  acknowledged(): number {
    return this.produced.reduce((n, p) => n + (p.status === "acked" ? 1 : 0), 0);
  }

  private async produceLoop(index: number): Promise<void> {
    const { topic, ratePerProducer, inflight } = this.options;
    const gapMs = 1000 / ratePerProducer;
    for (let generation = 0; !this.stopping; generation++) {
      const name = `P${index}g${generation}`;
      const producer: Producer = this.client(`chaos-${name}`).producer();
      const outstanding = new Set<Promise<void>>();
      let failedForGood = false;
      let next = Date.now();
      for (let seq = 0; !this.stopping && !failedForGood; seq++) {
        while (outstanding.size >= inflight) await Promise.race(outstanding);
        const id = { producer: name, seq };
        const sent = producer
          .send({ topic, messages: [{ key: `${name}-${seq % 16}`, value: `${name}:${seq}` }] })
          .then(
            ([meta]) => {
              this.produced.push({ ...id, status: "acked", partition: meta!.partition, offset: meta!.offset, atMs: this.now() });
            },
            (err: unknown) => {
              this.produced.push({ ...id, status: "failed", atMs: this.now() });
              const code = err instanceof RlogError ? err.codeName : err instanceof Error ? err.name : String(err);
              this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
              // A failed send is expected under faults; a producer that refuses every send is replaced.
              if (isFatal(err)) failedForGood = true;
            },
          )
          .finally(() => outstanding.delete(sent));
        outstanding.add(sent);
        next += gapMs;
        const wait = next - Date.now();
        if (wait > 0) await sleep(wait);
        else if (wait < -1000) next = Date.now(); // fell behind during a fault: do not burst
      }
      await Promise.all(outstanding);
      await producer.close().catch(() => undefined);
      if (failedForGood) {
        this.replacedProducers++;
        this.options.log(`producer ${name} failed for good; continuing as a new producer`);
      }
    }
  }

  private record(consumer: string, r: ConsumerRecord): void {
    const id = r.value === null ? undefined : parseValue(r.value);
    if (id === undefined) {
      this.foreignReads++;
      return;
    }
    this.reads.push({ consumer, producer: id.producer, seq: id.seq, partition: r.partition, offset: r.offset });
  }

  private async readLoop(): Promise<void> {
    const { topic, partitions } = this.options;
    const reader = this.client("chaos-reader").consumer();
    this.reader = reader;
    reader.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, from: "earliest" as const })));
    try {
      for await (const r of reader.records()) this.record("reader", r);
    } catch (err) {
      this.options.log(`reader stopped: ${String(err)}`);
    }
  }

  private async memberLoop(index: number): Promise<void> {
    const { topic, groupId, commitEveryMs } = this.options;
    const name = `member${index}`;
    while (!this.stopping) {
      const member = this.client(`chaos-${name}`).consumer({ groupId, autoCommitIntervalMs: 0, sessionTimeoutMs: 6_000 });
      this.members.push(member);
      member.subscribe({ topics: [topic], fromBeginning: true });
      let committing = true;
      const committer = (async () => {
        while (committing && !this.stopping) {
          await sleep(commitEveryMs);
          try {
            await member.commit();
            const atMs = this.now();
            for (const p of member.positions()) if (p.committed !== undefined) this.commits.push({ partition: p.partition, offset: p.committed, atMs });
          } catch {
            // ILLEGAL_GENERATION, a moving coordinator, ...: the member rejoins by itself.
          }
        }
      })();
      try {
        await member.run({ eachBatch: ({ records }) => records.forEach((r) => this.record(name, r)) });
      } catch (err) {
        if (!this.stopping) this.options.log(`${name} failed (${String(err)}); rejoining as a new member`);
      } finally {
        committing = false;
        await committer;
      }
    }
  }

  private async observeLoop(): Promise<void> {
    while (!this.stopping) {
      await sleep(this.options.observeEveryMs);
      await this.observeOnce().catch(() => undefined); // no coordinator right now
    }
  }

  private observer: RlogClient | undefined;

  private async observeOnce(): Promise<void> {
    this.observer ??= this.client("chaos-observer");
    const startMs = this.now();
    const offsets = await this.observer.admin().fetchOffsets(this.options.groupId);
    const endMs = this.now();
    const map = new Map<number, number>();
    for (const o of offsets) if (o.topic === this.options.topic) map.set(o.partition, o.offset);
    this.observations.push({ startMs, endMs, offsets: map });
  }
}

/** Whether the producer will refuse every later send (PRODUCER_FENCED). */
function isFatal(err: unknown): boolean {
  return err instanceof RlogError && err.code === ErrorCode.PRODUCER_FENCED;
}
