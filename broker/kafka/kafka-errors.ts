/**
 * Kafka's error codes that rlog's Kafka listener sends, and the mapping
 * from rlog's error table (broker/protocol/errors.ts) to them, chosen so a
 * Kafka client's retry logic does the right thing: a retriable rlog error
 * maps to a retriable Kafka error (NOT_LEADER -> NOT_LEADER_OR_FOLLOWER,
 * which makes the client refresh its metadata and resend), a fatal one to a
 * fatal one. The whole mapping is in docs/KAFKA.md, "Error codes".
 *
 * Authorization failures depend on the resource the request names (topic,
 * group or cluster), so callers pass the Kafka code for their resource.
 */
import { RlogError, type ErrorName } from "../protocol/errors.js";

/** Kafka error codes (Kafka's protocol guide, "Error Codes"): only those rlog sends. */
export const KafkaError = Object.freeze({
  UNKNOWN_SERVER_ERROR: -1,
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  BROKER_NOT_AVAILABLE: 8,
  MESSAGE_TOO_LARGE: 10,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  INVALID_TOPIC_EXCEPTION: 17,
  RECORD_LIST_TOO_LARGE: 18,
  NOT_ENOUGH_REPLICAS: 19,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
  CLUSTER_AUTHORIZATION_FAILED: 31,
  UNSUPPORTED_SASL_MECHANISM: 33,
  ILLEGAL_SASL_STATE: 34,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_CONFIG: 40,
  NOT_CONTROLLER: 41,
  INVALID_REQUEST: 42,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  KAFKA_STORAGE_ERROR: 56,
  SASL_AUTHENTICATION_FAILED: 58,
  UNKNOWN_PRODUCER_ID: 59,
  REASSIGNMENT_IN_PROGRESS: 60,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  GROUP_MAX_SIZE_REACHED: 81,
  INVALID_RECORD: 87,
  NO_REASSIGNMENT_IN_PROGRESS: 85,
  INVALID_REPLICA_ASSIGNMENT: 39,
  /** Produce and InitProducerId with a transactional id: rlog has no transactions (docs/KAFKA.md). */
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  FETCH_SESSION_ID_NOT_FOUND: 70,
  INVALID_FETCH_SESSION_EPOCH: 71,
  OFFSET_METADATA_TOO_LARGE: 12,
});

/** A Kafka error code. */
export type KafkaErrorCode = (typeof KafkaError)[keyof typeof KafkaError];

/** Which authorization failure code fits the resource a request names. */
export type AuthorizationCode = typeof KafkaError.TOPIC_AUTHORIZATION_FAILED | typeof KafkaError.GROUP_AUTHORIZATION_FAILED | typeof KafkaError.CLUSTER_AUTHORIZATION_FAILED;

