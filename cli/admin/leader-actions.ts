/** What `rlog-cli leader transfer` and `leader rebalance` do. */
import { CliError } from "../errors.js";
import { explain, openClient } from "../session.js";
import { formatTable } from "../table.js";
import { usageError } from "../options.js";

/** Parsed arguments of `leader transfer`. */
export interface TransferArgs {
  readonly brokers: string;
  readonly topic: string;
  readonly partition: number;
  /** Target broker; the most preferred caught-up replica when undefined. */
  readonly to: number | undefined;
  readonly timeoutMs: number;
  readonly json: boolean;
}

/** Move one partition's leadership and print where it landed. */
export async function transferLeader(args: TransferArgs): Promise<void> {
  const { client, brokers } = await openClient(args.brokers);
  const ctx = { brokers, topic: args.topic, partition: args.partition };
  try {
    const admin = client.admin();
    const topic = await admin.describeTopic(args.topic);
    const p = topic.partitions.find((x) => x.partition === args.partition);
    if (p === undefined) {
      const n = topic.partitions.length;
      throw new CliError("UNKNOWN_PARTITION", `topic "${args.topic}" has no partition ${args.partition} (it has ${n}: 0 to ${n - 1})`);
    }
    if (args.to !== undefined && !p.replicas.includes(args.to)) {
      throw usageError(`--to ${args.to}: broker ${args.to} holds no replica of ${args.topic}/${args.partition} (replicas: ${p.replicas.join(", ")})`);
    }
    const from = p.leader;
    const r = await admin.transferLeader({
      topic: args.topic,
      partition: args.partition,
      timeoutMs: args.timeoutMs,
      ...(args.to === undefined ? {} : { toBrokerId: args.to }),
    });
    if (args.json) {
      process.stdout.write(JSON.stringify({ topic: args.topic, partition: args.partition, fromBrokerId: from, leader: r.leader, term: r.term }) + "\n");
    } else {
      const was = from === 0 ? "" : from === r.leader ? ` (it already was)` : ` (was broker ${from})`;
      process.stdout.write(`${args.topic}/${args.partition}: leader is now broker ${r.leader}, term ${r.term}${was}\n`);
    }
  } catch (err) {
    throw explain(err, ctx);
  } finally {
    await client.close();
  }
}

/** Ask the controller to move leaders back to their preferred replicas, and print the moves it started. */
export async function rebalanceLeaders(args: { readonly brokers: string; readonly topic: string | undefined; readonly json: boolean }): Promise<void> {
  const { client, brokers } = await openClient(args.brokers);
  const ctx = args.topic === undefined ? { brokers } : { brokers, topic: args.topic };
  try {
    const admin = client.admin();
    if (args.topic !== undefined) await admin.describeTopic(args.topic); // the broker ignores an unknown topic here; say so instead
    const moves = await admin.rebalanceLeaders(args.topic === undefined ? {} : { topic: args.topic });
    if (args.json) {
      process.stdout.write(JSON.stringify({ moves }) + "\n");
    } else if (moves.length === 0) {
      process.stdout.write(`every partition${args.topic === undefined ? "" : ` of ${args.topic}`} is led by its preferred replica (or has no leader); nothing to move\n`);
    } else {
      const rows = moves.map((m) => [m.topic, String(m.partition), String(m.fromBrokerId), String(m.toBrokerId)]);
      process.stdout.write(`started ${moves.length} leadership transfer${moves.length === 1 ? "" : "s"} (they finish in the background; watch with: rlog-cli cluster status)\n`);
      process.stdout.write(formatTable(["TOPIC", "PARTITION", "FROM", "TO"], rows));
    }
  } catch (err) {
    throw explain(err, ctx);
  } finally {
    await client.close();
  }
}
