/**
 * One producer client in a process of its own, for the many-producers
 * workload: with 16 clients in the bench process its one thread would be the
 * bottleneck on a 2-core machine, so each client gets its own event loop
 * (as separate applications would have).
 *
 * Started by fork() with its settings as JSON in argv[2]. Over IPC it says
 * `ready` once its warm-up record is acknowledged, starts writing on `go`
 * (the produce workload's way: throughput-writer.ts) for `seconds`, and
 * answers `done` with its tally, then exits. It exits at once if the parent
 * goes away, and on its own after `lifeSecondsMax` whatever happens.
 */
import { RlogClient } from "../client/index.js";
import { readFileSync } from "node:fs";
import { producerCompression, type Compression } from "./compression.js";
import { valuePool, type ValueKind } from "./record-value.js";
import { newTally, VALUE_POOL, writeRecords } from "./throughput-writer.js";
import { nowMs } from "./time.js";

/** What the parent passes in argv[2]. */
export interface ProducerChildSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly topic: string;
  readonly writer: number;
  readonly recordBytes: number;
  readonly values: ValueKind;
  readonly compression: Compression;
  readonly acks: "all" | "leader";
  readonly lingerMs: number;
  readonly batchBytesMax: number;
  readonly sendRecords: number;
  /** How long to write after `go`. */
  readonly seconds: number;
  /** The child ends itself after this long in any case. */
  readonly lifeSecondsMax: number;
  /** PEM file of the cluster's CA when it has TLS on. */
  readonly caFile?: string;
  /** --secure: the SCRAM login (the process argument carries it; the bench's own children only). */
  readonly login?: { readonly username: string; readonly password: string };
}

/** Messages from the child. */
export type ChildMessage =
  | { readonly type: "ready" }
  | { readonly type: "done"; readonly acked: number; readonly failed: number; readonly timedOut: boolean; readonly error: string | undefined }
  | { readonly type: "error"; readonly message: string };

/** Messages to the child. */
export type ParentMessage = { readonly type: "go" };

function send(m: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) resolve();
    else process.send(m, undefined, {}, () => resolve());
  });
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function main(): Promise<void> {
  const s = JSON.parse(process.argv[2] ?? "{}") as ProducerChildSettings;
  setTimeout(() => process.exit(3), s.lifeSecondsMax * 1000).unref();
  process.on("disconnect", () => process.exit(2));
  const client = new RlogClient({
    brokers: [...s.brokers],
    clientId: s.clientId,
    ...(s.caFile === undefined ? {} : { tls: { ca: readFileSync(s.caFile) } }),
    ...(s.login === undefined ? {} : { sasl: { mechanism: "scram-sha-256" as const, ...s.login } }),
  });
  try {
    const producer = client.producer({ acks: s.acks, lingerMs: s.lingerMs, batchBytesMax: s.batchBytesMax, ...producerCompression(s.compression) });
    const pool = valuePool(s.values, s.recordBytes, s.writer, VALUE_POOL);
    const go = new Promise<void>((resolve) => process.on("message", (m: ParentMessage) => m.type === "go" && resolve()));
    await producer.send({ topic: s.topic, messages: [{ value: pool[0]! }] });
    await send({ type: "ready" });
    await go;
    const tally = newTally();
    await writeRecords(producer, { topic: s.topic, pool, records: Number.MAX_SAFE_INTEGER, sendRecords: s.sendRecords, deadlineMs: nowMs() + s.seconds * 1000 }, tally);
    await send({ type: "done", acked: tally.acked, failed: tally.failed, timedOut: tally.timedOut, error: tally.firstError === undefined ? undefined : message(tally.firstError) });
  } catch (err) {
    await send({ type: "error", message: message(err) });
  } finally {
    await Promise.race([client.close(), new Promise((r) => setTimeout(r, 5_000).unref())]);
  }
  process.exit(0);
}

void main();
