/**
 * Seeded hostile frames against a real broker process: random bytes,
 * mutated and truncated frames, wrong types, huge numbers, oversized and
 * text frames, over several connections. Afterwards the broker must still
 * answer, and a topic written before the fuzzing must read back byte for byte.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { DEFAULT_LIMITS } from "../../broker/protocol/limits.js";
import { encodeRequest } from "../../broker/protocol/frames.js";
import { PROTOCOL_VERSION } from "../../broker/protocol/version.js";
import { FuzzFrameGenerator } from "../server/fuzz-frames.js";
import { TestCluster, sleep } from "./cluster-harness.js";
import { Router, readAll, PartitionWriter } from "./test-producer.js";

const SEED = 20261121;
const FRAMES = 3000;
const CONNECTIONS = 4;
const GUARD = "fuzz-guard";
/** Small bounds so fuzzed createTopic requests stay cheap. */
const LIMITS = { partitionsMax: 4, replicationFactorMax: 1, frameBytesMax: 1 << 20, fetchBytesMax: 1 << 19, recordBytesMax: 1 << 16, batchBytesMax: 1 << 19 };

async function openRaw(url: string): Promise<WebSocket | undefined> {
  const ws = new WebSocket(url);
  ws.on("message", () => undefined);
  ws.on("error", () => undefined);
  const ok = await new Promise<boolean>((resolve) => {
    ws.once("open", () => resolve(true));
    ws.once("error", () => resolve(false));
  });
  if (!ok) return undefined;
  ws.send(encodeRequest(1, { op: "handshake", version: PROTOCOL_VERSION, clientId: "fuzz" }));
  return ws;
}

test("the broker survives seeded hostile frames and keeps stored data intact", { timeout: 120_000 }, async () => {
  const cluster = await TestCluster.start({ size: 1, extra: { limits: LIMITS } });
  const router = new Router(cluster.urls());
  try {
    await router.retry(() => router.any("createTopic", { op: "createTopic", name: GUARD, partitions: 2, replicationFactor: 1 }));
    const { producerId } = await router.retry(() => router.any("initProducerId", { op: "initProducerId" }));
    const writers = [0, 1].map((p) => new PartitionWriter(router, GUARD, p, producerId));
    for (const w of writers) for (let i = 0; i < 20; i++) await w.write([`guard-${w.partition}-${i}-\u0000\u00ff\u{1F600}`]);
    const before = await Promise.all(writers.map((w) => readAll(router, GUARD, w.partition)));

    const gen = new FuzzFrameGenerator(SEED, { limits: { ...DEFAULT_LIMITS, ...LIMITS } });
    const kinds = new Map<string, number>();
    const sockets: (WebSocket | undefined)[] = await Promise.all(Array.from({ length: CONNECTIONS }, () => openRaw(cluster.url(1))));
    for (let i = 0; i < FRAMES; i++) {
      const k = i % CONNECTIONS;
      let ws = sockets[k];
      if (!ws || ws.readyState !== WebSocket.OPEN) {
        ws?.terminate();
        ws = await openRaw(cluster.url(1));
        sockets[k] = ws;
        if (!ws) continue;
      }
      const f = gen.next();
      kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
      ws.send(f.data, { binary: typeof f.data !== "string" });
      if (i % 50 === 0) await sleep(1); // let the broker answer and close as it sees fit
    }
    await sleep(500);
    for (const ws of sockets) ws?.terminate();

    assert.equal(cluster.member(1).child?.exitCode, null, `broker died during fuzzing:\n${cluster.logTail(1)}`);
    const fresh = new Router(cluster.urls());
    try {
      const md = await fresh.any("metadata", { op: "metadata" });
      assert.ok(md.topics.some((t) => t.name === GUARD), "the guard topic is still there");
      const after = await Promise.all(writers.map((w) => readAll(fresh, GUARD, w.partition)));
      assert.deepEqual(after, before, "the guard topic reads back byte for byte");
    } finally {
      fresh.close();
    }
    console.log(`fuzz frames by kind: ${JSON.stringify(Object.fromEntries(kinds))}`);
  } finally {
    router.close();
    await cluster.stopAll();
  }
});
