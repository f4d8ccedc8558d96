/**
 * Read partitions from their first offset up to end offsets known in
 * advance, handing every record to a callback. Used to measure consume
 * throughput and to check that no acknowledged record was lost. Bounded by
 * a time limit; a partition that cannot be read to its end makes it throw.
 */
import type { RlogClient } from "../client/index.js";
import { nowMs, sleep } from "./time.js";

/** A record as the read-back hands it over. */
export interface ReadRecord {
  readonly partition: number;
  readonly offset: number;
  readonly value: Buffer;
}

/** What a read-back took. */
export interface ReadBackResult {
  readonly records: number;
  readonly valueBytes: number;
  /** From the first fetch to the last record. */
  readonly seconds: number;
}

/** Options of readBack. */
export interface ReadBackOptions {
  readonly topic: string;
  /** End offset (exclusive) per partition to read up to; partitions with 0 are skipped. */
  readonly endOffsets: readonly number[];
  readonly secondsMax: number;
  readonly onRecord?: (r: ReadRecord) => void;
  readonly onProgress?: (records: number) => void;
}

/** The high watermark of every partition of a topic, from its leader. */
export async function endOffsetsOf(client: RlogClient, topic: string, partitions: number): Promise<number[]> {
  const admin = client.admin();
  return Promise.all(Array.from({ length: partitions }, async (_, partition) => (await admin.listOffsets({ topic, partition }, "latest")).offset));
}

/** See the file comment. */
export async function readBack(client: RlogClient, o: ReadBackOptions): Promise<ReadBackResult> {
  const wanted = o.endOffsets.map((end, partition) => ({ partition, end })).filter((p) => p.end > 0);
  if (wanted.length === 0) return { records: 0, valueBytes: 0, seconds: 0 };
  const consumer = client.consumer({ maxBytes: 4 * 1024 * 1024, maxWaitMs: 100 });
  consumer.assign(wanted.map((p) => ({ topic: o.topic, partition: p.partition, from: "earliest" as const })));
  const remaining = new Set(wanted.map((p) => p.partition));
  const ends = new Map(wanted.map((p) => [p.partition, p.end]));
  let records = 0;
  let valueBytes = 0;
  const start = nowMs();
  let last = start;
  const run = consumer.run({
    eachBatch: ({ partition, records: batch }) => {
      const end = ends.get(partition) ?? 0;
      for (const r of batch) {
        if (r.offset >= end) continue;
        records++;
        const value = r.value ?? Buffer.alloc(0); // the bench never writes null values
        valueBytes += value.length;
        o.onRecord?.({ partition, offset: r.offset, value });
      }
      const lastRecord = batch[batch.length - 1];
      if (lastRecord !== undefined && lastRecord.offset >= end - 1 && remaining.delete(partition) && remaining.size === 0) {
        last = nowMs();
        void consumer.stop();
      }
      o.onProgress?.(records);
    },
  });
  const timer = sleep(o.secondsMax * 1000).then(() => "timeout" as const);
  const outcome = await Promise.race([run.then(() => "done" as const), timer]);
  if (outcome === "timeout" || remaining.size > 0) {
    await consumer.stop();
    await run.catch(() => undefined);
    throw new Error(`read-back of ${o.topic} did not reach the end of partitions ${[...remaining].join(", ")} within ${o.secondsMax} s (${records} records read)`);
  }
  return { records, valueBytes, seconds: (last - start) / 1000 };
}
