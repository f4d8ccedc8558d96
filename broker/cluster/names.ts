/**
 * The names a broker gives things: Raft group ids (which are also log names
 * in storage and group names on the peer wire) and the URLs it hands out.
 * Built here and only here, so the format has one definition and one parse.
 *
 * Group ids: the controller is `__controller`; a partition replica is
 * `p/<topicId>/<partition>`, where the topic id is the index of the topic's
 * CreateTopic entry in the metadata log, so a topic deleted and created again
 * under the same name gets new groups (and new logs).
 */
import type { BrokerEndpoint } from "../../config/broker-config.js";
import { wsUrl } from "../protocol/endpoint-url.js";

/** Raft group id (and log name) of the controller. */
export const CONTROLLER_GROUP = "__controller";

/** A partition's Raft group id, as partitionGroupId built it. */
export type PartitionGroupId = string & { readonly __brand: "PartitionGroupId" };

/** What a partition group id names. */
export interface PartitionRef {
  /** The topic incarnation: the index of its CreateTopic entry. */
  readonly topicId: number;
  readonly partition: number;
}

const PARTITION_GROUP = /^p\/(0|[1-9]\d{0,15})\/(0|[1-9]\d{0,9})$/;

/** Raft group id (and log name) of a partition replica: unique per topic incarnation. */
export function partitionGroupId(topicId: number, partition: number): PartitionGroupId {
  return `p/${topicId}/${partition}` as PartitionGroupId;
}

/**
 * The topic id and partition of a partition group id, or undefined for any
 * other string (the controller group, or a name a peer made up). For ids
 * that arrive as strings (leader announcements); ids built here carry their
 * parts alongside instead of being parsed back.
 */
export function parsePartitionGroupId(group: string): PartitionRef | undefined {
  const m = PARTITION_GROUP.exec(group);
  if (m === null) return undefined;
  const topicId = Number(m[1]);
  const partition = Number(m[2]);
  return Number.isSafeInteger(topicId) ? { topicId, partition } : undefined;
}

/** Where clients reach a broker (its advertised address); wss:// when the cluster has TLS on (`secure`). */
export function clientUrl(b: BrokerEndpoint, secure = false): string {
  return wsUrl(b.host, b.clientPort, secure);
}

/** Where peers reach a broker's Raft listener (its advertised address); wss:// when the cluster has TLS on. */
export function peerUrl(b: BrokerEndpoint, secure = false): string {
  return wsUrl(b.host, b.peerPort, secure);
}
