/**
 * The broker's handler for every client operation (see ../handlers.ts), one
 * file per area, each written against HandlerContext (../handler-context.ts).
 */
import type { HandlerContext } from "../handler-context.js";
import type { HandlersFor, OpHandlers } from "../handlers.js";
import type { OpName } from "../../protocol/ops.js";
import { aclHandlers } from "./acls.js";
import type { HandlerOp } from "../../protocol/ops.js";
import { brokerHandlers } from "./brokers.js";
import { clusterHandlers } from "./cluster.js";
import { groupHandlers } from "./groups.js";
import { partitionHandlers } from "./partitions.js";
import { producerHandlers } from "./producers.js";
import { reassignmentHandlers } from "./reassignments.js";
import { topicHandlers } from "./topics.js";
import { userHandlers } from "./users.js";

/** A handler for every operation but the handshake and authenticate (the listener answers those itself). */
export function buildHandlers(ctx: HandlerContext): OpHandlers {
  const all: HandlersFor<HandlerOp> = {
    ...clusterHandlers(ctx),
    ...brokerHandlers(ctx),
    ...topicHandlers(ctx),
    ...partitionHandlers(ctx),
    ...producerHandlers(ctx),
    ...groupHandlers(ctx),
    ...aclHandlers(ctx),
    ...userHandlers(ctx),
    ...reassignmentHandlers(ctx),
  };
  return all;
}
