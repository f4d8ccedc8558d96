/** One connection: handshake, pipelining, in-flight bound, timeouts, reconnects. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RlogError } from "../../broker/protocol/errors.js";
import { PROTOCOL_VERSION } from "../../broker/protocol/version.js";
import { silentLogger } from "../../client/logger.js";
import { ClosedError } from "../../client/network/client-errors.js";
import { Connection, type ConnectionOptions } from "../../client/network/connection.js";
import { FakeCluster } from "./fake-broker.js";
import { delay, waitFor } from "./helpers.js";

function connectionTo(url: string, extra: Partial<ConnectionOptions> = {}): Connection {
  return new Connection({
    url,
    clientId: "conn-test",
    requestTimeoutMs: 2_000,
    connectTimeoutMs: 2_000,
    inflightRequestsMax: 128,
    queuedRequestsMax: 1_000,
    frameBytesMax: 64 * 1024 * 1024,
    logger: silentLogger,
    ...extra,
  });
}

async function withFake(fn: (fake: FakeCluster) => Promise<void>, inflightRequestsMax = 8): Promise<void> {
  const fake = await FakeCluster.start({ brokers: 1, limits: { inflightRequestsMax } });
  try {
    await fn(fake);
  } finally {
    await fake.stop();
  }
}

test("the handshake is the first frame and carries the version; limits are learnt from it", async () => {
  await withFake(async (fake) => {
    const conn = connectionTo(fake.urls[0] as string);
    try {
      const r = await conn.request<"listTopics">({ op: "listTopics" });
      assert.deepEqual(r.topics, []);
      const first = fake.log[0]?.request;
      assert.equal(first?.op, "handshake");
      assert.equal(first?.op === "handshake" ? first.version : -1, PROTOCOL_VERSION);
      assert.equal(first?.op === "handshake" ? first.clientId : "", "conn-test");
      assert.equal(conn.brokerId, 1);
      assert.equal(conn.limits?.inflightRequestsMax, 8);
    } finally {
      await conn.close();
    }
  });
});

test("requests are pipelined, and never more than the broker's inflightRequestsMax", async () => {
  await withFake(async (fake) => {
    fake.intercept(({ request }) => (request.op === "listTopics" ? { kind: "delay", delayMs: 20 } : undefined));
    const conn = connectionTo(fake.urls[0] as string);
    try {
      const all = await Promise.all(Array.from({ length: 40 }, () => conn.request<"listTopics">({ op: "listTopics" })));
      assert.equal(all.length, 40);
      assert.equal(fake.maxInflightSeen, 4, "the broker saw exactly its limit in flight: pipelined, and bounded");
      assert.equal(fake.requests("listTopics").length, 40, "no TOO_MANY_REQUESTS resends were needed");
    } finally {
      await conn.close();
    }
  }, 4);
});

test("a local queue beyond queuedRequestsMax fails fast with TOO_MANY_REQUESTS (retriable)", async () => {
  await withFake(async (fake) => {
    fake.intercept(({ request }) => (request.op === "listTopics" ? { kind: "delay", delayMs: 30 } : undefined));
    const conn = connectionTo(fake.urls[0] as string, { queuedRequestsMax: 3 });
    try {
      const results = await Promise.allSettled(Array.from({ length: 6 }, () => conn.request<"listTopics">({ op: "listTopics" })));
      const rejected = results.filter((r) => r.status === "rejected");
      assert.equal(rejected.length, 3);
      for (const r of rejected) {
        const err = (r as PromiseRejectedResult).reason as RlogError;
        assert.ok(err.is("TOO_MANY_REQUESTS") && err.retriable);
      }
    } finally {
      await conn.close();
    }
  });
});

test("a request without an answer fails with TIMEOUT; its slot is held until the broker answers", async () => {
  await withFake(async (fake) => {
    fake.intercept(({ request }) => (request.op === "describeTopic" ? { kind: "delay", delayMs: 400 } : undefined));
    fake.state.createTopic("t", 1);
    const conn = connectionTo(fake.urls[0] as string);
    try {
      await assert.rejects(
        conn.request<"describeTopic">({ op: "describeTopic", name: "t" }, { timeoutMs: 50 }),
        (err: unknown) => err instanceof RlogError && err.is("TIMEOUT") && err.retriable,
      );
      assert.equal(conn.outstandingCount, 1);
      await waitFor(() => conn.outstandingCount === 0, "the late answer to free the slot");
      await conn.request<"listTopics">({ op: "listTopics" });
    } finally {
      await conn.close();
    }
  });
});

test("a broker that stops answering gets its connection closed, and the next request reconnects", async () => {
  await withFake(async (fake) => {
    const unhang = fake.intercept(({ request }) => (request.op === "listTopics" ? { kind: "hang" } : undefined));
    const conn = connectionTo(fake.urls[0] as string);
    try {
      await conn.connect();
      // 4 slots: two abandoned requests (half) close the connection.
      const timedOut = await Promise.allSettled([1, 2].map(() => conn.request<"listTopics">({ op: "listTopics" }, { timeoutMs: 30 })));
      assert.ok(timedOut.every((r) => r.status === "rejected" && (r.reason as RlogError).is("TIMEOUT")));
      await waitFor(() => !conn.isReady, "the connection to close");
      unhang();
      await conn.request<"listTopics">({ op: "listTopics" });
      assert.equal(fake.requests("handshake").length, 2);
    } finally {
      await conn.close();
    }
  }, 4);
});

test("a lost connection fails requests in flight with BROKER_NOT_AVAILABLE and the next request reconnects", async () => {
  await withFake(async (fake) => {
    fake.intercept(({ request }) => (request.op === "listTopics" ? { kind: "hang" } : undefined));
    const conn = connectionTo(fake.urls[0] as string);
    try {
      await conn.connect();
      const pending = conn.request<"listTopics">({ op: "listTopics" });
      await delay(20);
      fake.dropConnections();
      await assert.rejects(pending, (err: unknown) => err instanceof RlogError && err.is("BROKER_NOT_AVAILABLE") && err.retriable);
      const r = await conn.request<"metadata">({ op: "metadata" });
      assert.equal(r.brokers.length, 1);
      assert.equal(fake.requests("handshake").length, 2);
    } finally {
      await conn.close();
    }
  });
});

test("a refused handshake fails with the broker's code: UNSUPPORTED_VERSION (its id), TOO_MANY_CONNECTIONS (id 0)", async () => {
  await withFake(async (fake) => {
    const conn = connectionTo(fake.urls[0] as string);
    try {
      fake.refuseHandshake = { error: new RlogError("UNSUPPORTED_VERSION", "speaks 2 only", { versionMin: 2, versionMax: 2 }), idZero: false };
      await assert.rejects(
        conn.request<"listTopics">({ op: "listTopics" }),
        (err: unknown) => err instanceof RlogError && err.is("UNSUPPORTED_VERSION") && !err.retriable && err.details?.versionMin === 2,
      );
      fake.refuseHandshake = { error: new RlogError("TOO_MANY_CONNECTIONS", "full"), idZero: true };
      await assert.rejects(conn.connect(), (err: unknown) => err instanceof RlogError && err.is("TOO_MANY_CONNECTIONS") && err.retriable);
      fake.refuseHandshake = undefined;
      await conn.request<"listTopics">({ op: "listTopics" });
    } finally {
      await conn.close();
    }
  });
});

test("an unreachable broker fails with BROKER_NOT_AVAILABLE", async () => {
  const fake = await FakeCluster.start({ brokers: 1 });
  const url = fake.urls[0] as string;
  await fake.stop();
  const conn = connectionTo(url);
  try {
    await assert.rejects(conn.request<"listTopics">({ op: "listTopics" }), (err: unknown) => err instanceof RlogError && err.is("BROKER_NOT_AVAILABLE"));
  } finally {
    await conn.close();
  }
});

test("close() fails outstanding requests with ClosedError and refuses new ones", async () => {
  await withFake(async (fake) => {
    fake.intercept(({ request }) => (request.op === "listTopics" ? { kind: "hang" } : undefined));
    const conn = connectionTo(fake.urls[0] as string);
    await conn.connect();
    const pending = assert.rejects(conn.request<"listTopics">({ op: "listTopics" }), ClosedError);
    await delay(10);
    await conn.close();
    await pending;
    await assert.rejects(conn.request<"listTopics">({ op: "listTopics" }), ClosedError);
    assert.equal(fake.connectionCount(), 0);
  });
});

test("an aborted request rejects with the abort reason", async () => {
  await withFake(async (fake) => {
    fake.intercept(({ request }) => (request.op === "listTopics" ? { kind: "delay", delayMs: 100 } : undefined));
    const conn = connectionTo(fake.urls[0] as string);
    try {
      const ac = new AbortController();
      const pending = conn.request<"listTopics">({ op: "listTopics" }, { signal: ac.signal });
      setTimeout(() => ac.abort(new Error("stop")), 10);
      await assert.rejects(pending, /stop/);
    } finally {
      await conn.close();
    }
  });
});

test("an oversized request fails with REQUEST_TOO_LARGE before it is sent", async () => {
  await withFake(async (fake) => {
    fake.state.createTopic("t", 1);
    const conn = connectionTo(fake.urls[0] as string);
    try {
      await conn.connect();
      const value = new Uint8Array(fake.limits.frameBytesMax + 1);
      await assert.rejects(
        conn.request<"produce">({ op: "produce", topic: "t", partition: 0, acks: "all", batch: value }),
        (err: unknown) => err instanceof RlogError && err.is("REQUEST_TOO_LARGE") && !err.retriable,
      );
      assert.equal(fake.requests("produce").length, 0);
    } finally {
      await conn.close();
    }
  });
});
