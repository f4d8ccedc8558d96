/**
 * The one mapping from what a Raft group or its storage refuses to the error
 * a client gets. Every broker path that turns a refusal into a protocol
 * error goes through here: the partition replica (produce, fetch, list
 * offsets, transfers, read barriers), the controller (admin changes) and the
 * group coordinator (writes and barriers on its offsets partition).
 *
 * A refusal comes from the core (ProposeResult, TransferResult) or the runner
 * (ProposeError); NOT_LEADER is split on whether a leader is known. The scope
 * says who refused as the client sees it, which picks the code: a partition
 * answers NOT_LEADER, the controller NOT_CONTROLLER, a coordinator
 * NOT_COORDINATOR, each with a hint to where to go.
 *
 * | refusal                          | partition                   | controller           | coordinator               |
 * | -------------------------------- | --------------------------- | -------------------- | ------------------------- |
 * | NOT_LEADER, leader known         | NOT_LEADER + hint           | NOT_CONTROLLER + hint| NOT_COORDINATOR + hint    |
 * | NOT_LEADER, no leader known      | LEADER_NOT_AVAILABLE        | NOT_CONTROLLER       | COORDINATOR_NOT_AVAILABLE |
 * | LEADER_TRANSFER_IN_PROGRESS      | LEADER_TRANSFER_IN_PROGRESS + hint (target) | NOT_CONTROLLER + hint (target) | COORDINATOR_NOT_AVAILABLE |
 * | BUSY (uncommitted* bounds)       | TOO_MANY_REQUESTS           | TOO_MANY_REQUESTS    | TOO_MANY_REQUESTS         |
 * | SHUTTING_DOWN (runner closed)    | SHUTTING_DOWN               | SHUTTING_DOWN        | SHUTTING_DOWN             |
 * | INVALID                          | INVALID_REQUEST             | INVALID_REQUEST      | INVALID_REQUEST           |
 *
 * A hint naming the leader (the NOT_LEADER row) carries the term it leads in
 * when the scope knows it (`leaderTerm`), so a client can tell it from a
 * hint about a deposed leader; a transfer target's hint carries no term.
 *
 * Storage errors map by their code, whatever the scope (STORAGE_ERRORS);
 * a code mapped to undefined is a bug of ours, not an operating condition:
 * it stays as thrown, and the session logs it and answers INTERNAL_ERROR.
 * Retriability is the error table's (broker/protocol/errors.ts), never
 * decided here.
 */
import { RlogError, type ErrorName, type LeaderHint } from "../protocol/errors.js";
import { StorageError, type StorageErrorCode } from "../raft/log-storage.js";
import type { RefusalCode } from "../raft/ready.js";
import { NO_NODE, type NodeId, type Term } from "../raft/types.js";
import { ProposeError } from "./group-runner.js";

/** Who refused, as the client sees it. */
export type RefusalScope = "partition" | "controller" | "coordinator";

/** Why a group refused: the core's and runner's codes, with NOT_LEADER split on whether the leader is known. */
export type RefusalKind = "NOT_LEADER" | "NO_LEADER" | "LEADER_TRANSFER_IN_PROGRESS" | "BUSY" | "SHUTTING_DOWN" | "INVALID";

/** A refusal as the core (ProposeResult, TransferResult) and the runner (ProposeError) report it. */
export interface Refusal {
  readonly code: RefusalCode | "SHUTTING_DOWN";
  /** The leader (NOT_LEADER; NO_NODE when unknown) or the transfer target (LEADER_TRANSFER_IN_PROGRESS). */
  readonly leader: NodeId;
  readonly message: string;
}

/** Where an error is raised, for its code, its message and its hint. */
export interface ErrorScope {
  readonly kind: RefusalScope;
  /** What refused, as messages name it: "orders/3", "controller". */
  readonly name: string;
  /** The hint naming a broker (its client URL), with the term it leads in when given. */
  readonly leaderHint: (brokerId: NodeId, term?: Term) => LeaderHint;
  /**
   * The term in which `leader` leads, when this scope's own Raft view names it as leader now;
   * else undefined (the hint then goes without a term). Absent: no term in any hint.
   */
  readonly leaderTerm?: (leader: NodeId) => Term | undefined;
}

/** One cell of the table: the code, and whether details.leader names the refusal's leader. */
export interface RefusalErrorSpec {
  readonly code: ErrorName;
  readonly hint: boolean;
}

const cell = (code: ErrorName, hint = false): RefusalErrorSpec => ({ code, hint });

/** The refusal table (see the file comment). */
export const REFUSAL_ERRORS: { readonly [K in RefusalKind]: { readonly [S in RefusalScope]: RefusalErrorSpec } } = {
  NOT_LEADER: { partition: cell("NOT_LEADER", true), controller: cell("NOT_CONTROLLER", true), coordinator: cell("NOT_COORDINATOR", true) },
  NO_LEADER: { partition: cell("LEADER_NOT_AVAILABLE"), controller: cell("NOT_CONTROLLER"), coordinator: cell("COORDINATOR_NOT_AVAILABLE") },
  LEADER_TRANSFER_IN_PROGRESS: {
    partition: cell("LEADER_TRANSFER_IN_PROGRESS", true),
    controller: cell("NOT_CONTROLLER", true),
    coordinator: cell("COORDINATOR_NOT_AVAILABLE"),
  },
  BUSY: { partition: cell("TOO_MANY_REQUESTS"), controller: cell("TOO_MANY_REQUESTS"), coordinator: cell("TOO_MANY_REQUESTS") },
  SHUTTING_DOWN: { partition: cell("SHUTTING_DOWN"), controller: cell("SHUTTING_DOWN"), coordinator: cell("SHUTTING_DOWN") },
  INVALID: { partition: cell("INVALID_REQUEST"), controller: cell("INVALID_REQUEST"), coordinator: cell("INVALID_REQUEST") },
};

