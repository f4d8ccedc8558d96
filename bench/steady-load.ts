/**
 * A steady produce load for the fault workloads: `rate` records/s spread
 * evenly over the partitions of a topic (explicit partitions, one send()
 * per partition per pacing step), every acknowledged record noted in an
 * AckLedger if one is given. A watch started at some instant reports, per partition, when
 * the first record sent after that instant was acknowledged: the time
 * produce takes to be acknowledged again after a fault.
 */
import type { Producer, RlogClient } from "../client/index.js";
import type { AckLedger } from "./ledger.js";
import { filler, stampedValue } from "./record-value.js";
import { epochMs, nowMs, sleep } from "./time.js";

/** Pacing step. */
const STEP_MS = 5;
/** Records sent but not yet settled before the load holds back (a bound while the cluster is down). */
const PENDING_RECORDS_MAX = 100_000;

/** Per partition: when (monotonic ms) the first record sent after the watch began was acknowledged. */
export class AckWatch {
  readonly recoveredAtMs = new Map<number, number>();

  constructor(
    /** Monotonic ms at which the watch began. */
    readonly sinceMs: number,
    readonly partitions: ReadonlySet<number>,
  ) {}

  get complete(): boolean {
    return this.recoveredAtMs.size === this.partitions.size;
  }

  /** The longest time from the start of the watch to a partition's first acknowledgement (NaN until complete). */
  worstMs(): number {
    if (!this.complete) return Number.NaN;
    return Math.max(...[...this.recoveredAtMs.values()].map((t) => t - this.sinceMs));
  }
}

/** Options of a SteadyLoad. */
export interface SteadyLoadOptions {
  readonly topic: string;
  readonly partitions: number;
  readonly rateRecordsPerSec: number;
  readonly recordBytes: number;
  readonly acks: "all" | "leader";
  readonly lingerMs: number;
  /** Where acknowledged records are noted; none: not noted. */
  readonly ledger: AckLedger | undefined;
  /** Which writer number to stamp into records. */
  readonly writer: number;
}

/** See the file comment. */
export class SteadyLoad {
  private readonly producer: Producer;
  private readonly fill: Buffer;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly pending = new Set<Promise<void>>();
  private pendingRecords = 0;
  private seq = 0;
  private readonly watches = new Set<AckWatch>();
  /** Records not sent because too many were pending (the cluster did not keep up) or the ledger was full. */
  heldBackRecords = 0;
  /** Records whose send failed for good. */
  failedRecords = 0;
  firstError: unknown;
  ackedRecords = 0;

  constructor(
    client: RlogClient,
    private readonly o: SteadyLoadOptions,
  ) {
    this.producer = client.producer({ acks: o.acks, lingerMs: o.lingerMs });
    this.fill = filler(o.recordBytes, 0x1234567 + o.writer);
  }

  /** Start (or resume) sending. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.pace();
  }

  /** Stop sending and wait until everything sent has settled (at most `waitMsMax`). */
  async pause(waitMsMax = 30_000): Promise<void> {
    this.running = false;
    await this.loop;
    await Promise.race([Promise.all(this.pending), sleep(waitMsMax)]);
  }

  /** Watch for the first acknowledgement of a record sent from now on, per partition. */
  watch(partitions: Iterable<number>): AckWatch {
    const w = new AckWatch(nowMs(), new Set(partitions));
    this.watches.add(w);
    return w;
  }

  /** Stop watching. */
  unwatch(w: AckWatch): void {
    this.watches.delete(w);
  }

  private async pace(): Promise<void> {
    const { partitions, rateRecordsPerSec } = this.o;
    const start = nowMs();
    let sent = 0;
    while (this.running) {
      const due = Math.floor(((nowMs() - start) / 1000) * rateRecordsPerSec);
      if (due > sent && this.pendingRecords < PENDING_RECORDS_MAX && this.o.ledger?.full !== true) {
        const n = due - sent;
        sent = due;
        for (let p = 0; p < partitions; p++) {
          const k = Math.floor(n / partitions) + (p < n % partitions ? 1 : 0);
          if (k > 0) this.send(p, k);
        }
      } else if (due > sent) {
        this.heldBackRecords += due - sent;
        sent = due;
      }
      await sleep(STEP_MS);
    }
  }

  private send(partition: number, k: number): void {
    const firstSeq = this.seq;
    this.seq += k;
    const now = epochMs();
    const messages = Array.from({ length: k }, (_, i) => ({ value: stampedValue(this.fill, { sentEpochMs: now, writer: this.o.writer, seq: firstSeq + i }), partition }));
    const sentAtMs = nowMs();
    this.pendingRecords += k;
    const p = this.producer.send({ topic: this.o.topic, messages }).then(
      (metas) => {
        const at = nowMs();
        metas.forEach((m, i) => this.o.ledger?.acked(m.partition, m.offset, this.o.writer, firstSeq + i));
        this.ackedRecords += k;
        for (const w of this.watches) {
          if (sentAtMs >= w.sinceMs && w.partitions.has(partition) && !w.recoveredAtMs.has(partition)) w.recoveredAtMs.set(partition, at);
        }
      },
      (err: unknown) => {
        this.failedRecords += k;
        this.firstError ??= err;
      },
    );
    this.pending.add(p);
    void p.then(() => {
      this.pending.delete(p);
      this.pendingRecords -= k;
    });
  }
}
