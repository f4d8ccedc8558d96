/** The one retrier: backoff shape, retriable codes only, retry count and total timeout. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RlogError } from "../../broker/protocol/errors.js";
import { Retrier } from "../../client/retry/retrier.js";
import { backoffMs, isRetriableError, retryOptions } from "../../client/retry/retry-options.js";

const opts = retryOptions({ retriesMax: 5, initialBackoffMs: 10, backoffMsMax: 80, totalTimeoutMs: 2_000 });

test("backoff doubles up to the cap, with equal jitter", () => {
  assert.equal(backoffMs(1, opts, 0), 5);
  assert.equal(backoffMs(1, opts, 0.999), 10);
  assert.equal(backoffMs(2, opts, 0), 10);
  assert.equal(backoffMs(3, opts, 0.5), 30);
  assert.equal(backoffMs(10, opts, 0), 40);
  assert.equal(backoffMs(10, opts, 0.9999), 80);
  assert.equal(backoffMs(1_000, opts, 0.9999), 80);
});

test("retriable is decided by code, not by class, name or message", () => {
  assert.ok(isRetriableError(new RlogError("NOT_LEADER", "x")));
  assert.ok(!isRetriableError(new RlogError("INVALID_REQUEST", "NOT_LEADER timeout retriable")));
  const named = Object.assign(new Error("boom"), { name: "RlogError", code: 13 });
  assert.ok(!isRetriableError(named));
  // An unknown code from a newer broker is not retried, whatever it claims.
  const unknown = RlogError.fromWire({ code: 999, name: "NEW_THING", message: "m", retriable: true });
  assert.ok(!isRetriableError(unknown));
});

test("retries retriable errors until success", async () => {
  let calls = 0;
  const r = new Retrier(opts, () => 0);
  const v = await r.run(async () => {
    calls++;
    if (calls < 4) throw new RlogError("LEADER_NOT_AVAILABLE", "electing");
    return "ok";
  });
  assert.equal(v, "ok");
  assert.equal(calls, 4);
});

test("a non-retriable error surfaces at once with its code", async () => {
  let calls = 0;
  const r = new Retrier(opts);
  await assert.rejects(
    r.run(async () => {
      calls++;
      throw new RlogError("TOPIC_ALREADY_EXISTS", "exists");
    }),
    (err: unknown) => err instanceof RlogError && err.is("TOPIC_ALREADY_EXISTS"),
  );
  assert.equal(calls, 1);
});

test("gives up after retriesMax retries with the last error", async () => {
  let calls = 0;
  const r = new Retrier(opts, () => 0);
  await assert.rejects(
    r.run(async () => {
      calls++;
      throw new RlogError("NOT_ENOUGH_REPLICAS", `attempt ${calls}`);
    }),
    (err: unknown) => err instanceof RlogError && err.is("NOT_ENOUGH_REPLICAS") && err.message === "attempt 6",
  );
  assert.equal(calls, 6);
});

test("leader changes do not use up retriesMax: only the total timeout bounds them", async () => {
  let calls = 0;
  const r = new Retrier(retryOptions({ retriesMax: 2, initialBackoffMs: 1, backoffMsMax: 1, leaderChangeBackoffMsMax: 1, totalTimeoutMs: 5_000 }), () => 0);
  const v = await r.run(async () => {
    calls++;
    if (calls <= 8) throw new RlogError("LEADER_NOT_AVAILABLE", `attempt ${calls}`);
    if (calls <= 10) throw new RlogError("NOT_ENOUGH_REPLICAS", `attempt ${calls}`);
    return "done";
  });
  assert.equal(v, "done");
  assert.equal(calls, 11, "8 leader changes and 2 counted retries");
  calls = 0;
  await assert.rejects(
    r.run(async () => {
      calls++;
      throw new RlogError(calls % 2 === 0 ? "NOT_LEADER" : "NOT_ENOUGH_REPLICAS", `attempt ${calls}`);
    }),
    (err: unknown) => err instanceof RlogError && err.is("NOT_ENOUGH_REPLICAS") && err.message === "attempt 5",
  );
});

test("retriesMax 0 retries nothing, leader changes included", async () => {
  let calls = 0;
  const r = new Retrier(retryOptions({ retriesMax: 0 }), () => 0);
  await assert.rejects(
    r.run(async () => {
      calls++;
      throw new RlogError("NOT_LEADER", "moved");
    }),
  );
  assert.equal(calls, 1);
});

test("honours the total timeout and hands attempts the time left", async () => {
  const r = new Retrier(retryOptions({ retriesMax: 1_000, initialBackoffMs: 20, backoffMsMax: 20, totalTimeoutMs: 300 }), () => 0.5);
  const started = performance.now();
  const remaining: number[] = [];
  await assert.rejects(
    r.run(async (ctx) => {
      remaining.push(ctx.remainingMs);
      throw new RlogError("TIMEOUT", "slow");
    }),
    (err: unknown) => err instanceof RlogError && err.is("TIMEOUT"),
  );
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 3_000, `gave up after ${elapsed} ms; 1,000 retries would take 20 s`);
  assert.ok(elapsed >= 250, `gave up early, after ${elapsed} ms`);
  assert.ok(remaining[0] !== undefined && remaining[0] <= 300);
  assert.ok((remaining[remaining.length - 1] as number) < 100);
});

test("'now' skips one backoff but never two in a row", async () => {
  // The pauses are recorded, not slept: what is asserted is the retrier's decision, not the machine's timers.
  const pauses: number[] = [];
  const r = new Retrier(retryOptions({ retriesMax: 3, initialBackoffMs: 300, backoffMsMax: 300, totalTimeoutMs: 5_000 }), () => 0, async (ms) => {
    pauses.push(ms);
  });
  let calls = 0;
  await assert.rejects(
    r.run(
      async () => {
        calls++;
        throw new RlogError("NOT_ENOUGH_REPLICAS", "short");
      },
      { onRetriable: () => "now" },
    ),
  );
  assert.equal(calls, 4, "the first attempt and retriesMax retries");
  assert.deepEqual(pauses, [0, 150, 0], "now, then a backoff (half of 300 ms with no jitter), then now again");
});

test("a hook that throws stops the retries", async () => {
  let calls = 0;
  const r = new Retrier(opts);
  const stop = new RlogError("UNKNOWN_TOPIC", "gone");
  await assert.rejects(
    r.run(
      async () => {
        calls++;
        throw stop;
      },
      {
        onRetriable: (err) => {
          throw err;
        },
      },
    ),
    (err: unknown) => err === stop,
  );
  assert.equal(calls, 1);
});

test("leader changes retry with a short backoff; other retriable errors back off exponentially", async () => {
  const { retryDelayMs, DEFAULT_RETRY } = await import("../../client/retry/retry-options.js");
  const { RlogError } = await import("../../broker/protocol/errors.js");
  const notLeader = new RlogError("NOT_LEADER", "moved");
  const timeout = new RlogError("TIMEOUT", "slow");
  for (let retry = 1; retry <= 8; retry++) {
    assert.ok(retryDelayMs(notLeader, retry, DEFAULT_RETRY, 0.999) <= DEFAULT_RETRY.leaderChangeBackoffMsMax);
  }
  assert.ok(retryDelayMs(timeout, 6, DEFAULT_RETRY, 0.999) > DEFAULT_RETRY.leaderChangeBackoffMsMax);
});
