/**
 * `rlog-cli consume <topic> --group G`: read the partitions the group's
 * coordinator assigns this process, print their records, and commit what
 * was printed, so the next run in the same group starts right after.
 *
 * - Start: a partition's committed offset; without one, the log start with
 *   --from-beginning or when not following, the end when following (the
 *   same rule as without a group).
 * - End: --max-messages, Ctrl-C (exit 130), a closed stdout, or, without
 *   --follow, once every partition assigned to this process has been
 *   printed up to the high watermark of its last fetch.
 * - On the way out the consumer commits the offset after the last printed
 *   record of each partition and leaves the group (its partitions go to the
 *   other members at once). While running it also commits every 5 s.
 */
import type { ConsumerRecord, GroupEachBatchPayload } from "../../client/index.js";
import { CliError, EXIT_INTERRUPTED } from "../errors.js";
import { explain, openClient, type ErrorContext } from "../session.js";
import { Output } from "./output.js";
import { appendRecord, type OutputFormat } from "./record-format.js";

/** How often the end is checked when not following. */
const END_CHECK_INTERVAL_MS = 200;

/** Parsed arguments of consume --group. */
export interface GroupConsumeArgs {
  readonly brokers: string;
  readonly topic: string;
  readonly group: string;
  readonly fromBeginning: boolean;
  readonly maxMessages: number | undefined;
  readonly follow: boolean;
  readonly format: OutputFormat;
  readonly keySeparator: Buffer;
}

/** Read as a group member and print; sets process.exitCode to 130 after Ctrl-C. */
export async function groupConsume(args: GroupConsumeArgs): Promise<void> {
  const { client, brokers } = await openClient(args.brokers);
  const ctx: ErrorContext = { brokers, topic: args.topic };
  try {
    await client
      .admin()
      .describeTopic(args.topic)
      .catch((err: unknown) => {
        throw explain(err, ctx);
      });
    if (args.maxMessages === 0) return;
    const output = new Output();
    const consumer = client.consumer({ groupId: args.group });
    consumer.subscribe({ topics: [args.topic], fromBeginning: args.fromBeginning || !args.follow });
    let printed = 0;
    let interrupted = false;
    const onSigint = (): void => {
      if (interrupted) process.exit(EXIT_INTERRUPTED);
      interrupted = true;
      void consumer.stop();
    };
    const endCheck = args.follow
      ? undefined
      : setInterval(() => {
          if (!consumer.isStable) return;
          const done = consumer.positions().every((p) => p.position !== undefined && p.highWatermark !== undefined && p.position >= p.highWatermark);
          if (done) void consumer.stop();
        }, END_CHECK_INTERVAL_MS);
    process.on("SIGINT", onSigint);
    try {
      await consumer.run({
        eachBatch: async (batch: GroupEachBatchPayload) => {
          const pieces: Buffer[] = [];
          let bytes = 0;
          let last: number | undefined;
          for (const r of batch.records as readonly ConsumerRecord[]) {
            if (args.maxMessages !== undefined && printed >= args.maxMessages) break;
            bytes += appendRecord(pieces, r, args.format, args.keySeparator);
            printed++;
            last = r.offset;
          }
          await output.write(Buffer.concat(pieces, bytes));
          // Only what reached stdout counts as processed (first offset - 1: nothing).
          batch.resolveOffset(last !== undefined && !output.closed ? last : batch.records[0]!.offset - 1);
          if ((args.maxMessages !== undefined && printed >= args.maxMessages) || output.closed) void consumer.stop();
        },
      });
    } catch (err) {
      throw err instanceof CliError ? err : explain(err, ctx);
    } finally {
      if (endCheck !== undefined) clearInterval(endCheck);
      process.off("SIGINT", onSigint);
      await consumer.stop();
    }
    if (interrupted) process.exitCode = EXIT_INTERRUPTED;
  } finally {
    await client.close();
  }
}
