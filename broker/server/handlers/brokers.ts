/**
 * Cluster membership (docs/OPERATIONS.md): the broker registry and the
 * controller voters. Answered by the controller leader (BrokerAdmin).
 */
import { nodeId } from "../../raft/types.js";
import type { HandlerContext } from "../handler-context.js";
import type { HandlersFor } from "../handlers.js";

/** registerBroker, unregisterBroker, listBrokers and alterControllerVoters. */
export function brokerHandlers(ctx: HandlerContext): HandlersFor<"registerBroker" | "unregisterBroker" | "listBrokers" | "alterControllerVoters"> {
  return {
    registerBroker: async (req) => ({
      broker: await ctx.brokerAdmin.registerBroker({
        id: nodeId(req.brokerId),
        host: req.host,
        clientPort: req.clientPort,
        peerPort: req.peerPort,
        ...(req.kafkaPort === undefined ? {} : { kafkaPort: req.kafkaPort }),
      }),
    }),
    unregisterBroker: async (req) => {
      await ctx.brokerAdmin.unregisterBroker(nodeId(req.brokerId));
      return {};
    },
    listBrokers: async () => ctx.brokerAdmin.listBrokers(),
    alterControllerVoters: async (req) => ({ controller: await ctx.brokerAdmin.alterControllerVoters(req.voters.map(nodeId)) }),
  };
}
