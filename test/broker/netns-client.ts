/**
 * The client side of netns.integration.test.ts, run inside the client's network
 * namespace (`ip netns exec rlog-<pid>-client node netns-client.js '<json>'`):
 * one operation through the SDK (dist/client), its result as one JSON line
 * on stdout. Exit status 1 with `{ error }` on failure.
 *
 * Operations:
 *   { op: "ready", urls, timeoutMs }              every broker answers metadata and knows a controller
 *   { op: "produce", urls, topic, records, idempotent? }  records: [{ key, value }]; -> { acked: [{ key, value, partition, offset }] }
 *   { op: "consume", urls, topic, timeoutMs }     every partition from its log start to its high watermark -> { records }
 *   { op: "transfer", urls, topic, partition, to } -> { leader }
 */
import { RlogClient } from "../../client/index.js";
import { WireClient } from "./wire-client.js";

interface Common {
  readonly urls: string[];
  readonly timeoutMs?: number;
}
type Command =
  | (Common & { readonly op: "ready" })
  | (Common & { readonly op: "produce"; readonly topic: string; readonly records: { key: string; value: string }[]; readonly idempotent?: boolean })
  | (Common & { readonly op: "consume"; readonly topic: string })
  | (Common & { readonly op: "transfer"; readonly topic: string; readonly partition: number; readonly to: number });

/** A record as the test compares them. */
export interface SeenRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  readonly value: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A client for a lab whose hosts may be cut off: a connection to a cut-off
 * broker hangs rather than fails, so connect and request timeouts are short.
 */
function client(urls: readonly string[], totalTimeoutMs: number): RlogClient {
  return new RlogClient({ brokers: [...urls], clientId: "netns-test", connectTimeoutMs: 1_500, requestTimeoutMs: 4_000, retry: { totalTimeoutMs } });
}

async function ready(cmd: Common): Promise<object> {
  const deadline = Date.now() + (cmd.timeoutMs ?? 20_000);
  for (const url of cmd.urls) {
    for (;;) {
      try {
        const c = await WireClient.connect(url);
        const md = await c.request("metadata", { op: "metadata" });
        c.close();
        if (md.controllerId !== 0) break;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`${url} not ready`);
      await sleep(100);
    }
  }
  return {};
}

async function produce(cmd: Extract<Command, { op: "produce" }>): Promise<object> {
  const c = client(cmd.urls, cmd.timeoutMs ?? 20_000);
  try {
    // Not idempotent: no producer id from the controller first, the records go straight to the partition leader.
    const producer = c.producer(cmd.idempotent === false ? { idempotent: false, ackTimeoutMs: 2_000 } : {});
    const metas = await producer.send({ topic: cmd.topic, messages: cmd.records.map((r) => ({ key: r.key, value: r.value })) });
    return { acked: metas.map((m, i) => ({ ...cmd.records[i], partition: m.partition, offset: m.offset })) };
  } finally {
    await c.close();
  }
}

async function consume(cmd: Extract<Command, { op: "consume" }>): Promise<object> {
  const c = client(cmd.urls, cmd.timeoutMs ?? 20_000);
  try {
    const admin = c.admin();
    const partitions = (await admin.describeTopic(cmd.topic)).partitions.map((p) => p.partition);
    const ends = new Map<number, number>();
    for (const p of partitions) ends.set(p, (await admin.listOffsets({ topic: cmd.topic, partition: p }, "latest")).offset);
    const records: SeenRecord[] = [];
    const wanted = [...ends.entries()].filter(([, end]) => end > 0);
    if (wanted.length > 0) {
      const consumer = c.consumer();
      consumer.assign(wanted.map(([partition]) => ({ topic: cmd.topic, partition, from: "earliest" as const })));
      const done = new Set<number>();
      for await (const r of consumer.records()) {
        const end = ends.get(r.partition)!;
        if (r.offset < end) records.push({ partition: r.partition, offset: r.offset, key: r.key?.toString() ?? "", value: String(r.value) });
        if (r.offset >= end - 1) done.add(r.partition);
        if (done.size === wanted.length) break;
      }
      await consumer.stop();
    }
    return { records, ends: Object.fromEntries(ends) };
  } finally {
    await c.close();
  }
}

async function transfer(cmd: Extract<Command, { op: "transfer" }>): Promise<object> {
  const c = client(cmd.urls, cmd.timeoutMs ?? 20_000);
  try {
    const r = await c.admin().transferLeader({ topic: cmd.topic, partition: cmd.partition, toBrokerId: cmd.to, timeoutMs: 5_000 });
    return { leader: r.leader };
  } finally {
    await c.close();
  }
}

async function main(): Promise<object> {
  const cmd = JSON.parse(process.argv[2] ?? "{}") as Command;
  switch (cmd.op) {
    case "ready":
      return ready(cmd);
    case "produce":
      return produce(cmd);
    case "consume":
      return consume(cmd);
    case "transfer":
      return transfer(cmd);
    default:
      throw new Error(`unknown op ${JSON.stringify((cmd as { op?: unknown }).op)}`);
  }
}

main().then(
  (result) => {
    process.stdout.write(JSON.stringify(result) + "\n");
    process.exit(0);
  },
  (err: unknown) => {
    const e = err as { codeName?: string; message?: string };
    process.stdout.write(JSON.stringify({ error: `${e.codeName ?? "ERROR"}: ${e.message ?? String(err)}` }) + "\n");
    process.exit(1);
  },
);
