/**
 * Topic administration: createTopic, alterTopic, deleteTopic (through the controller:
 * NOT_CONTROLLER with a hint on other brokers), describeTopic and listTopics
 * (from this broker's applied metadata).
 */
import { RlogError } from "../../protocol/errors.js";
import type { TopicConfig } from "../../protocol/requests.js";
import type { HandlerContext } from "../handler-context.js";
import type { HandlersFor } from "../handlers.js";
import { isInternal, topicDescription } from "./topic-views.js";

/** createTopic, alterTopic, deleteTopic, describeTopic, listTopics. */
export function topicHandlers(ctx: HandlerContext): HandlersFor<"createTopic" | "alterTopic" | "deleteTopic" | "describeTopic" | "listTopics"> {
  return {
    createTopic: async (req) => {
      const config: TopicConfig = { ...ctx.topicDefaults(), ...req.config };
      if (req.partitions > ctx.limits.partitionsMax) {
        throw new RlogError("INVALID_PARTITIONS", `partitions ${req.partitions} exceeds partitionsMax ${ctx.limits.partitionsMax}`);
      }
      const t = await ctx.controller.createTopic(req.name, req.partitions, req.replicationFactor, config);
      return { topic: topicDescription(ctx, t) };
    },

    // partitionsMax and the settings were checked by the request parser (validate-request.ts).
    alterTopic: async (req) => {
      const t = await ctx.controller.alterTopic(req.name, req.partitions, req.config);
      return { topic: topicDescription(ctx, t) };
    },

    deleteTopic: async (req) => {
      await ctx.controller.deleteTopic(req.name);
      return {};
    },

    describeTopic: async (req) => {
      const t = ctx.metadata.topic(req.name);
      if (!t) throw new RlogError("UNKNOWN_TOPIC", `topic ${req.name} does not exist`);
      return { topic: topicDescription(ctx, t) };
    },

    listTopics: async (req, rc) => ({
      topics: ctx.metadata
        .topics()
        .filter((t) => (req.includeInternal || !isInternal(t.name)) && ctx.authorizer.allowed(rc.principal, "topic", t.name, "describe"))
        .map((t) => ({ name: t.name, partitions: t.replicas.length, replicationFactor: t.replicas[0]?.length ?? 0, internal: isInternal(t.name) })),
    }),
  };
}
