/**
 * Response bodies, one per operation. On the wire a successful response is a
 * msgpack map `{ id, ok: true, ...result }` (see frames.ts). Broker ids are
 * positive; 0 means "none / unknown" wherever a broker id may be missing.
 */
import type { Acl } from "./acls.js";
import type { GroupState } from "./enums.js";
import type { Limits } from "./limits.js";
import type { FetchedBatch } from "./records.js";
import type { CommitOffset, TopicConfig } from "./requests.js";

/** The broker's identity and the limits it enforces on this connection. */
export interface HandshakeResult {
  readonly brokerId: number;
  /** The protocol version both sides now speak. */
  readonly version: number;
  readonly limits: Limits;
  /**
   * What the connection must do before any other request: `mechanisms` lists
   * the SASL mechanisms accepted (["SCRAM-SHA-256"]), or is empty when no
   * authentication is needed. Absent from brokers older than this field.
   */
  readonly authentication?: { readonly mechanisms: readonly string[] };
}

/** A broker as clients reach it. */
export interface BrokerInfo {
  readonly brokerId: number;
  /** Client listener URL, e.g. "ws://127.0.0.1:9092". */
  readonly clientUrl: string;
}

/** Where a partition lives. */
export interface PartitionMetadata {
  readonly partition: number;
  /** Current leader, 0 when there is none (election in progress). */
  readonly leader: number;
  /** Replica brokers in preference order: the first is the preferred leader. */
  readonly replicas: readonly number[];
  /** Raft term of the partition's group as last known; grows with each election. */
  readonly term: number;
}

/** A topic's partitions. */
export interface TopicMetadata {
  readonly name: string;
  /** Internal topics (names starting with "__") hold broker state, e.g. consumer-group offsets. */
  readonly internal: boolean;
  /** Ordered by partition number. */
  readonly partitions: readonly PartitionMetadata[];
}

/** Result of metadata. */
export interface MetadataResult {
  readonly brokers: readonly BrokerInfo[];
  /** Leader of the controller group, 0 when unknown. */
  readonly controllerId: number;
  readonly topics: readonly TopicMetadata[];
}

/** A topic's full description. */
export interface TopicDescription extends TopicMetadata {
  readonly replicationFactor: number;
  /** Effective settings (defaults filled in). */
  readonly config: TopicConfig;
}

/** Result of createTopic: the topic as placed by the controller. */
export interface CreateTopicResult {
  readonly topic: TopicDescription;
}

/** Result of alterTopic: the topic as altered (new partitions' leaders may still be electing: 0). */
export interface AlterTopicResult {
  readonly topic: TopicDescription;
}

/** Result of deleteTopic. */
export type DeleteTopicResult = Record<never, never>;

/** Result of describeTopic. */
export interface DescribeTopicResult {
  readonly topic: TopicDescription;
}

/** One line of listTopics. */
export interface TopicSummary {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly internal: boolean;
}

/** Result of listTopics, sorted by name. */
export interface ListTopicsResult {
  readonly topics: readonly TopicSummary[];
}

/** Result of produce. Record i of the request got offset baseOffset + i. */
export interface ProduceResult {
  readonly baseOffset: number;
  /** Number of records written (= records.length of the request). */
  readonly count: number;
  /** The leader's clock when it appended the batch, ms since the epoch. */
  readonly logAppendTimeMs: number;
}

/** Result of fetch. Only committed records (below highWatermark) are returned. */
export interface FetchResult {
  /** In offset order; may be empty after maxWaitMs. Decode with decodeFetchedBatches. */
  readonly batches: readonly FetchedBatch[];
  readonly highWatermark: number;
  readonly logStartOffset: number;
}

/** Result of listOffsets. */
export interface ListOffsetsResult {
  readonly offset: number;
  /** For spec Timestamp: the timestamp of the record found, absent if none was. */
  readonly timestampMs?: number;
}

