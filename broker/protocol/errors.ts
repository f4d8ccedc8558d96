/**
 * The one shared error-code table, used by broker, client and CLI, and the
 * typed error that carries a code.
 *
 * Codes are sent on the wire and may be stored (in logs, in committed group
 * state): they are numeric and append-only. Never renumber or reuse a code;
 * add new codes at the end of the table. Clients decide by `code` only, never
 * by name or message text. `retriable` means "the same request may succeed if
 * sent again after a backoff" (possibly to another broker after refreshing
 * metadata); a non-retriable error needs a different request or a human.
 */

/** One row of the error table. */
export interface ErrorSpec {
  /** Stable numeric code; the only thing clients switch on. */
  readonly code: number;
  /** Stable upper-case name, for humans and logs. */
  readonly name: string;
  /** Whether resending the same request after a backoff may succeed. */
  readonly retriable: boolean;
  /** One line for docs and CLI help. */
  readonly description: string;
}

/**
 * The error table. Append-only: codes are never renumbered or reused.
 * docs/PROTOCOL.md lists every row (a test checks it).
 */
export const ERRORS = [
  { code: 1, name: "INTERNAL_ERROR", retriable: false, description: "Unexpected broker failure; a bug. The broker logs the details." },
  { code: 2, name: "INVALID_REQUEST", retriable: false, description: "Malformed request: not msgpack, wrong field types, missing fields or out-of-range numbers. The message names the field." },
  { code: 3, name: "UNKNOWN_OPERATION", retriable: false, description: "The `op` of the request is not one this broker knows." },
  { code: 4, name: "UNSUPPORTED_VERSION", retriable: false, description: "The handshake named a protocol version this broker does not speak; details carry the supported range." },
  { code: 5, name: "REQUEST_TOO_LARGE", retriable: false, description: "A frame or an array in the request exceeds a limit (frameBytesMax, batchRecordsMax, ...)." },
  { code: 6, name: "RECORD_TOO_LARGE", retriable: false, description: "One record exceeds recordBytesMax." },
  { code: 7, name: "INVALID_TOPIC", retriable: false, description: "Topic name is empty, too long, has characters outside [A-Za-z0-9._-], or is reserved (starts with \"__\")." },
  { code: 8, name: "UNKNOWN_TOPIC", retriable: true, description: "No such topic (it may not have reached this broker's metadata yet)." },
  { code: 9, name: "UNKNOWN_PARTITION", retriable: true, description: "The topic has no such partition, or this broker hosts no replica of it." },
  { code: 10, name: "TOPIC_ALREADY_EXISTS", retriable: false, description: "createTopic named an existing topic." },
  { code: 11, name: "INVALID_PARTITIONS", retriable: false, description: "Partition count is below 1 or above partitionsMax." },
  { code: 12, name: "INVALID_REPLICATION_FACTOR", retriable: false, description: "Replication factor is below 1, above replicationFactorMax, or above the number of brokers (or of live brokers, for a new topic)." },
  { code: 13, name: "NOT_LEADER", retriable: true, description: "This broker does not lead the partition; details.leader names the leader when known." },
  { code: 14, name: "LEADER_NOT_AVAILABLE", retriable: true, description: "The partition has no leader right now (election in progress)." },
  { code: 15, name: "LEADER_TRANSFER_IN_PROGRESS", retriable: true, description: "Leadership is moving; writes pause until it completes. details.leader names the target." },
  { code: 16, name: "NOT_ENOUGH_REPLICAS", retriable: true, description: "Too few replicas are reachable to commit the write or place the topic." },
  { code: 17, name: "OFFSET_OUT_OF_RANGE", retriable: false, description: "The offset is below the log start offset or above the high watermark; details carry both." },
  { code: 18, name: "TIMEOUT", retriable: true, description: "The operation did not complete in time (e.g. a produce with acks=all waiting for commit). It may still complete." },
  { code: 19, name: "NOT_CONTROLLER", retriable: true, description: "This broker does not lead the controller group; details.leader names the controller when known." },
  { code: 20, name: "BROKER_NOT_AVAILABLE", retriable: true, description: "The named broker is unknown or unreachable." },
  { code: 21, name: "TOO_MANY_CONNECTIONS", retriable: true, description: "The broker is at connectionsMax; the connection is closed." },
  { code: 22, name: "TOO_MANY_REQUESTS", retriable: true, description: "The connection has inflightRequestsMax requests outstanding; wait for responses before sending more." },
  { code: 23, name: "OUT_OF_ORDER_SEQUENCE", retriable: false, description: "An idempotent producer's sequence number skipped ahead of the last one written." },
  { code: 24, name: "DUPLICATE_SEQUENCE", retriable: false, description: "An idempotent producer resent a batch that was already written; details.baseOffset is its offset." },
  { code: 25, name: "UNKNOWN_PRODUCER", retriable: false, description: "Reserved; not sent by this version: a partition accepts a batch from a producer id it does not know (never seen, or forgotten) at any sequence, as Kafka does since KIP-360." },
  { code: 26, name: "PRODUCER_FENCED", retriable: false, description: "A newer epoch of this producer id exists; this producer instance must stop." },
  { code: 27, name: "COORDINATOR_NOT_AVAILABLE", retriable: true, description: "The group coordinator is not ready (its log has no leader or is loading)." },
  { code: 28, name: "NOT_COORDINATOR", retriable: true, description: "This broker is not the group's coordinator; details.leader names the coordinator when known." },
  { code: 29, name: "ILLEGAL_GENERATION", retriable: false, description: "The request names a stale group generation; rejoin the group." },
  { code: 30, name: "UNKNOWN_MEMBER", retriable: false, description: "The member id is not in the group (expired or never joined); rejoin with an empty member id." },
  { code: 31, name: "REBALANCE_IN_PROGRESS", retriable: false, description: "The group is rebalancing; rejoin to get the new assignment." },
  { code: 32, name: "GROUP_NOT_EMPTY", retriable: false, description: "The operation needs a group without active members (e.g. resetOffsets)." },
  { code: 33, name: "UNKNOWN_GROUP", retriable: false, description: "No such consumer group." },
  { code: 34, name: "AUTHENTICATION_FAILED", retriable: false, description: "Wrong or missing credentials: the cluster secret on the peer listener; on the client listener a failed SCRAM login, or a request before logging in. The connection is closed (4001)." },
  { code: 35, name: "SHUTTING_DOWN", retriable: true, description: "The broker is shutting down; reconnect to another broker." },
  { code: 36, name: "CORRUPT_RECORD_BATCH", retriable: false, description: "A stored or received record batch failed its checksum or layout checks." },
  { code: 37, name: "INCONSISTENT_GROUP_PROTOCOL", retriable: false, description: "joinGroup asked for an assignment strategy other than the one the group's current members use." },
  { code: 38, name: "GROUP_LIMIT_REACHED", retriable: false, description: "A consumer-group bound was reached: groups per coordinator partition, members per group or committed offsets per group (docs/GROUPS.md)." },
  { code: 39, name: "CLUSTER_ID_MISMATCH", retriable: false, description: "A peer's data belongs to another cluster (its cluster id differs); the peer connection is refused." },
  { code: 40, name: "NOT_ENOUGH_SPACE", retriable: true, description: "The broker's disk is full, or its free space is below storage.diskFreeMinBytes: it takes no new records until space returns. Leadership moves to a replica with space; retry." },
  { code: 41, name: "STORAGE_ERROR", retriable: true, description: "A read or write failed on this broker's disk (a damaged entry, an I/O error). The broker repairs or retries on its own; retry, another replica may serve it." },
  { code: 42, name: "UNSUPPORTED_COMPRESSION", retriable: false, description: "A record batch uses a compression codec rlog does not speak (snappy, or an unknown codec number); use none, gzip, lz4 or zstd." },
  { code: 43, name: "INVALID_RECORD_BATCH", retriable: false, description: "A produced record batch is well formed but not allowed: transactional or control batches, log-append-time batches, or sequence numbers past 2^31 - 1." },
  { code: 44, name: "AUTHORIZATION_FAILED", retriable: false, description: "Authorization is on and no ACL allows this principal the operation on the resource (or an ACL denies it); the message names principal, operation and resource (docs/SECURITY.md)." },
  { code: 45, name: "REASSIGNMENT_IN_PROGRESS", retriable: false, description: "A partition named by reassignPartitions or decommissionBroker is already moving; wait until its move completes (listReassignments)." },
  { code: 46, name: "NO_REASSIGNMENT_IN_PROGRESS", retriable: false, description: "cancelReassignment named a partition that is not moving (its move may have completed meanwhile)." },
] as const satisfies readonly ErrorSpec[];

