/**
 * Helpers for the Kafka-protocol integration tests: polling for a
 * condition, waiting for a topic's leaders, reading whole partitions back
 * with rlog's own SDK (the cross-protocol check), and one raw Kafka request
 * over a socket for what no Kafka client sends on purpose (bad acks, a
 * transactional id, a request to a chosen broker).
 */
import { connect } from "node:net";
import type { ConsumerRecord, RlogClient } from "../../client/index.js";
import { KafkaReader } from "../../broker/kafka/kafka-reader.js";
import { KafkaWriter } from "../../broker/kafka/kafka-writer.js";
import { readFileSync } from "node:fs";
import { sleep, type TestCluster } from "../broker/cluster-harness.js";

/** Poll `check` every 50 ms until it returns a value other than undefined; fail after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Poll `check` every 100 ms until it holds; fail naming `what` after `ms`. */
export async function untilTrue(what: string, ms: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** Broker `id`'s resident set size in bytes, from /proc/<pid>/status. */
export function brokerRssBytes(cluster: TestCluster, id: number): number {
  const pid = cluster.member(id).child?.pid;
  if (pid === undefined) throw new Error(`broker ${id} is not running`);
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  if (line === undefined) throw new Error(`no VmRSS for broker ${id}`);
  return Number(/(\d+)/.exec(line)![1]) * 1024;
}

/** Wait until every partition of `topic` has a leader; returns the leaders by partition. */
export async function leadersOf(client: RlogClient, topic: string): Promise<number[]> {
  return until(`leaders of ${topic}`, async () => {
    const t = await client.admin().describeTopic(topic);
    return t.partitions.every((p) => p.leader !== 0) ? t.partitions.map((p) => p.leader) : undefined;
  });
}

/** Every record of partitions 0..partitions-1 of `topic`, up to each one's latest offset, read with rlog's SDK consumer. */
export async function readPartitions(client: RlogClient, topic: string, partitions: number): Promise<ConsumerRecord[][]> {
  const ends: number[] = [];
  for (let p = 0; p < partitions; p++) {
    ends.push(await until(`latest offset of ${topic}/${p}`, async () => (await client.admin().listOffsets({ topic, partition: p }, "latest")).offset));
  }
  const out: ConsumerRecord[][] = ends.map(() => []);
  const total = ends.reduce((a, b) => a + b, 0);
  if (total === 0) return out;
  const consumer = client.consumer({ maxWaitMs: 100 });
  consumer.assign(ends.map((_, partition) => ({ topic, partition, from: "earliest" as const })));
  let got = 0;
  try {
    for await (const r of consumer.records()) {
      if (r.offset < ends[r.partition]!) {
        out[r.partition]!.push(r);
        got++;
      }
      if (got === total) break;
    }
  } finally {
    await consumer.stop();
  }
  return out;
}

/** Bytes of a Kafka response's body (after its correlation id) from one request sent to `hostPort`. */
export async function kafkaRequest(hostPort: string, apiKey: number, version: number, body: (w: KafkaWriter) => void, clientId = "rlog-test"): Promise<KafkaReader> {
  const w = new KafkaWriter().int16(apiKey).int16(version).int32(7).string(clientId);
  body(w);
  const chunks = w.finish();
  const size = chunks.reduce((n, c) => n + c.byteLength, 0);
  const head = Buffer.alloc(4);
  head.writeInt32BE(size);
  const [host, port] = hostPort.split(":");
  return new Promise<KafkaReader>((resolve, reject) => {
    const socket = connect({ host: host!, port: Number(port) });
    const got: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${hostPort} within 15 s`));
    }, 15_000);
    socket.on("connect", () => socket.write(Buffer.concat([head, ...chunks])));
    socket.on("data", (d: Buffer) => {
      got.push(d);
      const all = Buffer.concat(got);
      if (all.byteLength < 4 || all.byteLength < 4 + all.readInt32BE(0)) return;
      clearTimeout(timer);
      socket.destroy();
      if (all.readInt32BE(4) !== 7) return reject(new Error("wrong correlation id"));
      resolve(new KafkaReader(all.subarray(8, 4 + all.readInt32BE(0))));
    });
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
