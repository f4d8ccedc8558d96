/**
 * Request bodies, one per operation, discriminated by `op`. On the wire a
 * request is a msgpack map `{ id, op, ...fields }` (see frames.ts). Optional
 * fields may be absent or nil. Numbers are integers unless said otherwise;
 * offsets, ids and byte counts are at most 2^53 - 1.
 */
import type { Acks, AssignmentStrategy, OffsetSpec } from "./enums.js";
import type { CompressionName } from "./compression.js";
import type { Acl, AclFilter } from "./acls.js";
import type { ScramCredential, ScramMechanism } from "./scram.js";

/** A partition of a topic. */
export interface TopicPartition {
  readonly topic: string;
  /** 0-based partition number. */
  readonly partition: number;
}

/** Topic settings. Retention values of -1 mean "unlimited". */
export interface TopicConfig {
  /** Drop the oldest segments once a partition holds more than this many bytes; -1: no size limit. */
  readonly retentionBytes: number;
  /** Drop segments whose newest record is older than this; -1: no time limit. */
  readonly retentionMs: number;
  /** Roll to a new segment once the active one holds this many bytes. */
  readonly segmentBytes: number;
  /** Roll to a new segment once the active one is this old. */
  readonly segmentMs: number;
  /**
   * Compression of stored batches, with Kafka's `compression.type` meaning:
   * "producer" keeps each batch as its producer compressed it; a codec name
   * forces it (the leader re-encodes a batch that uses another codec).
   */
  readonly compression: TopicCompression;
}

/** Values of the topic setting `compression`. */
export const TOPIC_COMPRESSIONS = ["producer", "none", "gzip", "lz4", "zstd"] as const;
/** A value of the topic setting `compression`: "producer" or a codec name. */
export type TopicCompression = "producer" | CompressionName;

/** First request on every connection. */
export interface HandshakeRequest {
  readonly op: "handshake";
  /** The protocol version the client speaks (PROTOCOL_VERSION). */
  readonly version: number;
  /** Free-form client name, for broker logs. */
  readonly clientId: string;
}

/** Brokers, topics and partition leaders. */
export interface MetadataRequest {
  readonly op: "metadata";
  /** Only these topics; all topics when absent. Unknown topics are left out of the result. */
  readonly topics?: readonly string[];
}

/**
 * Create a topic. Answered by the controller leader only: any other broker
 * answers NOT_CONTROLLER (retriable) naming the controller when it knows it,
 * and the client resends there. Brokers do not forward admin requests
 * (docs/PROTOCOL.md, "Routing of admin operations").
 */
export interface CreateTopicRequest {
  readonly op: "createTopic";
  readonly name: string;
  /** Number of partitions, 1 .. partitionsMax. */
  readonly partitions: number;
  /** Replicas per partition, 1 .. replicationFactorMax and <= number of brokers. */
  readonly replicationFactor: number;
  /** Settings to override; the broker's defaults fill in the rest. */
  readonly config?: Partial<TopicConfig>;
}

/**
 * Alter a topic: add partitions and/or change settings. Answered by the
 * controller leader only, like createTopic. At least one of `partitions` and
 * `config` is needed. Keyed records map to partitions by the partition
 * count, so after partitions are added a key may go to another partition
 * than before (as in Kafka).
 */
export interface AlterTopicRequest {
  readonly op: "alterTopic";
  readonly name: string;
  /** The new partition count: more than the topic has, at most partitionsMax. Internal topics refuse it. */
  readonly partitions?: number;
  /** Settings to change (same checks as createTopic's); the others keep their values. */
  readonly config?: Partial<TopicConfig>;
}

/** Delete a topic and all its records. */
export interface DeleteTopicRequest {
  readonly op: "deleteTopic";
  readonly name: string;
}

/** One topic's settings and partition assignment. */
export interface DescribeTopicRequest {
  readonly op: "describeTopic";
  readonly name: string;
}

