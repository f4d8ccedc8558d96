/**
 * The rlog client SDK: `RlogClient` with its producer, consumer and admin.
 *
 *     const client = new RlogClient({ brokers: ["ws://127.0.0.1:9092"] });
 *     const producer = client.producer();
 *     await producer.send({ topic: "orders", messages: [{ key: "o-1", value: "created" }] });
 *
 * Errors from brokers (and the SDK's own network errors) are RlogError with a
 * numeric `code` from the shared table (`ErrorCode`); decide by code only.
 */
export { RlogClient } from "./client.js";
export type { ClientOptions, ClientTlsOptions, ResolvedClientOptions } from "./client-options.js";
export type { Logger } from "./logger.js";
export { silentLogger } from "./logger.js";
export type { RetryOptions } from "./retry/retry-options.js";
export { DEFAULT_RETRY } from "./retry/retry-options.js";
export type { BytesLike } from "./bytes.js";
export { ClosedError } from "./network/client-errors.js";
export type { TopicPartitionRef } from "./cluster/cluster.js";

export { Producer } from "./producer/producer.js";
export type { SendRequest, RecordMetadata } from "./producer/producer.js";
export type { ProducerOptions } from "./producer/producer-options.js";
export type { ProducerMessage, MessageHeader } from "./producer/message.js";
export { murmur2, partitionForKey } from "./producer/murmur2.js";

export { Consumer } from "./consumer/consumer.js";
export type {
  ConsumerOptions,
  ConsumerRecord,
  EachBatchPayload,
  OffsetResetPolicy,
  PartitionAssignment,
  RunHandlers,
  StartFrom,
} from "./consumer/consumer-types.js";

export { GroupConsumer } from "./consumer/group-consumer.js";
export type {
  AssignmentStrategyName,
  GroupConsumerOptions,
  GroupEachBatchPayload,
  GroupPartitionPosition,
  GroupRunHandlers,
  SubscribeOptions,
} from "./consumer/group-types.js";

export { Admin } from "./admin/admin.js";
export type { AlterTopicOptions, CreateTopicOptions, CreateUserOptions, OffsetQuery, RegisterBrokerOptions, ResetOffsetsOptions, TransferLeaderOptions } from "./admin/admin.js";
export type { SaslOptions } from "./network/scram-login.js";

export { RlogError, ErrorCode, ERRORS, errorSpec, isRetriable } from "../broker/protocol/errors.js";
export type { ErrorDetails, ErrorName, ErrorSpec, LeaderHint } from "../broker/protocol/errors.js";
export type { Acks } from "../broker/protocol/enums.js";
export { GroupState, AssignmentStrategy } from "../broker/protocol/enums.js";
export { OFFSETS_TOPIC, coordinatorPartition } from "../broker/protocol/group-routing.js";
export type { CommitOffset, ReassignmentMove, TopicCompression, TopicConfig } from "../broker/protocol/requests.js";
export type { Acl, AclFilter, AclOperation, PatternType, Permission, ResourceType } from "../broker/protocol/acls.js";
export { ACL_OPERATIONS, ANONYMOUS_PRINCIPAL, CLUSTER_RESOURCE_NAME, PATTERN_TYPES, PERMISSIONS, RESOURCE_TYPES, formatAcl } from "../broker/protocol/acls.js";
export type { CompressionName } from "../broker/protocol/compression.js";
export type {
  BrokerStatus,
  CancelReassignmentResult,
  ClusterStatusResult,
  ControllerMembership,
  ListBrokersResult,
  ListedBroker,
  DescribeGroupResult,
  GroupMember,
  GroupOffset,
  GroupSummary,
  LeaderMove,
  LearnerLag,
  ListOffsetsResult,
  RecordedReassignment,
  ReassignmentPhase,
  ReassignmentStatus,
  PartitionStatus,
  ReplicaStatus,
  TopicDescription,
  TopicSummary,
  TransferLeaderResult,
  UserInfo,
} from "../broker/protocol/results.js";