/** The name of an error code in the table. */
export type ErrorName = (typeof ERRORS)[number]["name"];

type CodeOf<N extends ErrorName> = Extract<(typeof ERRORS)[number], { name: N }>["code"];

/** Numeric code by name: `ErrorCode.NOT_LEADER === 13`. Switch on these. */
export const ErrorCode = Object.freeze(Object.fromEntries(ERRORS.map((e) => [e.name, e.code]))) as {
  readonly [N in ErrorName]: CodeOf<N>;
};

const byCode = new Map<number, ErrorSpec>(ERRORS.map((e) => [e.code, e]));
const byName = new Map<string, ErrorSpec>(ERRORS.map((e) => [e.name, e]));

/** The table row for a code, or undefined for a code this build does not know (from a newer peer). */
export function errorSpec(code: number): ErrorSpec | undefined {
  return byCode.get(code);
}

/** Whether a code is retriable; an unknown code is treated as not retriable. */
export function isRetriable(code: number): boolean {
  return byCode.get(code)?.retriable ?? false;
}

/** Where to go instead: a broker id and, when known, its client URL and the Raft term it leads in. */
export interface LeaderHint {
  /** Broker id of the leader (or controller, coordinator, transfer target). */
  readonly brokerId: number;
  /** Its client listener URL, e.g. "ws://10.0.0.2:9092"; absent when not known. */
  readonly url?: string;
  /**
   * The Raft term in which `brokerId` leads, as the answering broker knows it; absent when not
   * known (a transfer target, the preferred replica named for want of an announced leader, an
   * older broker). A client ignores a hint whose term is older than the one it already holds.
   */
  readonly term?: number;
}

