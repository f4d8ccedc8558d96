/**
 * The seam between the Kafka listener (frames, headers, connections) and the
 * Kafka APIs (broker/kafka/apis/): one KafkaApi per API key, which parses its
 * request body, does the work through rlog's own operation handlers (the
 * same ones the WebSocket listener calls, so both protocols serve one
 * cluster), and writes its response body.
 *
 * An API never touches the socket. It throws KafkaDecodeError for a body
 * that does not parse (the connection closes); every other failure is
 * answered in the API's own response, with a Kafka error code
 * (kafka-errors.ts).
 */
import type { Logger } from "pino";
import type { HandlerOp, RequestOf, ResultOf } from "../protocol/ops.js";

/** The request of an op answered by a handler. */
export type HandlerRequest = RequestOf<HandlerOp>;
import type { KafkaReader } from "./kafka-reader.js";
import type { KafkaWriter } from "./kafka-writer.js";
import type { ScramCredential } from "../protocol/scram-limits.js";
import type { Limits } from "../protocol/limits.js";
import type { TopicConfig } from "../protocol/requests.js";

/** A request's header (Kafka request header v1, or v2 in flexible versions). */
export interface KafkaRequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

/** A broker as Kafka clients reach it. */
export interface KafkaBrokerEndpoint {
  readonly id: number;
  readonly host: string;
  readonly port: number;
}

/** What the Kafka APIs may know of the cluster beyond rlog's ops. */
export interface KafkaClusterView {
  /** This broker's id. */
  readonly brokerId: number;
  /** The cluster's id (Metadata v2+), or null before the controller has recorded one. */
  clusterId(): string | null;
  /** Every broker with a Kafka listener, as clients reach it, by id. */
  kafkaBrokers(): readonly KafkaBrokerEndpoint[];
  /** The broker's request limits (CreateTopics checks its topics against them as rlog's own parser does). */
  readonly limits: Limits;
  /** What a topic gets when CreateTopics leaves something to the broker (v4+: -1) and what DescribeConfigs reports as defaults. */
  readonly topicDefaults: KafkaTopicDefaults;
}

/** The broker's defaults for new topics. */
export interface KafkaTopicDefaults {
  /** defaultPartitions. */
  readonly partitions: number;
  /** defaultReplicationFactor. */
  readonly replicationFactor: number;
  /** The settings a topic gets when it overrides none (storage.* and the compression default). */
  config(): TopicConfig;
}

/**
 * How a connection logs in (SaslHandshake, SaslAuthenticate). The listener
 * lets nothing but ApiVersions, SaslHandshake and SaslAuthenticate through
 * until `principal` is set when `required` is true.
 */
export interface KafkaConnectionAuth {
  /** Whether this listener requires SASL before other requests (authentication.mechanism "scram"). */
  readonly required: boolean;
  /** Whether the connection is TLS (PLAIN is offered only then). */
  readonly tls: boolean;
  /** The SASL mechanism chosen by SaslHandshake, until the exchange ends. */
  mechanism: string | undefined;
  /** The exchange in progress (owned by the SASL API). */
  exchange: unknown;
  /** "User:<name>" once logged in (or from a client certificate); "User:ANONYMOUS" when authentication is off. */
  principal: string | undefined;
  /** Look up a SCRAM user (users file and metadata). */
  lookupUser(name: string): ScramCredential | undefined;
  /** A failed login is answered this long after the failing message (authentication.failureDelayMs). */
  readonly failureDelayMs: number;
  /** The broker's key for unknown users' fake SCRAM salts: the WebSocket listener's, so both answer an unknown name alike. */
  readonly fakeSaltKey: Uint8Array;
}

/** What an API's handler gets with its request. */
export interface KafkaApiContext {
  readonly header: KafkaRequestHeader;
  /** Unique per connection on this broker, for logs. */
  readonly connectionId: number;
  /** Aborted when the connection closes (stop long polls). */
  readonly signal: AbortSignal;
  readonly cluster: KafkaClusterView;
  readonly auth: KafkaConnectionAuth;
  readonly log: Logger;
  /**
   * Run one of rlog's operations as this connection's principal: checked
   * against the ACLs exactly as on the WebSocket listener, then handled by
   * the same handler. Throws RlogError (AUTHORIZATION_FAILED when refused).
   */
  call<R extends HandlerRequest>(request: R, signal?: AbortSignal): Promise<ResultOf<R["op"]>>;
  /**
   * Keep only `keptBytes` of what this request's fetch ops have reserved of
   * the response budget so far (the records the response will carry), and
   * give the rest back at once. A request that runs one fetch op per
   * partition (Fetch) calls it after each, so it holds one fetch's
   * reservation at a time instead of one per partition.
   */
  keepReserved(keptBytes: number): void;
  /**
   * Check that this connection's principal may run `request`, without
   * running it (CreateTopics validate_only). Throws the RlogError `call`
   * would (AUTHORIZATION_FAILED).
   */
  authorize(request: HandlerRequest): void;
  /** Close the connection once this request's response is written (a failed SASL login). */
  closeAfterResponse(): void;
}

/** One Kafka API: its key, the versions rlog answers, and its handler. */
export interface KafkaApi {
  readonly key: number;
  /** Kafka's name for it, for logs ("Produce"). */
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /**
   * Parse the body (`body` is positioned after the header) and answer: the
   * response body, without the header, or null for a request Kafka answers
   * with nothing at all (Produce with acks 0). Throws KafkaDecodeError when
   * the body does not parse.
   */
  handle(version: number, body: KafkaReader, ctx: KafkaApiContext): Promise<KafkaWriter | null> | KafkaWriter | null;
}