/** Names and sizes of all topics. */
export interface ListTopicsRequest {
  readonly op: "listTopics";
  /** Include internal topics (names starting with "__"). Default false. */
  readonly includeInternal?: boolean;
}

/** Append records to a partition; sent to its leader. */
export interface ProduceRequest {
  readonly op: "produce";
  readonly topic: string;
  readonly partition: number;
  /**
   * One Kafka RecordBatch v2 (docs/STORAGE.md, "Record batch"), built by the
   * client: at most batchBytesMax bytes and batchRecordsMax records; its
   * records get consecutive offsets. Idempotence rides in its header
   * (producerId, producerEpoch, baseSequence).
   */
  readonly batch: Uint8Array;
  /** When to answer: after commit ("all") or after the leader's append ("leader"). */
  readonly acks: Acks;
  /** How long to wait for the commit before answering TIMEOUT; the broker default when absent. */
  readonly timeoutMs?: number;
}

/** Read records from a partition, long-polling until data or `maxWaitMs`. */
export interface FetchRequest {
  readonly op: "fetch";
  readonly topic: string;
  readonly partition: number;
  /** First offset wanted. The first returned batch may start earlier; skip records below it. */
  readonly offset: number;
  /** Response budget, 1 .. fetchBytesMax. At least one batch is returned even if it is larger. */
  readonly maxBytes: number;
  /** Wait up to this long (0 .. fetchWaitMsMax) for at least `minBytes` of new records. */
  readonly maxWaitMs: number;
  /** Answer as soon as this many bytes are available; default 1. */
  readonly minBytes?: number;
}

/** Resolve an offset: earliest, latest, or by timestamp. */
export interface ListOffsetsRequest {
  readonly op: "listOffsets";
  readonly topic: string;
  readonly partition: number;
  /** Earliest, Latest or Timestamp (Exact is not allowed here). */
  readonly spec: OffsetSpec;
  /** Required when spec is Timestamp. */
  readonly timestampMs?: number;
}

/** Get a producer id for idempotent produce; with an existing id, bump its epoch (fencing older instances). */
export interface InitProducerIdRequest {
  readonly op: "initProducerId";
  /** An id this producer held before, to keep it with a new epoch. Both or neither. */
  readonly producerId?: number;
  readonly producerEpoch?: number;
}

/** Move a partition's leadership (DLedger-style transfer). */
export interface TransferLeaderRequest {
  readonly op: "transferLeader";
  readonly topic: string;
  readonly partition: number;
  /** Target replica; the most preferred caught-up replica when absent. */
  readonly toBrokerId?: number;
  /** How long to wait for the transfer to finish; the broker default when absent. */
  readonly timeoutMs?: number;
}

/** One partition move of reassignPartitions: the partition's new replica list, in preference order. */
export interface ReassignmentMove {
  readonly topic: string;
  readonly partition: number;
  /** Distinct broker ids, the preferred leader first; at most replicationFactorMax. */
  readonly replicas: readonly number[];
}

/**
 * Move partitions to new replica lists (docs/OPERATIONS.md, "Moving
 * partitions"). Answered by the controller leader once the moves are
 * recorded; the partitions' leaders then move the data. Refused whole when
 * one move does not fit (unknown topic or partition, an unknown or
 * unreachable broker, a partition already moving or named twice).
 */
export interface ReassignPartitionsRequest {
  readonly op: "reassignPartitions";
  /** At least one. */
  readonly moves: readonly ReassignmentMove[];
}

/** A partition named by cancelReassignment. */
export interface ReassignmentRef {
  readonly topic: string;
  readonly partition: number;
}

/**
 * Cancel moves: each partition goes back to its replica list (the brokers
 * of the target it was heading to keep their copy until it is back, then
 * delete it). Answered by the controller leader once recorded. Refused
 * whole when a partition is not moving or its move is already cancelled.
 */
