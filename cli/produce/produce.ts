/**
 * `rlog-cli produce <topic>`: one record per input line, sent through the
 * SDK producer without waiting for each send.
 *
 * Flow: the input (stdin or --file) is read chunk by chunk; each chunk's
 * complete lines become one `producer.send()` (so an interactive line goes
 * out at once, and a pipe goes out in chunk-sized sends that the producer
 * batches per partition). At most SENDS_OUTSTANDING_MAX sends holding at most
 * RECORDS_OUTSTANDING_MAX records and BYTES_OUTSTANDING_MAX bytes are
 * pending; past that the loop waits, which
 * stops reading the input (back-pressure all the way to the writer of the
 * pipe). The producer keeps its own byte bound (bufferBytesMax) on top.
 *
 * Ctrl-C (SIGINT) stops reading, waits for every line already read to be
 * acknowledged (a partial last line is dropped), prints the summary and
 * exits 130; a second Ctrl-C exits at once. See docs/CLI.md.
 */
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import type { Acks, CompressionName, ProducerMessage } from "../../client/index.js";
import { CliError, errorCode, EXIT_FAILURE, EXIT_INTERRUPTED } from "../errors.js";
import { formatBytes, formatCount, ProgressLine } from "../progress.js";
import { explain, openClient } from "../session.js";
import { LineSplitter, splitKey } from "./line-splitter.js";

/**
 * Reading pauses while this many sends await their acknowledgement... A terminal
 * delivers one line per read, so a send may hold a single record: the count
 * must be large enough to keep the producer's batches full even then.
 */
const SENDS_OUTSTANDING_MAX = 1_024;
/**
 * ...or while the sends awaiting acknowledgement hold this many records (each
 * costs the SDK a few objects and promises until acknowledged)...
 */
const RECORDS_OUTSTANDING_MAX = 16_384;
/** ...or this many bytes of lines (pipes deliver 64 KiB chunks). */
const BYTES_OUTSTANDING_MAX = 8 * 1024 * 1024;
/** Most lines in one send(): bounds what one pending send holds. */
const SEND_MESSAGES_MAX = 4_096;
/** Longest input line; longer ones cannot be records anyway (a record must fit in one frame). */
export const LINE_BYTES_MAX = 32 * 1024 * 1024;
/** Read size of the input. */
const READ_CHUNK_BYTES = 64 * 1024;

/** Parsed arguments of produce. */
export interface ProduceArgs {
  readonly brokers: string;
  readonly topic: string;
  /** Input file; stdin when undefined. */
  readonly file: string | undefined;
  /** Split each line into key and value at the first occurrence; no keys when undefined. */
  readonly keySeparator: Buffer | undefined;
  readonly acks: Acks;
  /** Codec of each batch. */
  readonly compression: CompressionName;
  readonly partition: number | undefined;
  readonly json: boolean;
}

/** Counters of one run. */
interface Totals {
  /** Lines read and handed to the producer. */
  read: number;
  /** Records acknowledged, and their key + value bytes. */
  acked: number;
  ackedBytes: number;
  /** Input bytes consumed, for the progress bar of a file. */
  inputBytes: number;
}

