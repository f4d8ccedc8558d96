/**
 * Every top-level rlog-cli command. To add one: write cli/commands/<name>.ts
 * exporting a yargs CommandModule (import heavy modules inside its handler,
 * with `await import(...)`, so that `rlog-cli --help` stays fast), then add
 * it to this list.
 */
import type { CommandModule } from "yargs";
import { aclCommand } from "./acl.js";
import { brokerCommand } from "./broker.js";
import { clusterCommand } from "./cluster.js";
import { configCommand } from "./config.js";
import { consumeCommand } from "./consume.js";
import { controllerCommand } from "./controller.js";
import { groupCommand } from "./group.js";
import { leaderCommand } from "./leader.js";
import { partitionCommand } from "./partition.js";
import { produceCommand } from "./produce.js";
import { topicCommand } from "./topic.js";
import { userCommand } from "./user.js";

/** The commands main.ts registers, in the order `--help` lists them. (`any`: each command has its own argument type.) */
export const COMMANDS: readonly CommandModule<any, any>[] = [
  topicCommand,
  produceCommand,
  consumeCommand,
  groupCommand,
  leaderCommand,
  partitionCommand,
  clusterCommand,
  aclCommand,
  brokerCommand,
  controllerCommand,
  configCommand,
  userCommand,
];