/** rlog error name -> Kafka error code (AUTHORIZATION_FAILED is resource-dependent: see kafkaErrorCode). */
const MAPPING: { readonly [N in ErrorName]: KafkaErrorCode } = {
  INTERNAL_ERROR: KafkaError.UNKNOWN_SERVER_ERROR,
  INVALID_REQUEST: KafkaError.INVALID_REQUEST,
  UNKNOWN_OPERATION: KafkaError.UNSUPPORTED_VERSION,
  UNSUPPORTED_VERSION: KafkaError.UNSUPPORTED_VERSION,
  REQUEST_TOO_LARGE: KafkaError.RECORD_LIST_TOO_LARGE,
  RECORD_TOO_LARGE: KafkaError.MESSAGE_TOO_LARGE,
  INVALID_TOPIC: KafkaError.INVALID_TOPIC_EXCEPTION,
  UNKNOWN_TOPIC: KafkaError.UNKNOWN_TOPIC_OR_PARTITION,
  UNKNOWN_PARTITION: KafkaError.UNKNOWN_TOPIC_OR_PARTITION,
  TOPIC_ALREADY_EXISTS: KafkaError.TOPIC_ALREADY_EXISTS,
  INVALID_PARTITIONS: KafkaError.INVALID_PARTITIONS,
  INVALID_REPLICATION_FACTOR: KafkaError.INVALID_REPLICATION_FACTOR,
  NOT_LEADER: KafkaError.NOT_LEADER_OR_FOLLOWER,
  LEADER_NOT_AVAILABLE: KafkaError.LEADER_NOT_AVAILABLE,
  // Writes pause while leadership moves: the client refreshes metadata and resends.
  LEADER_TRANSFER_IN_PROGRESS: KafkaError.NOT_LEADER_OR_FOLLOWER,
  NOT_ENOUGH_REPLICAS: KafkaError.NOT_ENOUGH_REPLICAS,
  OFFSET_OUT_OF_RANGE: KafkaError.OFFSET_OUT_OF_RANGE,
  TIMEOUT: KafkaError.REQUEST_TIMED_OUT,
  NOT_CONTROLLER: KafkaError.NOT_CONTROLLER,
  BROKER_NOT_AVAILABLE: KafkaError.BROKER_NOT_AVAILABLE,
  TOO_MANY_CONNECTIONS: KafkaError.BROKER_NOT_AVAILABLE,
  TOO_MANY_REQUESTS: KafkaError.BROKER_NOT_AVAILABLE,
  OUT_OF_ORDER_SEQUENCE: KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER,
  DUPLICATE_SEQUENCE: KafkaError.DUPLICATE_SEQUENCE_NUMBER,
  UNKNOWN_PRODUCER: KafkaError.UNKNOWN_PRODUCER_ID,
  PRODUCER_FENCED: KafkaError.INVALID_PRODUCER_EPOCH,
  COORDINATOR_NOT_AVAILABLE: KafkaError.COORDINATOR_NOT_AVAILABLE,
  NOT_COORDINATOR: KafkaError.NOT_COORDINATOR,
  ILLEGAL_GENERATION: KafkaError.ILLEGAL_GENERATION,
  UNKNOWN_MEMBER: KafkaError.UNKNOWN_MEMBER_ID,
  REBALANCE_IN_PROGRESS: KafkaError.REBALANCE_IN_PROGRESS,
  GROUP_NOT_EMPTY: KafkaError.NON_EMPTY_GROUP,
  UNKNOWN_GROUP: KafkaError.GROUP_ID_NOT_FOUND,
  AUTHENTICATION_FAILED: KafkaError.SASL_AUTHENTICATION_FAILED,
  // A broker stopping: retriable, and the client goes to another broker.
  SHUTTING_DOWN: KafkaError.NOT_LEADER_OR_FOLLOWER,
  CORRUPT_RECORD_BATCH: KafkaError.CORRUPT_MESSAGE,
  INCONSISTENT_GROUP_PROTOCOL: KafkaError.INCONSISTENT_GROUP_PROTOCOL,
  GROUP_LIMIT_REACHED: KafkaError.GROUP_MAX_SIZE_REACHED,
  CLUSTER_ID_MISMATCH: KafkaError.UNKNOWN_SERVER_ERROR,
  // Kafka answers a full log directory with KAFKA_STORAGE_ERROR (retriable).
  NOT_ENOUGH_SPACE: KafkaError.KAFKA_STORAGE_ERROR,
  STORAGE_ERROR: KafkaError.KAFKA_STORAGE_ERROR,
  UNSUPPORTED_COMPRESSION: KafkaError.UNSUPPORTED_COMPRESSION_TYPE,
  INVALID_RECORD_BATCH: KafkaError.INVALID_RECORD,
  AUTHORIZATION_FAILED: KafkaError.TOPIC_AUTHORIZATION_FAILED,
  REASSIGNMENT_IN_PROGRESS: KafkaError.REASSIGNMENT_IN_PROGRESS,
  NO_REASSIGNMENT_IN_PROGRESS: KafkaError.NO_REASSIGNMENT_IN_PROGRESS,
  BROKER_ALREADY_REGISTERED: KafkaError.INVALID_REQUEST,
  INVALID_CONTROLLER_VOTERS: KafkaError.INVALID_REQUEST,
};

/**
 * The Kafka code for an error thrown by an rlog handler. Any exception that
 * is not an RlogError is UNKNOWN_SERVER_ERROR (the caller logs it: a bug).
 * @param authorization the code of an authorization failure on this request's resource
 */
export function kafkaErrorCode(err: unknown, authorization: AuthorizationCode = KafkaError.TOPIC_AUTHORIZATION_FAILED): KafkaErrorCode {
  if (!(err instanceof RlogError)) return KafkaError.UNKNOWN_SERVER_ERROR;
  if (err.is("AUTHORIZATION_FAILED")) return authorization;
  return MAPPING[err.codeName as ErrorName] ?? KafkaError.UNKNOWN_SERVER_ERROR;
}

/** The rlog-to-Kafka table, for docs and tests. */
export function kafkaErrorMapping(): ReadonlyArray<readonly [ErrorName, KafkaErrorCode]> {
  return Object.entries(MAPPING) as [ErrorName, KafkaErrorCode][];
}
