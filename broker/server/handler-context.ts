/**
 * What the operation handlers (broker/server/handlers/) may see of their
 * broker: metadata, the replicas it hosts, the leader knowledge it has, the
 * group coordinator, the controller's admin actions, and its settings. The
 * broker (broker/broker.ts) builds one and hands it to buildHandlers; tests
 * may build their own. Handlers never see the broker itself.
 */
import type { BrokerAdmin } from "../cluster/broker-admin.js";
import type { Controller, MetadataView } from "../cluster/controller.js";
import type { LeaderInfo } from "../cluster/leader-table.js";
import type { PartitionGroupId } from "../cluster/names.js";
import type { GroupCoordinator } from "../consumer-groups/coordinator.js";
import type { PartitionReplica } from "../partition/partition-replica.js";
import type { LeaderHint } from "../protocol/errors.js";
import type { Limits } from "../protocol/limits.js";
import type { TopicConfig } from "../protocol/requests.js";
import type { LearnerLag, ReassignmentPhase } from "../protocol/results.js";
import type { NodeId } from "../raft/types.js";
import type { ResourceAuthorizer } from "../security/authorizer.js";
import type { UserDirectory } from "../security/user-directory.js";

/** A broker of the cluster as clients see it. */
export interface ClusterBroker {
  readonly id: NodeId;
  /** Its advertised client URL. */
  readonly clientUrl: string;
}

/** The controller's admin actions (each refuses with NOT_CONTROLLER, with a hint, where it does not lead). */
export type ControllerActions = Pick<
  Controller,
  "createTopic" | "alterTopic" | "deleteTopic" | "createAcls" | "deleteAcls" | "upsertUser" | "deleteUser" | "allocateProducerId" | "requestRebalance" | "leader" | "leaderInfo" | "logLastIndex" | "reassignPartitions" | "cancelReassignment" | "decommissionBroker"
>;

/** What handlers do with a partition replica hosted here. */
export type ServedReplica = Pick<PartitionReplica, "produce" | "fetch" | "listOffsets" | "transferLeadership" | "status">;

/** The consumer-group operations (each refuses with NOT_COORDINATOR, with a hint, where this broker is not the group's coordinator). */
export type GroupOperations = Pick<GroupCoordinator, "join" | "sync" | "heartbeat" | "leave" | "commit" | "fetchOffsets" | "listGroups" | "describe" | "resetOffsets">;

/** See the file comment. */
export interface HandlerContext {
  /** This broker. */
  readonly brokerId: NodeId;
  /** Every broker of the cluster, configured and registered, by id. */
  readonly brokers: readonly ClusterBroker[];
  /** Client protocol limits of this broker. */
  readonly limits: Limits;
  /** The cluster metadata as this broker has applied it. */
  readonly metadata: MetadataView;
  readonly controller: ControllerActions;
  /** The broker registry and the controller voters (controller leader only; docs/OPERATIONS.md). */
  readonly brokerAdmin: Pick<BrokerAdmin, "registerBroker" | "unregisterBroker" | "listBrokers" | "alterControllerVoters" | "controllerMembership">;
  readonly groups: GroupOperations;
  /**
   * Whether a principal may use a resource: for the ops that filter what they
   * answer (metadata, listTopics, listGroups, fetchOffsets). Every request was
   * already checked as a whole before its handler runs (the session).
   */
  readonly authorizer: ResourceAuthorizer;
  /** The SCRAM users this broker knows: its users file and the metadata. */
  readonly users: Pick<UserDirectory, "list" | "isFileUser">;
  /** The broker's defaults for topic settings. */
  topicDefaults(): TopicConfig;
  /**
   * The replica of a partition hosted here that serves clients, or the error
   * a client should see (UNKNOWN_TOPIC, UNKNOWN_PARTITION, NOT_LEADER with a
   * hint when this broker holds no replica, LEADER_NOT_AVAILABLE while it opens).
   */
  replica(topic: string, partition: number): ServedReplica;
  /** The replica of a partition group hosted here, if any (for status). */
  hostedReplica(group: PartitionGroupId): ServedReplica | undefined;
  /** The newest knowledge of a group's leader: hosted or announced (leader 0 when unknown). */
  leaderOf(group: PartitionGroupId): LeaderInfo;
  /** Where clients reach broker `id`, for hints. */
  leaderHint(id: NodeId): LeaderHint;
  /**
   * How far a moving partition's group is toward `target`, as this broker
   * knows it (docs/OPERATIONS.md): its phase, and its learners' lag when
   * this broker leads it.
   */
  reassignmentProgress(group: PartitionGroupId, target: readonly NodeId[]): { readonly phase: ReassignmentPhase; readonly learners: readonly LearnerLag[] };
  /** Whether this broker has a working peer link to `id` (itself: always). */
  reachable(id: NodeId): boolean;
}
