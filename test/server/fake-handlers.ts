/**
 * Fake broker handlers for listener tests. Each records what it received.
 *
 * - metadata: echo: one empty topic per requested name;
 * - fetch: slow: waits maxWaitMs (ends early, with an abort, when ctx.signal
 *   fires), then returns one batch of maxBytes zero bytes when maxWaitMs is 0
 *   (big responses on demand) and none otherwise;
 * - produce: by topic: "not-leader" throws NOT_LEADER with a leader hint,
 *   "crash" rejects with a TypeError, "crash-sync" throws before returning a
 *   promise, "bad-result" returns a map with an `id` field; else succeeds;
 * - clusterStatus: hangs until `release()` and ignores its signal (a stuck handler);
 * - createTopic: absent (UNKNOWN_OPERATION).
 */
import { RlogError } from "../../broker/protocol/errors.js";
import type { OpName, Request, ResultOf } from "../../broker/protocol/ops.js";
import type { OpHandlers, RequestContext } from "../../broker/server/handlers.js";
import { batchRecords } from "../protocol/batches.js";

/** One handler call as recorded. */
export interface Call {
  readonly op: OpName;
  readonly request: Request;
  readonly ctx: RequestContext;
  /** Set when the call's signal fired. */
  aborted: boolean;
}

/** The fake handlers and their records. */
export interface Fakes {
  readonly handlers: OpHandlers;
  readonly calls: Call[];
  /** Settle every hung clusterStatus call. */
  release(): void;
}

/** Build the fakes; see the file comment. */
export function fakeHandlers(): Fakes {
  const calls: Call[] = [];
  let hung: (() => void)[] = [];
  const record = (request: Request, ctx: RequestContext): Call => {
    const call: Call = { op: request.op, request, ctx, aborted: false };
    ctx.signal.addEventListener("abort", () => (call.aborted = true), { once: true });
    calls.push(call);
    return call;
  };
  const handlers: OpHandlers = {
    metadata: async (request, ctx) => {
      record(request, ctx);
      await new Promise((resolve) => setImmediate(resolve));
      return { brokers: [], controllerId: 0, topics: (request.topics ?? []).map((name) => ({ name, internal: false, partitions: [] })) };
    },
    fetch: async (request, ctx) => {
      record(request, ctx);
      if (request.maxWaitMs > 0) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, request.maxWaitMs);
          ctx.signal.addEventListener(
            "abort",
            () => {
              clearTimeout(timer);
              reject(ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error("aborted"));
            },
            { once: true },
          );
        });
        return { batches: [], highWatermark: request.offset, logStartOffset: 0 };
      }
      return { batches: [{ baseOffset: request.offset, data: new Uint8Array(request.maxBytes) }], highWatermark: request.offset + 1, logStartOffset: 0 };
    },
    produce: (request, ctx) => {
      record(request, ctx);
      switch (request.topic) {
        case "not-leader":
          return Promise.reject(new RlogError("NOT_LEADER", `partition ${request.topic}/${request.partition} is led by broker 3`, { leader: { brokerId: 3, url: "ws://10.0.0.3:9092" } }));
        case "crash":
          return Promise.reject(new TypeError("cannot read properties of undefined (reading 'append')"));
        case "crash-sync":
          throw new Error("thrown before any promise");
        case "bad-result":
          return Promise.resolve({ id: 99, baseOffset: 0, count: 1, logAppendTimeMs: 0 } as ResultOf<"produce">);
        default:
          return Promise.resolve({ baseOffset: 100, count: batchRecords(request.batch).length, logAppendTimeMs: 1_700_000_000_000 });
      }
    },
    clusterStatus: (request, ctx) => {
      record(request, ctx);
      return new Promise((resolve) => {
        hung.push(() => resolve({ brokers: [], controller: { leader: 0, term: 0 }, partitions: [] }));
      });
    },
  };
  return {
    handlers,
    calls,
    release: () => {
      const wake = hung;
      hung = [];
      for (const w of wake) w();
    },
  };
}
