/**
 * Produce and fetch handlers wrapped to count requests, records and bytes
 * and to time them (broker-metrics.ts). The work per request is a few
 * counter increments and one histogram observation; records are counted from
 * each batch's header (RecordBatch v2 recordCount), never one by one.
 */
import { BatchField, RECORD_BATCH_HEADER_BYTES } from "../protocol/record-batch.js";
import type { FetchedBatch } from "../protocol/records.js";
import type { OpHandlers } from "../server/handlers.js";
import type { BrokerMetrics } from "./broker-metrics.js";

/** Records in stored batches, from each batch header's recordCount (a truncated batch counts 0). */
export function batchRecordsCount(batches: readonly FetchedBatch[]): number {
  let count = 0;
  for (const b of batches) {
    if (b.data.byteLength < RECORD_BATCH_HEADER_BYTES) continue;
    count += new DataView(b.data.buffer, b.data.byteOffset, b.data.byteLength).getInt32(BatchField.recordCount);
  }
  return count;
}

/** `handlers` with produce and fetch measured into `metrics`; the other handlers unchanged. */
export function instrumentHandlers(handlers: OpHandlers, metrics: BrokerMetrics): OpHandlers {
  const produce = handlers.produce;
  const fetch = handlers.fetch;
  return {
    ...handlers,
    ...(produce === undefined
      ? {}
      : {
          produce: async (req, ctx) => {
            const startedMs = performance.now();
            try {
              const result = await produce.call(handlers, req, ctx);
              metrics.produceRecords.inc(result.count);
              metrics.produceBytes.inc(req.batch.byteLength);
              return result;
            } finally {
              metrics.produceRequests.inc();
              metrics.produceSeconds.observe((performance.now() - startedMs) / 1000);
            }
          },
        }),
    ...(fetch === undefined
      ? {}
      : {
          fetch: async (req, ctx) => {
            const startedMs = performance.now();
            try {
              const result = await fetch.call(handlers, req, ctx);
              let bytes = 0;
              for (const b of result.batches) bytes += b.data.byteLength;
              metrics.fetchBytes.inc(bytes);
              metrics.fetchRecords.inc(batchRecordsCount(result.batches));
              return result;
            } finally {
              metrics.fetchRequests.inc();
              metrics.fetchSeconds.observe((performance.now() - startedMs) / 1000);
            }
          },
        }),
  };
}