/**
 * Storage errors by code, in every scope; undefined: a bug of ours (the
 * session answers INTERNAL_ERROR and logs it). A new StorageErrorCode fails
 * the type check here until it is given its row.
 */
export const STORAGE_ERRORS: { readonly [C in StorageErrorCode]: ErrorName | undefined } = {
  // A read below the log start (retention ran between a check and the read).
  OFFSET_OUT_OF_RANGE: "OFFSET_OUT_OF_RANGE",
  // The log closed under a request: the replica is closing (broker stopping, topic deleted).
  CLOSED: "SHUTTING_DOWN",
  // Index arithmetic below the snapshot, or bad arguments: our bug.
  COMPACTED: undefined,
  INVALID_ARGUMENT: undefined,
  // A log's write queue is full (storage pendingOpsMax): back-pressure, try again shortly.
  TOO_MANY_PENDING_OPS: "TOO_MANY_REQUESTS",
  // The store's open-log bound (logsOpenMax) is hit when a replica opens, never on a client's path.
  TOO_MANY_OPEN_LOGS: undefined,
  // A damaged entry: the replica repairs it from its peers (its leader steps down first); retry.
  CORRUPT_ENTRY: "STORAGE_ERROR",
  // Records are read only when a log opens, never on a client's path.
  CORRUPT_RECORD: "STORAGE_ERROR",
  // A full disk: no new records here until space returns; leadership moves to a replica with space.
  NOT_ENOUGH_SPACE: "NOT_ENOUGH_SPACE",
  IO_ERROR: "STORAGE_ERROR",
};

/** The kind of a refusal. */
export function refusalKind(r: Pick<Refusal, "code" | "leader">): RefusalKind {
  return r.code === "NOT_LEADER" && r.leader === NO_NODE ? "NO_LEADER" : r.code;
}

/** The client error for a refusal of `kind`, with `message` as given (the caller names what refused). */
export function refusalError(kind: RefusalKind, leader: NodeId, message: string, scope: ErrorScope): RlogError {
  const spec = REFUSAL_ERRORS[kind][scope.kind];
  if (!spec.hint || leader === NO_NODE) return new RlogError(spec.code, message);
  // Only a leader has a term to name; a transfer target does not lead yet.
  const term = kind === "NOT_LEADER" ? scope.leaderTerm?.(leader) : undefined;
  return new RlogError(spec.code, message, { leader: scope.leaderHint(leader, term) });
}

/** The client error for a refusal the core or the runner reported: "orders/3: member 1 is not the leader". */
export function fromRefusal(r: Refusal, scope: ErrorScope): RlogError {
  return refusalError(refusalKind(r), r.leader, `${scope.name}: ${r.message}`, scope);
}

/**
 * The client error for anything a group or its storage threw: ProposeError
 * and StorageError by the tables; an RlogError, and anything else (a bug), as is.
 */
export function toClientError(err: unknown, scope: ErrorScope): unknown {
  if (err instanceof ProposeError) return fromRefusal(err, scope);
  if (err instanceof StorageError) {
    const name = STORAGE_ERRORS[err.code];
    return name === undefined ? err : new RlogError(name, `${scope.name}: ${err.message}`);
  }
  return err;
}

/** The refusal kind behind a partition-scope client error, if it is one. */
function partitionKind(err: RlogError): RefusalKind | undefined {
  for (const kind of ["NOT_LEADER", "NO_LEADER", "LEADER_TRANSFER_IN_PROGRESS"] as const) {
    if (!err.is(REFUSAL_ERRORS[kind].partition.code)) continue;
    // A NOT_LEADER without a hint (a partition that never saw a leader) is as good as no leader.
    return kind === "NOT_LEADER" && err.details?.leader === undefined ? "NO_LEADER" : kind;
  }
  return undefined;
}

/**
 * A partition's client error as another scope answers it: the group
 * coordinator writes and reads through an offsets partition, and its
 * clients must hear NOT_COORDINATOR, not NOT_LEADER. The hint, if any, is
 * kept; errors that mean the same in every scope pass as they are.
 */
export function rescope(err: unknown, scope: ErrorScope): unknown {
  if (!(err instanceof RlogError) || scope.kind === "partition") return err;
  const kind = partitionKind(err);
  if (kind === undefined) return err;
  const spec = REFUSAL_ERRORS[kind][scope.kind];
  const hint = err.details?.leader;
  const message = `${scope.name}: ${err.message}`;
  return spec.hint && hint !== undefined ? new RlogError(spec.code, message, { leader: hint }) : new RlogError(spec.code, message);
}