/**
 * Optional structured details. Every field is optional; the code says which
 * ones to expect (see docs/PROTOCOL.md). Unknown fields are ignored.
 */
export interface ErrorDetails {
  /** NOT_LEADER, NOT_CONTROLLER, NOT_COORDINATOR, LEADER_TRANSFER_IN_PROGRESS: where to go. */
  readonly leader?: LeaderHint;
  /** OFFSET_OUT_OF_RANGE: the partition's log start offset. */
  readonly logStartOffset?: number;
  /** OFFSET_OUT_OF_RANGE: the partition's high watermark. */
  readonly highWatermark?: number;
  /** DUPLICATE_SEQUENCE: offset the earlier copy of the batch was written at. */
  readonly baseOffset?: number;
  /** UNSUPPORTED_VERSION: lowest protocol version the broker speaks. */
  readonly versionMin?: number;
  /** UNSUPPORTED_VERSION: highest protocol version the broker speaks. */
  readonly versionMax?: number;
  /** INVALID_REQUEST and friends: path of the offending field, e.g. "records[3].value". */
  readonly field?: string;
}

/**
 * An error as it travels in a response frame: `{ id, ok: false, error }`.
 * `name` is always sent but is informational; receivers use `code`.
 */
export interface WireError {
  readonly code: number;
  readonly name?: string;
  readonly message: string;
  readonly retriable: boolean;
  readonly details?: ErrorDetails;
}

/**
 * An operating condition with a code from the table (not a bug: bugs are
 * asserts). Thrown and returned across the broker, sent on the wire with
 * `toWire()`, rebuilt by the client with `fromWire()`.
 */
export class RlogError extends Error {
  /** Numeric code from the table (or an unknown code from a newer peer). */
  readonly code: number;
  /** Table name for the code; for an unknown code, the name the peer sent, else "UNKNOWN_CODE_<n>". */
  readonly codeName: string;
  /** From the table; for an unknown code, what the peer said. */
  readonly retriable: boolean;
  /** Structured details (leader hint, offsets, offending field). */
  readonly details: ErrorDetails | undefined;

  /**
   * @param name table name of the code
   * @param message one human sentence; never parsed by anyone
   * @param details structured details for the code
   * @param unknown only for fromWire: a code this build does not know
   */
  constructor(name: ErrorName, message: string, details?: ErrorDetails, unknown?: UnknownCode) {
    super(message);
    this.name = "RlogError";
    if (unknown !== undefined) {
      this.code = unknown.code;
      this.codeName = unknown.codeName;
      this.retriable = unknown.retriable;
    } else {
      const spec = byName.get(name);
      if (spec === undefined) throw new Error(`unknown error name ${name}`); // unreachable: tsc checks ErrorName
      this.code = spec.code;
      this.codeName = spec.name;
      this.retriable = spec.retriable;
    }
    this.details = details;
  }

  /** Whether this error has the given code name (compares codes, not strings). */
  is(name: ErrorName): boolean {
    return this.code === ErrorCode[name];
  }

  /** The wire form placed under `error` in a failed response. */
  toWire(): WireError {
    const base = { code: this.code, name: this.codeName, message: this.message, retriable: this.retriable };
    return this.details === undefined ? base : { ...base, details: this.details };
  }

  /** "NOT_LEADER: partition orders/3 is led by broker 2", as the CLI prints it. */
  override toString(): string {
    return `${this.codeName}: ${this.message}`;
  }

  /**
   * Rebuild an error from its wire form. Tolerates a peer that is newer
   * (unknown code: kept as is) or sloppy (missing name or message); for a
   * known code the table's `retriable` wins over what the peer said.
   */
  static fromWire(wire: WireError): RlogError {
    const message = typeof wire.message === "string" ? wire.message : "";
    const details = typeof wire.details === "object" && wire.details !== null ? wire.details : undefined;
    const spec = byCode.get(wire.code);
    if (spec !== undefined) return new RlogError(spec.name as ErrorName, message, details);
    const codeName = typeof wire.name === "string" && wire.name !== "" ? wire.name : `UNKNOWN_CODE_${wire.code}`;
    return new RlogError("INTERNAL_ERROR", message, details, { code: wire.code, codeName, retriable: wire.retriable === true });
  }
}

/** A code from a newer peer that this build's table does not have. */
export interface UnknownCode {
  readonly code: number;
  readonly codeName: string;
  readonly retriable: boolean;
}

/** Shorthand for `new RlogError("INVALID_REQUEST", ...)` naming the offending field. */
export function invalidField(field: string, message: string): RlogError {
  return new RlogError("INVALID_REQUEST", `${field}: ${message}`, { field });
}

/** The outcome of a decoder that reports bad input as a value instead of throwing. */
export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: RlogError };