export interface CancelReassignmentRequest {
  readonly op: "cancelReassignment";
  /** At least one. */
  readonly partitions: readonly ReassignmentRef[];
}

/** Every partition being moved, with its progress. */
export interface ListReassignmentsRequest {
  readonly op: "listReassignments";
}

/**
 * Move every replica off a broker (to the live brokers with fewest replicas)
 * so that it can be shut down for good. Answered by the controller leader
 * once the moves are recorded.
 */
export interface DecommissionBrokerRequest {
  readonly op: "decommissionBroker";
  readonly brokerId: number;
}

/** Move leadership of every partition (or one topic's) back to its preferred replica. */
export interface RebalanceLeadersRequest {
  readonly op: "rebalanceLeaders";
  readonly topic?: string;
}

/** Brokers with reachability, and per partition its leader, term, offsets and replica lag. */
export interface ClusterStatusRequest {
  readonly op: "clusterStatus";
}

/**
 * Add a broker to a running cluster's registry (docs/OPERATIONS.md, "Adding
 * a broker"): its id and advertised addresses. Answered by the controller
 * leader only, like createTopic. The broker itself is started afterwards.
 */
export interface RegisterBrokerRequest {
  readonly op: "registerBroker";
  /** A broker id the cluster does not know yet (BROKER_ALREADY_REGISTERED otherwise). Not `id`: that is the frame's request id. */
  readonly brokerId: number;
  /** Its advertised host: where clients and peers connect (never 0.0.0.0 or ::). */
  readonly host: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** Its Kafka-protocol listener's port (docs/KAFKA.md), when it will have one. */
  readonly kafkaPort?: number;
}

/** Remove a registered broker that holds no replicas and is no controller voter. Controller leader only. */
export interface UnregisterBrokerRequest {
  readonly op: "unregisterBroker";
  readonly brokerId: number;
}

/** Every broker of the cluster, configured or registered, as the controller leader sees it. */
export interface ListBrokersRequest {
  readonly op: "listBrokers";
}

/**
 * Change the controller group's voters (docs/OPERATIONS.md, "Controller
 * voters"), by joint consensus; every other known broker stays a controller
 * learner. Controller leader only; resolves once the new voters alone decide.
 */
export interface AlterControllerVotersRequest {
  readonly op: "alterControllerVoters";
  /** The new voters: distinct, known and live brokers, 1 .. CONTROLLER_VOTERS_MAX of them. */
  readonly voters: readonly number[];
}

/**
 * Join a consumer group (or rejoin after REBALANCE_IN_PROGRESS). Assignment
 * is done by the coordinator (server side): the response of syncGroup carries
 * this member's partitions.
 */
export interface JoinGroupRequest {
  readonly op: "joinGroup";
  readonly group: string;
  /** "" for a new member; the previous member id when rejoining. */
  readonly memberId: string;
  /** Topics to consume. */
  readonly topics: readonly string[];
  /** The member is removed if it sends no heartbeat for this long. */
  readonly sessionTimeoutMs: number;
  /** How long the coordinator waits for all members to rejoin during a rebalance. */
  readonly rebalanceTimeoutMs: number;
  /**
   * How the coordinator assigns partitions; default Sticky. Every member of a
   * group must ask for the same one (INCONSISTENT_GROUP_PROTOCOL otherwise);
   * the group adopts the strategy of the member that joins it when it has no members.
   */
  readonly assignmentStrategy?: AssignmentStrategy;
}

/** Get this member's assignment for a generation. */
export interface SyncGroupRequest {
  readonly op: "syncGroup";
  readonly group: string;
  readonly generation: number;
  readonly memberId: string;
}

/** Keep membership alive; answered REBALANCE_IN_PROGRESS when the member must rejoin. */
export interface HeartbeatRequest {
  readonly op: "heartbeat";
  readonly group: string;
  readonly generation: number;
  readonly memberId: string;
}

