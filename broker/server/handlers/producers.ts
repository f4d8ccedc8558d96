/** Producer ids: initProducerId allocates a cluster-unique id through the controller. */
import type { HandlerContext } from "../handler-context.js";
import type { HandlersFor } from "../handlers.js";

/** initProducerId. */
export function producerHandlers(ctx: HandlerContext): HandlersFor<"initProducerId"> {
  return {
    initProducerId: async (req) => {
      // Epochs are not bumped yet: every producer id starts at epoch 0 (docs/PROTOCOL.md).
      if (req.producerId !== undefined) return { producerId: req.producerId, producerEpoch: req.producerEpoch ?? 0 };
      return { producerId: await ctx.controller.allocateProducerId(), producerEpoch: 0 };
    },
  };
}