/** Result of initProducerId. */
export interface InitProducerIdResult {
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** Result of transferLeader: answered once the new leader holds the partition. */
export interface TransferLeaderResult {
  readonly leader: number;
  readonly term: number;
}

/** A partition move as recorded: its replica list and its target. */
export interface RecordedReassignment {
  readonly topic: string;
  readonly partition: number;
  /** The replica list it moves from (still the partition's list until the move completes). */
  readonly from: readonly number[];
  /** The replica list it moves to. */
  readonly target: readonly number[];
}

/** Result of reassignPartitions: the moves recorded. */
export interface ReassignPartitionsResult {
  readonly moves: readonly RecordedReassignment[];
}

/**
 * Where a move stands, as the answering broker knows it: "learners" (new
 * replicas catching up as learners), "joint" (the group's voters are the
 * old and new lists together), "completing" (the group's voters are the
 * target; the controller is about to record it), "pending" (not started or
 * not known here: the answering broker neither leads the partition nor heard
 * of its membership).
 */
export type ReassignmentPhase = "pending" | "learners" | "joint" | "completing";

/** One learner of a moving partition and how far behind the leader's commit index it is (entries). */
export interface LearnerLag {
  readonly brokerId: number;
  readonly lagEntries: number;
}

/** One moving partition in listReassignments. */
export interface ReassignmentStatus extends RecordedReassignment {
  readonly phase: ReassignmentPhase;
  /** The group's leader as known here (0: unknown). */
  readonly leader: number;
  /** The learners' lag, when the answering broker leads the partition (empty otherwise). */
  readonly learners: readonly LearnerLag[];
  /** A cancelled move: the target it was heading to (`target` is then the partition's own list). */
  readonly cancelledTarget?: readonly number[];
}

/** Result of listReassignments. */
export interface ListReassignmentsResult {
  readonly reassignments: readonly ReassignmentStatus[];
}

/** Result of cancelReassignment: each partition, the target given up and the list it goes back to. */
export interface CancelReassignmentResult {
  readonly cancelled: readonly { readonly topic: string; readonly partition: number; readonly cancelledTarget: readonly number[]; readonly replicas: readonly number[] }[];
}

/** Result of decommissionBroker: the moves recorded (none when the broker held no replica). */
export interface DecommissionBrokerResult {
  readonly moves: readonly RecordedReassignment[];
}

/** One leadership move started by rebalanceLeaders. */
export interface LeaderMove {
  readonly topic: string;
  readonly partition: number;
  readonly fromBrokerId: number;
  readonly toBrokerId: number;
}

/** Result of rebalanceLeaders: transfers started (they complete asynchronously). */
export interface RebalanceLeadersResult {
  readonly moves: readonly LeaderMove[];
}

/** A broker's health as seen by the answering broker. */
export interface BrokerStatus {
  readonly brokerId: number;
  readonly clientUrl: string;
  /** Whether the answering broker has a working peer link to it (always true for itself). */
  readonly reachable: boolean;
}

/** A replica's progress as seen by the partition leader. */
export interface ReplicaStatus {
  readonly brokerId: number;
  /** Highest Raft index known to match the leader's log. */
  readonly matchIndex: number;
  /** Leader's last index minus matchIndex: entries (not records) behind. */
  readonly lagEntries: number;
  readonly reachable: boolean;
  /**
   * The replica is recovering from a lost disk (docs/STORAGE.md, "A lost
   * disk"): it neither votes nor counts toward commits until it rejoins.
   * Absent from brokers that predate it; read absent as false.
   */
  readonly recovering?: boolean;
  /**
   * The replica's log was cut after a damaged entry and is still behind what
   * it held before (docs/STORAGE.md, "A damaged entry"): it fetches the rest
   * and neither campaigns nor takes leadership meanwhile. Absent from brokers
   * that predate it; read absent as false.
   */
  readonly repairing?: boolean;
}

/** One partition in clusterStatus. */
export interface PartitionStatus {
  readonly topic: string;
  readonly partition: number;
  /** 0 when there is no leader. */
  readonly leader: number;
  readonly term: number;
  /** First replica of the replica list. */
  readonly preferredLeader: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  /** In preference order; empty when the leader is unknown to the answering broker. */
  readonly replicas: readonly ReplicaStatus[];
}

/** Result of clusterStatus. */
export interface ClusterStatusResult {
  readonly brokers: readonly BrokerStatus[];
  /**
   * Leader and term of the controller group; leader 0 when there is none.
   * `lastIndex`: the last index of the answering broker's copy of the
   * controller log (how many metadata entries it holds); older brokers leave it out.
   */
  readonly controller: {
    readonly leader: number;
    readonly term: number;
    readonly lastIndex?: number;
    /** The controller group's voters and learners as the answering broker holds them (committed); older brokers leave them out. */
    readonly voters?: readonly number[];
    readonly learners?: readonly number[];
  };
  readonly partitions: readonly PartitionStatus[];
}

/** One broker in listBrokers. */
export interface ListedBroker {
  readonly brokerId: number;
  readonly host: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** Its Kafka-protocol listener's advertised port (docs/KAFKA.md), when it has one. */
  readonly kafkaPort?: number;
  readonly clientUrl: string;
  /** Where the cluster knows it from: a `brokers` config entry, or registerBroker. */
  readonly source: "configured" | "registered";
  /** Whether the answering broker (the controller leader) has a working peer link to it (itself: true). */
  readonly live: boolean;
  /** Its place in the controller group: voter, learner (follows the metadata without voting), or none yet. */
  readonly controllerRole: "voter" | "learner" | "none";
  /** Partition replicas it holds, over every topic. */
  readonly replicas: number;
}

/** The controller group's membership in effect (committed). */
export interface ControllerMembership {
  readonly voters: readonly number[];
  readonly learners: readonly number[];
  /** A membership change is in flight (joint consensus not left yet, or learners being changed). */
  readonly changing: boolean;
}

/** Result of registerBroker: the broker as listed now. */
export interface RegisterBrokerResult {
  readonly broker: ListedBroker;
}

/** Result of unregisterBroker. */
export type UnregisterBrokerResult = Record<never, never>;

/** Result of listBrokers. */
export interface ListBrokersResult {
  readonly brokers: readonly ListedBroker[];
  readonly controller: ControllerMembership;
}

/** Result of alterControllerVoters: the controller membership once the change completed. */
export interface AlterControllerVotersResult {
  readonly controller: ControllerMembership;
}

/** Result of joinGroup. */
export interface JoinGroupResult {
  readonly generation: number;
  /** This member's id: send it in every later group request. */
  readonly memberId: string;
}

/** Partitions of one topic. */
export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

/** Result of syncGroup: this member's partitions for the generation. */
export interface SyncGroupResult {
  readonly assignment: readonly TopicPartitions[];
}

/** Result of heartbeat. */
export type HeartbeatResult = Record<never, never>;

/** Result of leaveGroup. */
export type LeaveGroupResult = Record<never, never>;

/** Result of commitOffsets: all offsets were committed (the request fails as a whole otherwise). */
export type CommitOffsetsResult = Record<never, never>;

/** Result of fetchOffsets: partitions without a committed offset are left out. */
export interface FetchOffsetsResult {
  readonly offsets: readonly CommitOffset[];
}

/** One line of listGroups. */
export interface GroupSummary {
  readonly group: string;
  readonly state: GroupState;
  readonly memberCount: number;
}

/** Result of listGroups, sorted by group. */
export interface ListGroupsResult {
  readonly groups: readonly GroupSummary[];
}

/** A group member in describeGroup. */
export interface GroupMember {
  readonly memberId: string;
  readonly clientId: string;
  readonly assignment: readonly TopicPartitions[];
}

/** A committed offset with its lag in describeGroup. */
export interface GroupOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The partition's high watermark when known to the coordinator. */
  readonly highWatermark?: number;
  /** highWatermark - offset, when the high watermark is known. */
  readonly lag?: number;
}

