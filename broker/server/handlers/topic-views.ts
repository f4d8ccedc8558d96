/**
 * How topics are described to clients (metadata, describeTopic, createTopic,
 * rebalanceLeaders): replica lists from the metadata, leaders and terms from
 * the broker's leader knowledge.
 */
import type { TopicMeta } from "../../cluster/metadata.js";
import { partitionGroupId } from "../../cluster/names.js";
import type { PartitionMetadata, TopicDescription, TopicMetadata } from "../../protocol/results.js";
import type { HandlerContext } from "../handler-context.js";

/** Internal topics (`__consumer_offsets`) start with "__". */
export const isInternal = (name: string): boolean => name.startsWith("__");

/** Each partition's replicas with the leader and term this broker knows. */
export function partitionMetadata(ctx: HandlerContext, t: TopicMeta): PartitionMetadata[] {
  return t.replicas.map((replicas, p) => {
    const { leader, term } = ctx.leaderOf(partitionGroupId(t.id, p));
    return { partition: p, leader, replicas: [...replicas], term };
  });
}

/** A topic as metadata answers it. */
export function topicMetadata(ctx: HandlerContext, t: TopicMeta): TopicMetadata {
  return { name: t.name, internal: isInternal(t.name), partitions: partitionMetadata(ctx, t) };
}

/** A topic as describeTopic and createTopic answer it: metadata, replication factor and settings. */
export function topicDescription(ctx: HandlerContext, t: TopicMeta): TopicDescription {
  return { ...topicMetadata(ctx, t), replicationFactor: t.replicas[0]?.length ?? 0, config: t.config };
}