/** Leave a group at once (instead of waiting for the session to expire). */
export interface LeaveGroupRequest {
  readonly op: "leaveGroup";
  readonly group: string;
  readonly memberId: string;
}

/** One offset to commit: the next offset the group will read. */
export interface CommitOffset extends TopicPartition {
  readonly offset: number;
  /** Free-form, at most stringLengthMax characters. */
  readonly metadata?: string;
}

/** Commit consumed positions for a group. */
export interface CommitOffsetsRequest {
  readonly op: "commitOffsets";
  readonly group: string;
  /** Both present for a group member; both absent for a standalone commit (group must be empty). */
  readonly generation?: number;
  readonly memberId?: string;
  readonly offsets: readonly CommitOffset[];
}

/** Read a group's committed offsets. */
export interface FetchOffsetsRequest {
  readonly op: "fetchOffsets";
  readonly group: string;
  /** Only these partitions; all the group has committed when absent. */
  readonly partitions?: readonly TopicPartition[];
}

/** All consumer groups. */
export interface ListGroupsRequest {
  readonly op: "listGroups";
}

/** One group's state, members, assignment, committed offsets and lag. */
export interface DescribeGroupRequest {
  readonly op: "describeGroup";
  readonly group: string;
}

/** Set an empty group's committed offsets for a topic (GROUP_NOT_EMPTY otherwise). */
export interface ResetOffsetsRequest {
  readonly op: "resetOffsets";
  readonly group: string;
  readonly topic: string;
  /** Only these partitions; all of the topic's when absent. */
  readonly partitions?: readonly number[];
  readonly spec: OffsetSpec;
  /** Required when spec is Timestamp. */
  readonly timestampMs?: number;
  /** Required when spec is Exact. */
  readonly offset?: number;
}

/** Add ACLs (docs/SECURITY.md). Needs alter on the cluster. Answered by the controller leader only, like createTopic. */
export interface CreateAclsRequest {
  readonly op: "createAcls";
  /** 1 .. arrayLengthMax ACLs; ones already held are kept as they are. */
  readonly acls: readonly Acl[];
}

/** Remove every ACL matching any of the filters. Needs alter on the cluster. Answered by the controller leader only. */
export interface DeleteAclsRequest {
  readonly op: "deleteAcls";
  /** 1 .. arrayLengthMax filters; each present field must equal the ACL's (the empty filter matches every ACL). */
  readonly filters: readonly AclFilter[];
}

/** The ACLs matching a filter (all when absent), from this broker's applied metadata. Needs describe on the cluster. */
export interface ListAclsRequest {
  readonly op: "listAcls";
  readonly filter?: AclFilter;
}

/**
 * One client message of a SASL exchange, answered by the session itself (like
 * the handshake): sent right after the handshake when the broker asks for
 * authentication (docs/PROTOCOL.md, "Authentication"). SCRAM-SHA-256 takes
 * two: client-first, then client-final.
 */
export interface AuthenticateRequest {
  readonly op: "authenticate";
  readonly mechanism: ScramMechanism;
  /** The SCRAM message (RFC 5802), at most SCRAM_MESSAGE_BYTES_MAX bytes. */
  readonly message: Uint8Array;
}

/**
 * Create a SCRAM user, or replace its credential (a password change). The
 * client derives the credential from the password: the password never
 * crosses the wire. Answered by the controller leader (NOT_CONTROLLER elsewhere).
 */
export interface CreateUserRequest {
  readonly op: "createUser";
  /** 1 .. stringLengthMax characters, no control characters. */
  readonly name: string;
  /** Salt 16..64 bytes, iterations 4096..1 000 000, keys 32 bytes. */
  readonly credential: ScramCredential;
}

/** Delete a SCRAM user (not one of the broker's scramUsersFile). */
export interface DeleteUserRequest {
  readonly op: "deleteUser";
  readonly name: string;
}

/** Every SCRAM user: names and iteration counts, never keys. */
export interface ListUsersRequest {
  readonly op: "listUsers";
}
