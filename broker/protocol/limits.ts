/**
 * Every limit of the client protocol, with its default. The broker enforces
 * them (its config may override some) and announces the values it enforces
 * in the handshake response, so a client can size its batches before sending.
 * docs/PROTOCOL.md lists every limit with its default (a test checks it).
 *
 * Peer (broker-to-broker) limits live in broker/transport/peer-limits.ts.
 */
import { LIMIT_DEFAULTS } from "./defaults.js";

/** The limits a broker enforces on client connections. */
export interface Limits {
  /** Largest WebSocket frame (one request or response) in bytes; bigger frames close the connection. */
  readonly frameBytesMax: number;
  /**
   * Largest single record: key + value + header keys and values, in bytes. The SDK producer
   * checks it; the leader, which does not decode records, relies on batchBytesMax.
   */
  readonly recordBytesMax: number;
  /** Most records in one produce request (one record batch, one Raft entry). */
  readonly batchRecordsMax: number;
  /** Largest record batch in one produce request, in bytes as sent (compressed or not). */
  readonly batchBytesMax: number;
  /** Most bytes a compressed batch may decompress to (the leader's recompression, consumers). */
  readonly batchDecompressedBytesMax: number;
  /** Most headers on one record. */
  readonly recordHeadersMax: number;
  /** Largest `maxBytes` a fetch may ask for; also the fetch response budget. */
  readonly fetchBytesMax: number;
  /** Longest `maxWaitMs` a fetch may ask for (long poll). */
  readonly fetchWaitMsMax: number;
  /** Longest `timeoutMs` a produce, transfer or other waiting request may ask for. */
  readonly requestTimeoutMsMax: number;
  /** Longest topic name, in characters (names are ASCII). */
  readonly topicNameLengthMax: number;
  /** Longest client id, group id, member id, header key or offset-commit metadata, in characters. */
  readonly stringLengthMax: number;
  /** Most partitions in one topic. */
  readonly partitionsMax: number;
  /** Largest replication factor (Raft group size). */
  readonly replicationFactorMax: number;
  /** Most entries in any other array of a request (topic lists, offsets to commit, partitions). */
  readonly arrayLengthMax: number;
  /** Most client connections a broker accepts at once. */
  readonly connectionsMax: number;
  /** Most requests one connection may have outstanding (sent, not yet answered). */
  readonly inflightRequestsMax: number;
  /** Time a new connection has to complete its handshake before the broker closes it. */
  readonly handshakeWaitMsMax: number;
  /** A connection with nothing running, nothing unsent and no frame received for this long is closed (4009). */
  readonly connectionIdleMs: number;
  /** Most client connections from one remote IP address; the next gets TOO_MANY_CONNECTIONS and close 4004. */
  readonly connectionsPerAddressMax: number;
  /** Response bytes one connection may hold (reserved by fetches before they read, or unsent). */
  readonly connectionResponseBytesMax: number;
  /** Response bytes all client connections of a broker may hold together. */
  readonly brokerResponseBytesMax: number;
  /** A connection whose unsent responses have not moved for this long is closed (1008). */
  readonly sendStallMs: number;
  /** The same, sooner, while fetches wait for the broker's response budget. */
  readonly sendStallPressureMs: number;
  /** Smallest `segmentBytes` a topic may configure. */
  readonly segmentBytesMin: number;
  /** Largest `segmentBytes` a topic may configure. */
  readonly segmentBytesMax: number;
  /** Smallest `segmentMs` a topic may configure. */
  readonly segmentMsMin: number;
  /** Shortest consumer-group session timeout. */
  readonly sessionTimeoutMsMin: number;
  /** Longest consumer-group session timeout. */
  readonly sessionTimeoutMsMax: number;
  /** Longest consumer-group rebalance timeout. */
  readonly rebalanceTimeoutMsMax: number;
}

/**
 * Defaults: the values of broker/protocol/defaults.ts (the one place they are
 * written). Change only with care: they are documented in docs/PROTOCOL.md.
 */
export const DEFAULT_LIMITS: Limits = LIMIT_DEFAULTS;

/**
 * Fixed bounds that are not configurable: they keep numbers exact in a
 * float64 and in the record batch layout.
 */
export const FIXED_LIMITS = Object.freeze({
  /** Largest offset, index, producer id or byte count anywhere: 2^53 - 1, exact in a float64. */
  integerMax: Number.MAX_SAFE_INTEGER,
  /** Largest request id; ids are unsigned 32-bit (1 .. 2^32 - 1; 0 is "no request"). */
  requestIdMax: 0xffff_ffff,
  /** Largest record timestamp, ms since the epoch: 2^48 (year 10889); fits the batch layout's varints. */
  timestampMsMax: 2 ** 48,
  /** Largest broker id (unsigned 31-bit; 0 means "none"). */
  brokerIdMax: 0x7fff_ffff,
  /** Most controller voters alterControllerVoters takes: more voters only slow every metadata commit (Kafka and etcd advise 3 or 5). */
  controllerVotersMax: 9,
  /** Largest producer epoch (int16 in the record batch layout). */
  producerEpochMax: 0x7fff,
  /** Largest idempotence sequence number (int32 in the record batch layout). */
  sequenceMax: 0x7fff_ffff,
});

/** Most controller voters (FIXED_LIMITS.controllerVotersMax). */
export const CONTROLLER_VOTERS_MAX = FIXED_LIMITS.controllerVotersMax;
