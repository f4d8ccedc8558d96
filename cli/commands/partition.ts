/** `rlog-cli partition reassign|reassignments|cancel-reassign`: move partitions between brokers (docs/OPERATIONS.md). */
import { readFileSync } from "node:fs";
import type { Argv, CommandModule } from "yargs";
import { parseInteger, usageError, withBrokers, withJson, type ConnectionArgs, type JsonArgs } from "../options.js";

/** How long --wait waits by default (ms): moving a large partition takes a while. */
export const REASSIGN_WAIT_MS_DEFAULT = 600_000;

/** --wait and --wait-ms, shared with `broker decommission`. */
export interface WaitArgs {
  readonly wait: boolean;
  readonly "wait-ms": unknown;
}

/** Adds --wait and --wait-ms. */
export function withWait<T>(y: Argv<T>): Argv<T & WaitArgs> {
  return y
    .option("wait", { type: "boolean", default: false, describe: "Return only once every move has completed" })
    .option("wait-ms", { requiresArg: true, default: REASSIGN_WAIT_MS_DEFAULT, describe: "With --wait: give up (TIMEOUT, the moves go on) after this many ms" }) as unknown as Argv<T & WaitArgs>;
}

/** The wait asked for, in ms; undefined without --wait. */
export function waitMs(args: WaitArgs): number | undefined {
  return args.wait ? parseInteger("--wait-ms", args["wait-ms"], 1) : undefined;
}

interface ReassignCommandArgs extends ConnectionArgs, JsonArgs, WaitArgs {
  readonly topic: string | undefined;
  readonly partition: unknown;
  readonly replicas: unknown;
  readonly plan: string | undefined;
}

const reassignCommand: CommandModule<object, ReassignCommandArgs> = {
  command: "reassign [topic] [partition]",
  describe: "Move a partition (or every partition of a plan file) to a new replica list",
  builder: (y: Argv<object>) =>
    withWait(withJson(withBrokers(y), "Print the moves started as JSON"))
      .positional("topic", { type: "string", describe: "Topic (not with --plan)" })
      .positional("partition", { describe: "Partition number (not with --plan)" })
      .option("replicas", { type: "string", requiresArg: true, describe: "The new replica list, preferred leader first: broker ids like 2,4,5" })
      .option("plan", { type: "string", requiresArg: true, describe: 'A plan file in kafka-reassign-partitions\' shape: {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[2,3,4]}]}' })
      .example("$0 partition reassign orders 0 --replicas 2,3,4", "move orders/0 from wherever it is to brokers 2, 3 and 4 (2 preferred)")
      .example("$0 partition reassign --plan plan.json --wait", "every move of plan.json; return once all completed")
      .epilog("New replicas copy the log as learners first (throttled by reassignment.throttleBytesPerSec), then vote; producers and consumers keep going meanwhile."),
  handler: async (args) => {
    let moves;
    if (args.plan !== undefined) {
      if (args.topic !== undefined || args.replicas !== undefined) throw usageError("partition reassign: give either --plan, or <topic> <partition> --replicas, not both");
      const { parseReassignmentPlan } = await import("../admin/reassignment-plan-file.js");
      let text: string;
      try {
        text = readFileSync(args.plan, "utf8");
      } catch (err) {
        throw usageError(`--plan ${args.plan}: cannot read it (${(err as Error).message})`);
      }
      moves = parseReassignmentPlan(text, args.plan);
    } else {
      if (args.topic === undefined || args.partition === undefined || args.replicas === undefined) throw usageError("partition reassign: give <topic> <partition> --replicas ids, or --plan file");
      const { parseReplicaList } = await import("../admin/reassignment-plan-file.js");
      moves = [{ topic: args.topic, partition: parseInteger("<partition>", args.partition, 0), replicas: parseReplicaList(args.replicas) }];
    }
    const { reassignPartitions } = await import("../admin/reassign-actions.js");
    await reassignPartitions({ brokers: args.brokers, moves, waitMs: waitMs(args), json: args.json });
  },
};

interface CancelCommandArgs extends ConnectionArgs, JsonArgs, WaitArgs {
  readonly topic: string;
  readonly partition: unknown;
}

const cancelCommand: CommandModule<object, CancelCommandArgs> = {
  command: "cancel-reassign <topic> <partition>",
  describe: "Cancel a partition's move: it goes back to its replica list",
  builder: (y: Argv<object>) =>
    withWait(withJson(withBrokers(y), "Print what was cancelled as JSON"))
      .positional("topic", { type: "string", demandOption: true, describe: "Topic" })
      .positional("partition", { demandOption: true, describe: "Partition number" })
      .example("$0 partition cancel-reassign orders 0 --wait", "orders/0 back on its list; return once it is")
      .epilog("The brokers of the cancelled target keep their copy until the partition is back, then delete it."),
  handler: async (args) => {
    const { cancelReassignment } = await import("../admin/reassign-actions.js");
    await cancelReassignment({ brokers: args.brokers, partitions: [{ topic: args.topic, partition: parseInteger("<partition>", args.partition, 0) }], waitMs: waitMs(args), json: args.json });
  },
};

const reassignmentsCommand: CommandModule<object, ConnectionArgs & JsonArgs> = {
  command: "reassignments",
  describe: "List the partitions being moved: from, to, phase and the new replicas' lag",
  builder: (y: Argv<object>) => withJson(withBrokers(y)).example("$0 partition reassignments", "a table of moving partitions"),
  handler: async (args) => {
    const { listReassignments } = await import("../admin/reassign-actions.js");
    await listReassignments({ brokers: args.brokers, json: args.json });
  },
};

/** The `partition` command group. */
export const partitionCommand: CommandModule = {
  command: "partition <command>",
  describe: "Move partitions between brokers",
  builder: (y: Argv) => y.command(reassignCommand).command(reassignmentsCommand).command(cancelCommand).demandCommand(1),
  handler: () => undefined,
};
