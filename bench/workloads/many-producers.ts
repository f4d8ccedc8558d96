/**
 * Many producers: for each client count N (1, 4, 16 by default), N producer
 * clients, each in its own child process (producer-child.ts) with its own
 * connections, write to a fresh topic (the produce workload's shape:
 * `partitions` partitions, SDK producer with the produce settings, 100-record
 * send() calls, 64 outstanding) for the same fixed time. In-process clients
 * would share the bench's one thread, which on a 2-core machine would be the
 * bottleneck at 16; child processes still share the machine's cores with the
 * brokers, as clients on the same host do.
 *
 * The clock starts when every child has had its warm-up record acknowledged
 * and is told to go, and stops when the last child has had its last record
 * acknowledged. Every wait is bounded; a count whose children fail is
 * reported with its error and the next count runs.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { trackChild } from "../cleanup.js";
import type { Compression } from "../compression.js";
import type { BenchContext } from "../context.js";
import type { ChildMessage, ProducerChildSettings } from "../producer-child.js";
import type { ValueKind } from "../record-value.js";
import { nowMs } from "../time.js";

const CHILD_JS = fileURLToPath(new URL("../producer-child.js", import.meta.url));
/** How long the children may take to start, connect and have their warm-up record acknowledged. */
const READY_MS_MAX = 60_000;
/** How long the outstanding sends may take to settle after the writing time. */
const DRAIN_MS_MAX = 30_000;

/** Settings of the many-producers workload. */
export interface ManyProducersSettings {
  readonly topicPrefix: string;
  readonly clientCounts: readonly number[];
  readonly seconds: number;
  readonly recordBytes: number;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly acks: "all" | "leader";
  readonly lingerMs: number;
  readonly batchBytesMax: number;
  readonly sendRecords: number;
  readonly values: ValueKind;
  readonly compression: Compression;
  /** Where the clients run. */
  readonly clientProcesses: "one child process per client";
}

/** One client count's figures, or why there are none. */
export interface ManyProducersRun {
  readonly clients: number;
  readonly topic: string;
  /** Records acknowledged in the timed part, all clients. */
  readonly records: number | null;
  readonly seconds: number | null;
  readonly recordsPerSec: number | null;
  readonly mbPerSec: number | null;
  readonly failedRecords: number | null;
  /** Records/s of the slowest and fastest client (how fair the cluster was). */
  readonly clientRecordsPerSecMin: number | null;
  readonly clientRecordsPerSecMax: number | null;
  readonly error?: string;
}

/** Figures of the many-producers workload. */
export interface ManyProducersResult {
  readonly settings: ManyProducersSettings;
  readonly runs: readonly ManyProducersRun[];
  /** The best records/s over the counts that ran (null if none did). */
  readonly recordsPerSecMax: number | null;
}

/** A child producer and what it has said. */
class ChildProducer {
  readonly child: ChildProcess;
  private readonly ready: Promise<Extract<ChildMessage, { type: "ready" }>>;
  private readonly done: Promise<Extract<ChildMessage, { type: "done" }>>;
  doneAtMs = 0;

  constructor(settings: ProducerChildSettings) {
    // execArgv []: a bench run under --cpu-prof or --inspect must not pass it on to every client.
    this.child = fork(CHILD_JS, [JSON.stringify(settings)], { execArgv: [], stdio: ["ignore", "ignore", "pipe", "ipc"] });
    trackChild(this.child);
    let stderr = "";
    this.child.stderr?.on("data", (d: Buffer) => {
      if (stderr.length < 4_000) stderr += d.toString();
    });
    const exited = new Promise<never>((_, reject) =>
      this.child.once("exit", (code, signal) => reject(new Error(`producer ${settings.writer} exited (${signal ?? code})${stderr === "" ? "" : `: ${stderr.trim().split("\n").slice(-3).join(" | ")}`}`))),
    );
    exited.catch(() => undefined);
    const said = <T extends ChildMessage["type"]>(type: T): Promise<Extract<ChildMessage, { type: T }>> =>
      Promise.race([
        new Promise<Extract<ChildMessage, { type: T }>>((resolve, reject) =>
          this.child.on("message", (m: ChildMessage) => {
            if (m.type === "error") reject(new Error(`producer ${settings.writer}: ${m.message}`));
            else if (m.type === type) resolve(m as Extract<ChildMessage, { type: T }>);
          }),
        ),
        exited,
      ]);
    this.ready = said("ready");
    this.done = said("done").then((m) => {
      this.doneAtMs = nowMs();
      return m;
    });
    this.ready.catch(() => undefined);
    this.done.catch(() => undefined);
  }

  whenReady(): Promise<Extract<ChildMessage, { type: "ready" }>> {
    return this.ready;
  }

  go(): void {
    this.child.send({ type: "go" });
  }

