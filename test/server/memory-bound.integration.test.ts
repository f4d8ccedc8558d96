/**
 * Issue 13's memory attack against a real broker process: 50 connections,
 * each pipelining inflightRequestsMax (128) fetches of fetchBytesMax (4 MiB)
 * over a topic with enough data, whose sockets never read. Without a bound
 * that asks for 25 GiB of responses. The broker's resident memory
 * (/proc/<pid>/status VmRSS) must stay under 512 MiB throughout, a healthy
 * consumer on another connection must keep getting its records, and the
 * stalled connections must be closed (sendStallPressureMs / sendStallMs),
 * after which the broker serves as before.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { WebSocket } from "ws";
import { RlogError } from "../../broker/protocol/errors.js";
import { encodeRequest } from "../../broker/protocol/frames.js";
import { DEFAULT_LIMITS } from "../../broker/protocol/limits.js";
import { PROTOCOL_VERSION } from "../../broker/protocol/version.js";
import { TestCluster, sleep } from "../broker/cluster-harness.js";
import { WireClient } from "../broker/wire-client.js";
import { batchOf, batchRecords } from "../protocol/batches.js";

const MiB = 1024 * 1024;
const RSS_BYTES_MAX = 512 * MiB;
const HOSTILE_CONNECTIONS = 50;
const FETCHES_PER_CONNECTION = DEFAULT_LIMITS.inflightRequestsMax;
const SEND_STALL_MS = 8_000;
const SEND_STALL_PRESSURE_MS = 1_000;

/** `fn` again while it fails with a retriable error (a new topic's leader is elected), for at most 20 s. */
async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof RlogError) || !err.retriable || Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

/** The broker's resident set (VmRSS) and its parts, in bytes. */
function rss(pid: number): { total: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kB = (field: string): number => {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
    assert.ok(m?.[1] !== undefined, `${field} readable`);
    return Number(m[1]) * 1024;
  };
  return { total: kB("VmRSS"), anon: kB("RssAnon"), file: kB("RssFile") };
}

function show(r: { total: number; anon: number; file: number }): string {
  return `${(r.total / MiB).toFixed(0)} MiB (anon ${(r.anon / MiB).toFixed(0)}, file ${(r.file / MiB).toFixed(0)})`;
}

/** A connection that does its handshake, pipelines its fetches and then never reads again. */
async function hostileConnection(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * MiB });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  ws.on("error", () => undefined);
  const answered = new Promise<void>((resolve) => ws.once("message", () => resolve()));
  ws.send(encodeRequest(1, { op: "handshake", version: PROTOCOL_VERSION, clientId: "hostile" }));
  await answered;
  ws.pause(); // stop reading the socket: the kernel buffers fill, then the broker's
  for (let i = 0; i < FETCHES_PER_CONNECTION; i++) {
    ws.send(encodeRequest(2 + i, { op: "fetch", topic: "big", partition: 0, offset: 0, maxBytes: DEFAULT_LIMITS.fetchBytesMax, maxWaitMs: DEFAULT_LIMITS.fetchWaitMsMax }));
  }
  return ws;
}

