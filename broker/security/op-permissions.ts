/**
 * What every operation needs to be allowed, chosen as Kafka does (the table
 * is in docs/SECURITY.md, "Authorization"). The table is a mapped type over
 * OpName: a new op without an entry does not compile.
 *
 * A requirement is a list of clauses that must all hold; a clause holds when
 * any one of its checks is allowed (createTopic: create on the topic OR
 * create on the cluster). An empty list needs nothing before the handler
 * runs: those ops (metadata, listTopics, listGroups) filter what they answer
 * by what the principal may describe, as Kafka does, instead of refusing.
 */
import { CLUSTER_RESOURCE_NAME, type Operation, type ResourceType } from "../protocol/acls.js";
import type { OpName, RequestOf } from "../protocol/ops.js";

/** One check: the operation on one named resource, or (anyName) on some resource of the type. */
export type PermissionCheck =
  | { readonly resourceType: ResourceType; readonly name: string; readonly operation: Operation }
  | { readonly resourceType: ResourceType; readonly anyName: true; readonly operation: Operation };

/** Checks of which at least one must be allowed. */
export type Clause = readonly PermissionCheck[];

/** Clauses that must all hold. */
export type Requirement = readonly Clause[];

const topic = (name: string, operation: Operation): PermissionCheck => ({ resourceType: "topic", name, operation });
const group = (name: string, operation: Operation): PermissionCheck => ({ resourceType: "group", name, operation });
const cluster = (operation: Operation): PermissionCheck => ({ resourceType: "cluster", name: CLUSTER_RESOURCE_NAME, operation });

/** Each distinct topic of a list once, in first-seen order. */
const distinct = (names: readonly string[]): string[] => [...new Set(names)];

/** The requirement of each operation, from its request. */
export const OP_PERMISSIONS: { readonly [O in OpName]: (request: RequestOf<O>) => Requirement } = {
  // The listener answers the handshake itself, before any principal is known.
  handshake: () => [],
  // Filtered: only topics the principal may describe are answered (unlisted ones look unknown).
  metadata: () => [],
  createTopic: (r) => [[topic(r.name, "create"), cluster("create")]],
  deleteTopic: (r) => [[topic(r.name, "delete")]],
  // Kafka's CreatePartitions and AlterConfigs: alter on the topic.
  alterTopic: (r) => [[topic(r.name, "alter")]],
  describeTopic: (r) => [[topic(r.name, "describe")]],
  // Filtered like metadata.
  listTopics: () => [],
  produce: (r) => [[topic(r.topic, "write")]],
  // Internal topics (__consumer_offsets) are checked like any other: no exemption.
  fetch: (r) => [[topic(r.topic, "read")]],
  listOffsets: (r) => [[topic(r.topic, "describe")]],
  // Kafka's IdempotentWrite: write on the cluster, or write on some topic.
  initProducerId: () => [[cluster("write"), { resourceType: "topic", anyName: true, operation: "write" }]],
  transferLeader: () => [[cluster("alter")]],
  rebalanceLeaders: () => [[cluster("alter")]],
  clusterStatus: () => [[cluster("describe")]],
  // Cluster membership, like Kafka's broker registration and AlterPartitionReassignments: alter on the cluster.
  registerBroker: () => [[cluster("alter")]],
  unregisterBroker: () => [[cluster("alter")]],
  listBrokers: () => [[cluster("describe")]],
  alterControllerVoters: () => [[cluster("alter")]],
  // Kafka checks only the group on join; the topics are checked when fetched.
  joinGroup: (r) => [[group(r.group, "read")]],
  syncGroup: (r) => [[group(r.group, "read")]],
  heartbeat: (r) => [[group(r.group, "read")]],
  leaveGroup: (r) => [[group(r.group, "read")]],
  commitOffsets: (r) => [[group(r.group, "read")], ...distinct(r.offsets.map((o) => o.topic)).map((t) => [topic(t, "read")])],
  // The offsets answered are filtered to topics the principal may describe.
  fetchOffsets: (r) => [[group(r.group, "describe")]],
  // Filtered: describe on the cluster sees every group, otherwise only groups the principal may describe.
  listGroups: () => [],
  describeGroup: (r) => [[group(r.group, "describe")]],
  // A standalone offset commit, as Kafka's AlterConsumerGroupOffsets: read on the group and the topic.
  resetOffsets: (r) => [[group(r.group, "read")], [topic(r.topic, "read")]],
  createAcls: () => [[cluster("alter")]],
  deleteAcls: () => [[cluster("alter")]],
  listAcls: () => [[cluster("describe")]],
  // Answered by the session itself while logging in, before any other request: nothing to check.
  authenticate: () => [],
  // Users are cluster-wide security settings, like ACLs (Kafka: AlterUserScramCredentials needs alter on the cluster).
  createUser: () => [[cluster("alter")]],
  deleteUser: () => [[cluster("alter")]],
  listUsers: () => [[cluster("describe")]],
  // Kafka's AlterPartitionReassignments and ListPartitionReassignments: alter / describe on the cluster.
  reassignPartitions: () => [[cluster("alter")]],
  listReassignments: () => [[cluster("describe")]],
  cancelReassignment: () => [[cluster("alter")]],
  decommissionBroker: () => [[cluster("alter")]],
};

/** The requirement of one request. */
export function requirementOf<O extends OpName>(request: RequestOf<O> & { readonly op: O }): Requirement {
  const rule = OP_PERMISSIONS[request.op] as (r: RequestOf<O>) => Requirement;
  return rule(request);
}