  whenDone(): Promise<Extract<ChildMessage, { type: "done" }>> {
    return this.done;
  }

  /** End the process if it is still running, and wait (bounded) until it has. */
  async end(): Promise<void> {
    const c = this.child;
    if (c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((resolve) => c.once("exit", resolve));
    const kill = setTimeout(() => c.kill("SIGKILL"), 5_000);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
    clearTimeout(kill);
  }
}

/** `promise`, or a rejection saying `what` after `ms`. */
function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Run one client count. */
async function runCount(ctx: BenchContext, s: ManyProducersSettings, clients: number): Promise<ManyProducersRun> {
  const topic = `${s.topicPrefix}-${clients}`;
  const none = { records: null, seconds: null, recordsPerSec: null, mbPerSec: null, failedRecords: null, clientRecordsPerSecMin: null, clientRecordsPerSecMax: null };
  const children: ChildProducer[] = [];
  try {
    await ctx.createTopic(topic, s.partitions);
    ctx.progress.update("many-producers", `${clients} client(s): starting processes`, true);
    for (let w = 0; w < clients; w++) {
      children.push(
        new ChildProducer({
          brokers: ctx.cluster.urls,
          clientId: `rlog-bench-many-${clients}-${w}`,
          topic,
          writer: w,
          recordBytes: s.recordBytes,
          values: s.values,
          compression: s.compression,
          acks: s.acks,
          lingerMs: s.lingerMs,
          batchBytesMax: s.batchBytesMax,
          sendRecords: s.sendRecords,
          seconds: s.seconds,
          lifeSecondsMax: (READY_MS_MAX + DRAIN_MS_MAX) / 1000 + s.seconds + 30,
          ...(ctx.cluster.clientTls === undefined ? {} : { caFile: ctx.cluster.clientTls.caFile }),
          ...(ctx.cluster.clientTls?.login === undefined ? {} : { login: ctx.cluster.clientTls.login }),
        }),
      );
    }
    await bounded(Promise.all(children.map((c) => c.whenReady())), READY_MS_MAX, `not every one of ${clients} producer processes was ready`);
    ctx.progress.update("many-producers", `${clients} client(s): writing for ${s.seconds} s`, true);
    const start = nowMs();
    for (const c of children) c.go();
    const done = await bounded(Promise.all(children.map((c) => c.whenDone())), s.seconds * 1000 + DRAIN_MS_MAX, `not every one of ${clients} producers finished`);
    const seconds = (Math.max(...children.map((c) => c.doneAtMs)) - start) / 1000;
    const records = done.reduce((a, d) => a + d.acked, 0);
    const perClient = children.map((c, k) => done[k]!.acked / ((c.doneAtMs - start) / 1000));
    const firstError = done.find((d) => d.error !== undefined)?.error;
    if (records === 0) throw new Error(firstError ?? "no record acknowledged");
    ctx.progress.done("many-producers", `${clients} client(s): ${Math.round(records / seconds).toLocaleString("en-US")} rec/s`);
    return {
      clients,
      topic,
      records,
      seconds,
      recordsPerSec: records / seconds,
      mbPerSec: (records * s.recordBytes) / seconds / 1e6,
      failedRecords: done.reduce((a, d) => a + d.failed, 0),
      clientRecordsPerSecMin: Math.min(...perClient),
      clientRecordsPerSecMax: Math.max(...perClient),
      ...(firstError === undefined ? {} : { error: `some sends failed: ${firstError}` }),
    };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    ctx.progress.done("many-producers", `${clients} client(s): FAILED: ${error}`);
    return { clients, topic, ...none, error };
  } finally {
    await Promise.all(children.map((c) => c.end()));
  }
}

/** Run every client count in order. */
export async function runManyProducers(ctx: BenchContext): Promise<ManyProducersResult> {
  const o = ctx.options;
  const settings: ManyProducersSettings = {
    topicPrefix: ctx.topicName("many-producers"),
    clientCounts: o.producerCounts,
    seconds: o.manyProducersSeconds,
    recordBytes: o.recordBytes,
    partitions: o.partitions,
    replicationFactor: ctx.replicationFactor,
    acks: o.acks,
    lingerMs: o.lingerMs,
    batchBytesMax: o.batchBytesMax,
    sendRecords: o.sendRecords,
    values: o.values,
    compression: o.compression,
    clientProcesses: "one child process per client",
  };
  const runs: ManyProducersRun[] = [];
  for (const n of settings.clientCounts) runs.push(await runCount(ctx, settings, n));
  const rates = runs.flatMap((r) => (r.recordsPerSec === null ? [] : [r.recordsPerSec]));
  if (rates.length === 0) throw new Error(`no client count ran: ${runs.map((r) => `${r.clients}: ${r.error ?? "?"}`).join("; ")}`);
  return { settings, runs, recordsPerSecMax: Math.max(...rates) };
}
