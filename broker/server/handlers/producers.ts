/**
 * Producer ids: initProducerId allocates a cluster-unique id through the
 * controller, from the controller leader's current block of ids
 * (broker/cluster/producer-id-allocator.ts).
 *
 * A request that names an id (producerId, producerEpoch) gets a fresh id all
 * the same, as Kafka's InitProducerId does without a transactional id: the
 * broker keeps no record of which connection or principal an id was handed
 * to, so it cannot tell the id's holder from a client that guessed it, and
 * handing back (or re-epoching) a named id would let any client take over
 * another producer's id and fence it. A fresh id costs a thousandth of a
 * controller entry and loses nothing: the SDK never names an id.
 */
import type { HandlerContext } from "../handler-context.js";
import type { HandlersFor } from "../handlers.js";

/** initProducerId. */
export function producerHandlers(ctx: HandlerContext): HandlersFor<"initProducerId"> {
  return {
    initProducerId: async () => ({ producerId: await ctx.controller.allocateProducerId(), producerEpoch: 0 }),
  };
}
