/** `rlog-cli controller voters <ids>`: change the controller group's voters (docs/OPERATIONS.md, "Controller voters"). */
import type { Argv, CommandModule } from "yargs";
import { usageError, withBrokers, withJson, type ConnectionArgs, type JsonArgs } from "../options.js";

/** Most voters (FIXED_LIMITS.controllerVotersMax; a literal here keeps start-up light). */
const VOTERS_MAX = 9;

interface VotersArgs extends ConnectionArgs, JsonArgs {
  readonly ids: string;
}

/** "1,2,4" as broker ids; a usage error for anything else. */
export function parseVoters(text: string): number[] {
  const parts = text.split(",").map((s) => s.trim());
  if (parts.length > VOTERS_MAX) throw usageError(`<ids>: at most ${VOTERS_MAX} voters, got ${parts.length}`);
  return parts.map((p) => {
    if (!/^[1-9]\d{0,9}$/.test(p)) throw usageError(`<ids>: expected broker ids separated by commas (e.g. 1,2,4), got ${JSON.stringify(text)}`);
    return Number(p);
  });
}

const votersCommand: CommandModule<object, VotersArgs> = {
  command: "voters <ids>",
  describe: "Make these brokers the controller's voters (the others stay learners); waits for the change to complete",
  builder: (y: Argv<object>) =>
    withJson(withBrokers(y))
      .positional("ids", { type: "string", demandOption: true, describe: "Broker ids separated by commas; each known and live" })
      .example("$0 controller voters 1,2,4", "broker 4 votes instead of broker 3")
      .epilog("Joint consensus: the old and the new voters both agree to the change. See docs/OPERATIONS.md, \"Controller voters\"."),
  handler: async (args) => {
    const voters = parseVoters(String(args.ids));
    const { setControllerVoters } = await import("../admin/broker-actions.js");
    await setControllerVoters({ brokers: args.brokers, json: args.json, voters });
  },
};

/** The `controller` command group. */
export const controllerCommand: CommandModule = {
  command: "controller <command>",
  describe: "The controller group: voters (change them)",
  builder: (y: Argv) => y.command(votersCommand).demandCommand(1),
  handler: () => undefined,
};
