/**
 * `rlog-cli consume <topic>`: read partitions by offset and print records on
 * stdout (nothing else goes to stdout).
 *
 * Where it starts, per partition: --offset N (one partition), else the log
 * start with --from-beginning, else the log start when not following
 * ("what is there now") and the end when following ("what comes next").
 * Where it ends: with --follow, never (Ctrl-C or --max-messages); without
 * it, at each partition's high watermark as of the start, resolved before
 * reading. Within a partition records come in offset order; across
 * partitions they interleave as they arrive (the SDK hands out runs of one
 * partition's records round-robin).
 */
import type { ConsumerRecord, EachBatchPayload, PartitionAssignment, RlogClient, StartFrom } from "../../client/index.js";
import { CliError, EXIT_INTERRUPTED } from "../errors.js";
import { explain, openClient, type ErrorContext } from "../session.js";
import { Output } from "./output.js";
import { appendRecord, type OutputFormat } from "./record-format.js";

/** How often partitions are checked for having reached their end without a record to show it (e.g. a gap). */
const END_CHECK_INTERVAL_MS = 200;

/** Parsed arguments of consume. */
export interface ConsumeArgs {
  readonly brokers: string;
  readonly topic: string;
  readonly fromBeginning: boolean;
  /** Start offset; needs `partition`. */
  readonly offset: number | undefined;
  /** Only this partition; all when undefined. */
  readonly partition: number | undefined;
  readonly maxMessages: number | undefined;
  readonly follow: boolean;
  readonly format: OutputFormat;
  readonly keySeparator: Buffer;
}

/** One partition being read. */
interface Reading {
  readonly partition: number;
  readonly from: StartFrom;
  /** Stop before this offset (the high watermark at the start); undefined when following. */
  readonly endOffset: number | undefined;
}

/** Read and print; sets process.exitCode to 130 after Ctrl-C. */
export async function consume(args: ConsumeArgs): Promise<void> {
  const { client, brokers } = await openClient(args.brokers);
  const ctx: ErrorContext = { brokers, topic: args.topic };
  try {
    const readings = await plan(client, args, ctx);
    await read(client, args, readings, ctx);
  } finally {
    await client.close();
  }
}

/** Which partitions to read, from where and up to where; partitions with nothing to read are left out. */
async function plan(client: RlogClient, args: ConsumeArgs, ctx: ErrorContext): Promise<Reading[]> {
  const admin = client.admin();
  const topic = await admin.describeTopic(args.topic).catch((err: unknown) => {
    throw explain(err, ctx);
  });
  const count = topic.partitions.length;
  if (args.partition !== undefined && args.partition >= count) {
    throw new CliError("UNKNOWN_PARTITION", `topic "${args.topic}" has no partition ${args.partition} (it has ${count}: 0 to ${count - 1})`);
  }
  const partitions = args.partition === undefined ? topic.partitions.map((p) => p.partition) : [args.partition];
  const needRange = !args.follow || args.offset !== undefined;
  const fromStart = args.fromBeginning || !args.follow;
  const plans = await Promise.all(
    partitions.map(async (partition): Promise<Reading | undefined> => {
      const tp = { topic: args.topic, partition };
      const pctx = { ...ctx, partition, partitions: count };
      const range = needRange
        ? await Promise.all([admin.listOffsets(tp, "earliest"), admin.listOffsets(tp, "latest")]).catch((err: unknown) => {
            throw explain(err, pctx);
          })
        : undefined;
      const logStart = range?.[0].offset ?? 0;
      const endOffset = args.follow ? undefined : range?.[1].offset;
      if (args.offset !== undefined) {
        const hw = range?.[1].offset ?? 0;
        if (args.offset < logStart || args.offset > hw) {
          throw new CliError("OFFSET_OUT_OF_RANGE", `offset ${args.offset} is outside partition ${partition} of "${args.topic}": it holds offsets ${logStart} to ${hw} (${hw} is the next to be written)`);
        }
        if (endOffset !== undefined && args.offset >= endOffset) return undefined;
        return { partition, from: { offset: args.offset }, endOffset };
      }
      if (endOffset !== undefined && logStart >= endOffset) return undefined; // empty now, and not following
      return { partition, from: fromStart ? "earliest" : "latest", endOffset };
    }),
  );
  return plans.filter((p): p is Reading => p !== undefined);
}

/** Run the consumer over `readings` until each reached its end, max-messages, or Ctrl-C. */
async function read(client: RlogClient, args: ConsumeArgs, readings: readonly Reading[], ctx: ErrorContext): Promise<void> {
  if (readings.length === 0 || args.maxMessages === 0) return;
  const output = new Output();
  const consumer = client.consumer();
  const active = new Map(readings.map((r) => [r.partition, r]));
  let printed = 0;
  let interrupted = false;
  const finish = (partition: number): void => {
    if (!active.delete(partition)) return;
    consumer.pause([{ topic: args.topic, partition }]);
    if (active.size === 0) void consumer.stop();
  };
  const onSigint = (): void => {
    if (interrupted) process.exit(EXIT_INTERRUPTED);
    interrupted = true;
    void consumer.stop();
  };
  const endCheck = setInterval(() => {
    for (const r of active.values()) {
      const position = consumer.position({ topic: args.topic, partition: r.partition });
      if (r.endOffset !== undefined && position !== undefined && position >= r.endOffset) finish(r.partition);
    }
  }, END_CHECK_INTERVAL_MS);
  process.on("SIGINT", onSigint);
  const assignments: PartitionAssignment[] = readings.map((r) => ({ topic: args.topic, partition: r.partition, from: r.from }));
  try {
    consumer.assign(assignments);
    await consumer.run({
      eachBatch: async (batch: EachBatchPayload) => {
        const reading = active.get(batch.partition);
        if (reading === undefined) return;
        const pieces: Buffer[] = [];
        let bytes = 0;
        let reachedEnd = false;
        for (const r of batch.records as readonly ConsumerRecord[]) {
          if (reading.endOffset !== undefined && r.offset >= reading.endOffset) {
            reachedEnd = true;
            break;
          }
          bytes += appendRecord(pieces, r, args.format, args.keySeparator);
          printed++;
          if (reading.endOffset !== undefined && r.offset + 1 >= reading.endOffset) reachedEnd = true;
          if (args.maxMessages !== undefined && printed >= args.maxMessages) break;
        }
        await output.write(Buffer.concat(pieces, bytes));
        if (reachedEnd) finish(batch.partition);
        if ((args.maxMessages !== undefined && printed >= args.maxMessages) || output.closed) void consumer.stop();
      },
    });
  } catch (err) {
    throw explain(err, ctx);
  } finally {
    clearInterval(endCheck);
    process.off("SIGINT", onSigint);
    await consumer.stop();
  }
  if (interrupted) process.exitCode = EXIT_INTERRUPTED;
}