test("50 paused connections pipelining maximum-size fetches: the broker stays under 512 MiB, a healthy consumer is served, the stalled are closed", { timeout: 240_000 }, async () => {
  const cluster = await TestCluster.start({
    size: 1,
    extra: {
      storage: { fsync: false },
      limits: { sendStallMs: SEND_STALL_MS, sendStallPressureMs: SEND_STALL_PRESSURE_MS },
    },
  });
  const hostile: WebSocket[] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    const pid = cluster.member(1).child?.pid;
    assert.ok(pid !== undefined);
    const admin = await WireClient.connect(cluster.url(1));
    await admin.request("createTopic", { op: "createTopic", name: "big", partitions: 1, replicationFactor: 1 });
    await admin.request("createTopic", { op: "createTopic", name: "healthy", partitions: 1, replicationFactor: 1 });
    // 24 MiB of records in 4 MB batches: every hostile fetch is answered with about fetchBytesMax.
    const value = new Uint8Array(1_000_000).fill(7);
    for (let i = 0; i < 6; i++) {
      await retrying(() => admin.request("produce", { op: "produce", topic: "big", partition: 0, acks: "all", batch: batchOf([{ value }, { value }, { value }, { value }]) }, 60_000));
    }
    await retrying(() => admin.request("produce", { op: "produce", topic: "healthy", partition: 0, acks: "all", batch: batchOf([{ value: new TextEncoder().encode("h0") }]) }));
    const baseline = rss(pid);
    let peak = baseline;
    sampler = setInterval(() => {
      const now = rss(pid);
      if (now.total > peak.total) peak = now;
    }, 25);

    const attackStarted = Date.now();
    for (let i = 0; i < HOSTILE_CONNECTIONS; i++) hostile.push(await hostileConnection(cluster.url(1)));

    // A healthy producer and consumer on connections of their own, during the attack.
    const consumer = await WireClient.connect(cluster.url(1));
    const wanted = 20;
    const producedAt: number[] = [];
    const consumedAt: number[] = [];
    const producing = (async () => {
      producedAt.push(Date.now()); // h0, written before the attack
      for (let i = 1; i < wanted; i++) {
        await admin.request("produce", { op: "produce", topic: "healthy", partition: 0, acks: "all", batch: batchOf([{ value: new TextEncoder().encode(`h${i}`) }]) });
        producedAt.push(Date.now());
        await sleep(150);
      }
    })();
    let next = 0;
    let emptyAnswers = 0;
    const deadline = Date.now() + 120_000;
    while (next < wanted && Date.now() < deadline) {
      const r = await consumer.request("fetch", { op: "fetch", topic: "healthy", partition: 0, offset: next, maxBytes: 64 * 1024, maxWaitMs: 500 }, 10_000);
      if (r.batches.length === 0) emptyAnswers++;
      for (const b of r.batches) {
        const records = batchRecords(b.data);
        for (let k = 0; k < records.length; k++) {
          if (b.baseOffset + k < next) continue;
          assert.equal(new TextDecoder().decode(records[k]!.value ?? new Uint8Array()), `h${b.baseOffset + k}`);
          consumedAt.push(Date.now());
          next = b.baseOffset + k + 1;
        }
      }
    }
    await producing;
    assert.equal(next, wanted, "the healthy consumer got every record");
    const lags = consumedAt.map((t, i) => t - producedAt[i]!);
    const healthyDoneMs = Date.now() - attackStarted;

    // Every hostile connection is closed as not reading (the broker logs each at warn).
    const logFile = cluster.member(1).logFile;
    const stallCloses = (): number => readFileSync(logFile, "utf8").split("\n").filter((l) => l.includes("client not reading")).length;
    const closeDeadline = Date.now() + 120_000;
    while (stallCloses() < HOSTILE_CONNECTIONS && Date.now() < closeDeadline) await sleep(200);
    const closedMs = Date.now() - attackStarted;
    assert.equal(stallCloses(), HOSTILE_CONNECTIONS, "every paused connection was closed as not reading");

    // After the attack: still serving, and the memory held for responses is gone.
    const after = await consumer.request("fetch", { op: "fetch", topic: "big", partition: 0, offset: 0, maxBytes: DEFAULT_LIMITS.fetchBytesMax, maxWaitMs: 0 });
    assert.ok(after.batches.length > 0);
    clearInterval(sampler);
    sampler = undefined;
    console.log(
      `# memory bound: resident baseline ${show(baseline)}, peak ${show(peak)}; healthy lag max ${Math.max(...lags)} ms (${emptyAnswers} empty answers), done at ${healthyDoneMs} ms; all ${HOSTILE_CONNECTIONS} closed at ${closedMs} ms`,
    );
    assert.ok(peak.total < RSS_BYTES_MAX, `peak resident ${show(peak)}, bound ${RSS_BYTES_MAX / MiB} MiB`);
    assert.ok(Math.max(...lags) < 30_000, `each healthy record was consumed within 30 s of its produce (max ${Math.max(...lags)} ms)`);
    admin.close();
    consumer.close();
  } finally {
    if (sampler !== undefined) clearInterval(sampler);
    for (const ws of hostile) ws.terminate();
    await cluster.stopAll();
  }
});