/** Read lines, send them, print the summary; sets process.exitCode (130 after Ctrl-C). */
export async function produce(args: ProduceArgs): Promise<void> {
  const { client, brokers } = await openClient(args.brokers);
  const ctx = { brokers, topic: args.topic };
  let interrupted = false;
  let input: Readable | undefined;
  const onSigint = (): void => {
    if (interrupted) process.exit(EXIT_INTERRUPTED); // second Ctrl-C: do not wait for the flush
    interrupted = true;
    input?.destroy();
  };
  process.on("SIGINT", onSigint);
  const totals: Totals = { read: 0, acked: 0, ackedBytes: 0, inputBytes: 0 };
  const startedMs = performance.now();
  let progress: ProgressLine | undefined;
  try {
    const topic = await client.admin().describeTopic(args.topic).catch((err: unknown) => {
      throw explain(err, ctx);
    });
    const partitions = topic.partitions.length;
    if (args.partition !== undefined && args.partition >= partitions) {
      throw new CliError("UNKNOWN_PARTITION", `topic "${args.topic}" has no partition ${args.partition} (it has ${partitions}: 0 to ${partitions - 1})`);
    }
    const inputSize = args.file === undefined ? undefined : await fileSize(args.file);
    input = args.file === undefined ? process.stdin : createReadStream(args.file, { highWaterMark: READ_CHUNK_BYTES });
    if (interrupted) input.destroy();
    progress = new ProgressLine(() => snapshot(totals, startedMs, inputSize));
    progress.start();
    const producer = client.producer({ acks: args.acks, compression: args.compression });
    let failure: unknown;
    const pending = new Set<Promise<void>>();
    let pendingBytes = 0;
    let pendingRecords = 0;
    const send = (messages: ProducerMessage[], bytes: number): void => {
      pendingBytes += bytes;
      pendingRecords += messages.length;
      const p: Promise<void> = producer.send({ topic: args.topic, messages }).then(
        () => {
          totals.acked += messages.length;
          totals.ackedBytes += bytes;
        },
        (err: unknown) => {
          failure ??= err;
          input?.destroy();
        },
      );
      const tracked = p.finally(() => {
        pending.delete(tracked);
        pendingBytes -= bytes;
        pendingRecords -= messages.length;
      });
      pending.add(tracked);
    };
    const splitter = new LineSplitter(LINE_BYTES_MAX);
    let batch: ProducerMessage[] = [];
    let batchBytes = 0;
    const take = (line: Buffer): void => {
      let message: ProducerMessage;
      if (args.keySeparator === undefined) {
        message = args.partition === undefined ? { value: line } : { value: line, partition: args.partition };
      } else {
        const kv = splitKey(line, args.keySeparator);
        if (kv === undefined) {
          throw new CliError("INVALID_INPUT", `line ${totals.read + 1} has no key separator ${JSON.stringify(args.keySeparator.toString("utf8"))}; with --key-separator every line must be KEY<separator>VALUE`);
        }
        message = args.partition === undefined ? kv : { ...kv, partition: args.partition };
      }
      batch.push(message);
      batchBytes += args.keySeparator === undefined ? line.length : line.length - args.keySeparator.length;
      totals.read++;
      if (batch.length >= SEND_MESSAGES_MAX) flushBatch();
    };
    const flushBatch = (): void => {
      if (batch.length === 0) return;
      send(batch, batchBytes);
      batch = [];
      batchBytes = 0;
    };
    let inputError: unknown;
    try {
      for await (const chunk of input) {
        const buf = chunk as Buffer;
        totals.inputBytes += buf.length;
        for (const line of splitter.push(buf)) take(line);
        flushBatch();
        while (pending.size >= SENDS_OUTSTANDING_MAX || pendingRecords >= RECORDS_OUTSTANDING_MAX || pendingBytes >= BYTES_OUTSTANDING_MAX) {
          await Promise.race(pending);
        }
        if (failure !== undefined || interrupted) break;
      }
      if (!interrupted && failure === undefined) {
        const last = splitter.end();
        if (last !== undefined) take(last);
      }
    } catch (err) {
      // Destroying the input on Ctrl-C or after a failed send ends the loop with an error: expected.
      if (!interrupted && failure === undefined) inputError = err;
    } finally {
      flushBatch();
    }
    await Promise.all(pending);
    await producer.close();
    progress.stop();
    const error = failure ?? inputError;
    if (error === undefined || args.json) printSummary(args, totals, startedMs, interrupted, error !== undefined, splitter.pendingBytes);
    if (error !== undefined) {
      // One line: what went wrong, and how much got in before it.
      const explained = explain(error, ctx);
      const message = explained instanceof Error ? explained.message : String(explained);
      throw new CliError(errorCode(explained), `${message} (${formatCount(totals.acked)} record${totals.acked === 1 ? " was" : "s were"} produced before it)`, EXIT_FAILURE);
    }
    if (interrupted) process.exitCode = EXIT_INTERRUPTED;
  } finally {
    progress?.stop();
    process.off("SIGINT", onSigint);
    if (input === process.stdin) process.stdin.destroy(); // an unread stdin must not keep the process alive
    await client.close();
  }
}

async function fileSize(file: string): Promise<number> {
  const { stat } = await import("node:fs/promises");
  try {
    return (await stat(file)).size;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new CliError(typeof code === "string" ? code : "INVALID_ARGUMENT", `--file ${file}: ${code === "ENOENT" ? "no such file" : String(err)}`, EXIT_FAILURE);
  }
}

function snapshot(t: Totals, startedMs: number, inputSize: number | undefined): { fraction?: number; text: string } {
  const seconds = (performance.now() - startedMs) / 1000;
  const text = `${formatCount(t.acked)} records sent  ${formatBytes(t.ackedBytes)}  ${formatCount(t.acked / Math.max(seconds, 0.001))} records/s`;
  return inputSize === undefined || inputSize === 0 ? { text } : { fraction: t.inputBytes / inputSize, text };
}

/** The summary: one line on stderr (not after a failure: the error line says it), or JSON on stdout with --json. */
function printSummary(args: ProduceArgs, t: Totals, startedMs: number, interrupted: boolean, failed: boolean, droppedBytes: number): void {
  const seconds = (performance.now() - startedMs) / 1000;
  const rate = t.acked / Math.max(seconds, 0.001);
  if (args.json) {
    const summary = { topic: args.topic, records: t.acked, bytes: t.ackedBytes, seconds: round3(seconds), recordsPerSecond: Math.round(rate), interrupted, failed };
    process.stdout.write(JSON.stringify(summary) + "\n");
    return;
  }
  const what = `${formatCount(t.acked)} records (${formatBytes(t.ackedBytes)}) to ${args.topic} in ${seconds.toFixed(2)} s, ${formatCount(rate)} records/s`;
  const prefix = interrupted ? "interrupted: produced" : "produced";
  const dropped = interrupted && droppedBytes > 0 ? `; an incomplete last line (${droppedBytes} bytes) was not sent` : "";
  process.stderr.write(`${prefix} ${what}${dropped}\n`);
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
