/**
 * What `rlog-cli partition reassign|reassignments` and `broker decommission`
 * do once their arguments are parsed (docs/OPERATIONS.md).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Admin, ReassignmentMove, RecordedReassignment, ReassignmentStatus } from "../../client/index.js";
import { CliError } from "../errors.js";
import { explain, openClient } from "../session.js";
import { formatTable } from "../table.js";

/** How often --wait asks how the moves are going. */
export const REASSIGN_WAIT_POLL_MS = 500;

/** Parsed arguments of `partition reassign`. */
export interface ReassignArgs {
  readonly brokers: string;
  readonly moves: readonly ReassignmentMove[];
  /** Wait at most this long for the moves to complete; undefined: do not wait. */
  readonly waitMs: number | undefined;
  readonly json: boolean;
}

/** Parsed arguments of `broker decommission`. */
export interface DecommissionArgs {
  readonly brokers: string;
  readonly brokerId: number;
  readonly waitMs: number | undefined;
  readonly json: boolean;
}

/** Start moves and print them; with a wait, return once they completed. */
export async function reassignPartitions(args: ReassignArgs): Promise<void> {
  await run(args, (admin) => admin.reassignPartitions(args.moves), args.moves.length === 1 ? { topic: args.moves[0]!.topic, partition: args.moves[0]!.partition } : {});
}

/** Move every replica off a broker and print the moves; with a wait, return once they completed. */
export async function decommissionBroker(args: DecommissionArgs): Promise<void> {
  await run(args, (admin) => admin.decommissionBroker(args.brokerId), {}, `broker ${args.brokerId} holds no replica; nothing to move`);
}

async function run(
  args: { readonly brokers: string; readonly waitMs: number | undefined; readonly json: boolean },
  start: (admin: Admin) => Promise<RecordedReassignment[]>,
  ctx: { topic?: string; partition?: number },
  nothing = "every partition already has the replicas asked for; nothing to move",
): Promise<void> {
  const { client, brokers } = await openClient(args.brokers);
  try {
    const admin = client.admin();
    const moves = await start(admin);
    if (args.json) process.stdout.write(JSON.stringify({ moves }) + "\n");
    else if (moves.length === 0) process.stdout.write(nothing + "\n");
    else {
      process.stdout.write(`started ${moves.length} partition move${moves.length === 1 ? "" : "s"}${args.waitMs === undefined ? " (they run in the background; follow them with: rlog-cli partition reassignments)" : ""}\n`);
      process.stdout.write(formatTable(["TOPIC", "PARTITION", "FROM", "TO"], moves.map((m) => [m.topic, String(m.partition), m.from.join(","), m.target.join(",")])));
    }
    if (args.waitMs !== undefined && moves.length > 0) await waitForMoves(admin, moves, args.waitMs, args.json);
  } catch (err) {
    throw explain(err, { brokers, ...ctx });
  } finally {
    await client.close();
  }
}

/** Wait until none of `moves` is listed as moving any more; TIMEOUT after `waitMs`. */
async function waitForMoves(admin: Admin, moves: readonly RecordedReassignment[], waitMs: number, json: boolean): Promise<void> {
  const deadline = performance.now() + waitMs;
  const key = (m: { topic: string; partition: number }): string => `${m.topic}/${m.partition}`;
  const wanted = new Set(moves.map(key));
  for (;;) {
    const still = (await admin.listReassignments()).filter((r) => wanted.has(key(r)));
    if (still.length === 0) {
      if (!json) process.stdout.write(`all ${moves.length} move${moves.length === 1 ? "" : "s"} completed\n`);
      return;
    }
    if (performance.now() >= deadline) {
      throw new CliError("TIMEOUT", `${still.length} of ${moves.length} moves not completed within ${waitMs} ms (${still.map((r) => `${key(r)} ${r.phase}`).join(", ")}); they go on in the background: rlog-cli partition reassignments`);
    }
    await sleep(REASSIGN_WAIT_POLL_MS);
  }
}

/** Cancel moves and print them; with a wait, return once the partitions are back. */
export async function cancelReassignment(args: { readonly brokers: string; readonly partitions: readonly { topic: string; partition: number }[]; readonly waitMs: number | undefined; readonly json: boolean }): Promise<void> {
  const { client, brokers } = await openClient(args.brokers);
  const one = args.partitions.length === 1 ? { topic: args.partitions[0]!.topic, partition: args.partitions[0]!.partition } : {};
  try {
    const admin = client.admin();
    const cancelled = await admin.cancelReassignment(args.partitions);
    if (args.json) process.stdout.write(JSON.stringify({ cancelled }) + "\n");
    else {
      process.stdout.write(`cancelled ${cancelled.length} partition move${cancelled.length === 1 ? "" : "s"}; going back to their replica lists\n`);
      process.stdout.write(formatTable(["TOPIC", "PARTITION", "CANCELLED TARGET", "BACK TO"], cancelled.map((c) => [c.topic, String(c.partition), c.cancelledTarget.join(","), c.replicas.join(",")])));
    }
    if (args.waitMs !== undefined) await waitForMoves(admin, cancelled.map((c) => ({ topic: c.topic, partition: c.partition, from: c.cancelledTarget, target: c.replicas })), args.waitMs, args.json);
  } catch (err) {
    throw explain(err, { brokers, ...one });
  } finally {
    await client.close();
  }
}

/** Print every moving partition with its phase and learners' lag. */
export async function listReassignments(args: { readonly brokers: string; readonly json: boolean }): Promise<void> {
  const { client, brokers } = await openClient(args.brokers);
  try {
    const list = await client.admin().listReassignments();
    if (args.json) process.stdout.write(JSON.stringify({ reassignments: list }) + "\n");
    else if (list.length === 0) process.stdout.write("no partition is moving\n");
    else process.stdout.write(formatTable(["TOPIC", "PARTITION", "FROM", "TO", "PHASE", "LEADER", "LEARNERS (lag entries)"], list.map(row)));
  } catch (err) {
    throw explain(err, { brokers });
  } finally {
    await client.close();
  }
}

function row(r: ReassignmentStatus): string[] {
  const learners = r.learners.map((l) => `${l.brokerId}:${l.lagEntries}`).join(" ");
  const phase = r.cancelledTarget === undefined ? r.phase : `${r.phase} (cancelled move to ${r.cancelledTarget.join(",")})`;
  return [r.topic, String(r.partition), r.from.join(","), r.target.join(","), phase, r.leader === 0 ? "-" : String(r.leader), learners === "" ? "-" : learners];
}
