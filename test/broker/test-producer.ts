/**
 * A wire-level idempotent producer for broker tests: finds the partition
 * leader, follows NOT_LEADER hints, and retries retriable errors with the
 * same producer id and sequence, so every batch lands exactly once.
 */
import { RlogError } from "../../broker/protocol/errors.js";
import type { OpName, RequestOf, ResultOf } from "../../broker/protocol/ops.js";
import { WireClient } from "./wire-client.js";
import { sleep } from "./cluster-harness.js";
import { batchOf } from "../protocol/batches.js";

/** Connections by URL, reconnected on demand; requests fail over across brokers. */
export class Router {
  private readonly conns = new Map<string, Promise<WireClient>>();
  constructor(readonly urls: readonly string[]) {}

  async to<O extends OpName>(url: string, op: O, body: RequestOf<O>): Promise<ResultOf<O>> {
    let c = this.conns.get(url);
    if (!c) {
      c = WireClient.connect(url);
      this.conns.set(url, c);
      c.catch(() => this.conns.delete(url));
    }
    try {
      return await (await c).request(op, body);
    } catch (err) {
      if (err instanceof RlogError && err.codeName === "BROKER_NOT_AVAILABLE") this.conns.delete(url);
      if (!(err instanceof RlogError)) this.conns.delete(url);
      throw err;
    }
  }

  /** Send to any broker that answers. */
  async any<O extends OpName>(op: O, body: RequestOf<O>): Promise<ResultOf<O>> {
    let last: unknown;
    for (const url of this.urls) {
      try {
        return await this.to(url, op, body);
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }

  /** The controller's URL, per any broker's metadata. */
  async controllerUrl(): Promise<string> {
    const md = await this.any("metadata", { op: "metadata" });
    const b = md.brokers.find((x) => x.brokerId === md.controllerId);
    if (!b) throw new RlogError("NOT_CONTROLLER", "no controller yet");
    return b.clientUrl;
  }

  /** Retry `fn` on retriable errors until `timeoutMs`. */
  async retry<T>(fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        const retriable = !(err instanceof RlogError) || err.retriable;
        if (!retriable || Date.now() > deadline) throw err;
        await sleep(25);
      }
    }
  }

  close(): void {
    for (const c of this.conns.values()) void c.then((x) => x.close(), () => undefined);
    this.conns.clear();
  }
}

/** Writes batches to one partition, idempotently, in order. */
export class PartitionWriter {
  private sequence = 0;
  private leaderUrl: string | undefined;
  /** Per acknowledged record: its value and offset, in acknowledgement order. */
  readonly acked: { value: string; offset: number }[] = [];
  retries = 0;

  constructor(
    private readonly router: Router,
    readonly topic: string,
    readonly partition: number,
    private readonly producerId: number,
  ) {}

  /** Write one batch; resolves with its base offset once acknowledged (acks all). */
  async write(values: readonly string[], timeoutMs = 60_000): Promise<number> {
    const enc = new TextEncoder();
    const baseSequence = this.sequence;
    this.sequence += values.length;
    const body = {
      op: "produce" as const,
      topic: this.topic,
      partition: this.partition,
      acks: "all" as const,
      timeoutMs: 5_000,
      batch: batchOf(
        values.map((v) => ({ key: enc.encode(`k${this.partition}`), value: enc.encode(v) })),
        Date.now(),
        { producerId: this.producerId, producerEpoch: 0, baseSequence },
      ),
    };
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const url = this.leaderUrl ?? (await this.findLeader());
        const r = await this.router.to(url, "produce", body);
        values.forEach((v, i) => this.acked.push({ value: v, offset: r.baseOffset + i }));
        return r.baseOffset;
      } catch (err) {
        if (err instanceof RlogError && !err.retriable) throw err;
        if (Date.now() > deadline) throw err;
        this.retries++;
        const hint = err instanceof RlogError ? err.details?.leader?.url : undefined;
        this.leaderUrl = hint && err instanceof RlogError && err.codeName === "NOT_LEADER" ? hint : undefined;
        await sleep(20);
      }
    }
  }

  private async findLeader(): Promise<string> {
    const md = await this.router.any("metadata", { op: "metadata", topics: [this.topic] });
    const p = md.topics[0]?.partitions[this.partition];
    const b = md.brokers.find((x) => x.brokerId === p?.leader);
    if (!b) throw new RlogError("LEADER_NOT_AVAILABLE", "no leader yet");
    this.leaderUrl = b.clientUrl;
    return b.clientUrl;
  }
}

/** Read every committed record of a partition from its leader. */
export async function readAll(router: Router, topic: string, partition: number): Promise<{ offset: number; value: string }[]> {
  const { decodeFetchedBatches } = await import("../../broker/protocol/batch-codec.js");
  const dec = new TextDecoder();
  const out: { offset: number; value: string }[] = [];
  let offset = 0;
  for (;;) {
    const r = await router.retry(async () => router.to(await leaderUrl(router, topic, partition), "fetch", { op: "fetch", topic, partition, offset, maxBytes: 256 * 1024, maxWaitMs: 0 }));
    const recs = await decodeFetchedBatches(r.batches, offset, 1 << 24);
    if (!recs.ok) throw recs.error;
    for (const rec of recs.value) out.push({ offset: rec.offset, value: dec.decode(rec.value) });
    if (recs.value.length === 0 && offset >= r.highWatermark) return out;
    offset = out.length > 0 ? out[out.length - 1]!.offset + 1 : offset;
  }
}

/** The partition leader's URL per the first broker that knows it (a broker that does not host the partition reports leader 0). */
async function leaderUrl(router: Router, topic: string, partition: number): Promise<string> {
  for (const url of router.urls) {
    try {
      const md = await router.to(url, "metadata", { op: "metadata", topics: [topic] });
      const leader = md.topics[0]?.partitions[partition]?.leader;
      const b = md.brokers.find((x) => x.brokerId === leader);
      if (b) return b.clientUrl;
    } catch {
      // ask the next broker
    }
  }
  throw new RlogError("LEADER_NOT_AVAILABLE", `no broker knows a leader of ${topic}/${partition}`);
}