/** Result of describeGroup. */
export interface DescribeGroupResult {
  readonly group: string;
  readonly state: GroupState;
  readonly generation: number;
  readonly members: readonly GroupMember[];
  readonly offsets: readonly GroupOffset[];
}

/** Result of resetOffsets: the offsets now committed. */
export interface ResetOffsetsResult {
  readonly offsets: readonly CommitOffset[];
}

/** Result of createAcls: the ACLs that were not held before (in request order). */
export interface CreateAclsResult {
  readonly created: readonly Acl[];
}

/** Result of deleteAcls: the ACLs removed. */
export interface DeleteAclsResult {
  readonly deleted: readonly Acl[];
}

/** Result of listAcls, in the order they were created. */
export interface ListAclsResult {
  readonly acls: readonly Acl[];
}

/** Result of authenticate: the broker's SCRAM message; with the last one, who the connection now is. */
export interface AuthenticateResult {
  /** server-first, then server-final (whose signature the client must check). */
  readonly message: Uint8Array;
  /** "User:<name>", once the exchange succeeded. */
  readonly principal?: string;
}

/** Result of createUser. */
export type CreateUserResult = Record<string, never>;

/** Result of deleteUser. */
export type DeleteUserResult = Record<string, never>;

/** A user in listUsers. */
export interface UserInfo {
  readonly name: string;
  readonly mechanism: string;
  readonly iterations: number;
  /** "file" for users of the broker's scramUsersFile (not changeable through the protocol), else "metadata". */
  readonly source: "file" | "metadata";
}

/** Result of listUsers. */
export interface ListUsersResult {
  readonly users: readonly UserInfo[];
}
