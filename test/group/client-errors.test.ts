/**
 * The one refusal-to-error mapping (broker/group/client-errors.ts): every
 * refusal in every scope, storage errors by code, and the coordinator's view
 * of its offsets partition's errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  REFUSAL_ERRORS,
  STORAGE_ERRORS,
  fromRefusal,
  refusalError,
  refusalKind,
  rescope,
  toClientError,
  type ErrorScope,
  type RefusalKind,
  type RefusalScope,
} from "../../broker/group/client-errors.js";
import { ProposeError } from "../../broker/group/group-runner.js";
import { ErrorCode, RlogError, type ErrorName } from "../../broker/protocol/errors.js";
import { StorageError, type StorageErrorCode } from "../../broker/raft/log-storage.js";
import { nodeId, NO_NODE, term } from "../../broker/raft/types.js";

const hint = (id: number) => ({ brokerId: id, url: `ws://h${id}:9092` });
const scope = (kind: RefusalScope, name = kind === "partition" ? "orders/3" : kind): ErrorScope => ({ kind, name, leaderHint: hint });

/** The table as the issue asked for it: code and whether it is retriable, per refusal and scope. */
const EXPECTED: Record<RefusalKind, Record<RefusalScope, [ErrorName, boolean, "hint" | "no hint"]>> = {
  NOT_LEADER: {
    partition: ["NOT_LEADER", true, "hint"],
    controller: ["NOT_CONTROLLER", true, "hint"],
    coordinator: ["NOT_COORDINATOR", true, "hint"],
  },
  NO_LEADER: {
    partition: ["LEADER_NOT_AVAILABLE", true, "no hint"],
    controller: ["NOT_CONTROLLER", true, "no hint"],
    coordinator: ["COORDINATOR_NOT_AVAILABLE", true, "no hint"],
  },
  LEADER_TRANSFER_IN_PROGRESS: {
    partition: ["LEADER_TRANSFER_IN_PROGRESS", true, "hint"],
    controller: ["NOT_CONTROLLER", true, "hint"],
    coordinator: ["COORDINATOR_NOT_AVAILABLE", true, "no hint"],
  },
  BUSY: {
    partition: ["TOO_MANY_REQUESTS", true, "no hint"],
    controller: ["TOO_MANY_REQUESTS", true, "no hint"],
    coordinator: ["TOO_MANY_REQUESTS", true, "no hint"],
  },
  SHUTTING_DOWN: {
    partition: ["SHUTTING_DOWN", true, "no hint"],
    controller: ["SHUTTING_DOWN", true, "no hint"],
    coordinator: ["SHUTTING_DOWN", true, "no hint"],
  },
  INVALID: {
    partition: ["INVALID_REQUEST", false, "no hint"],
    controller: ["INVALID_REQUEST", false, "no hint"],
    coordinator: ["INVALID_REQUEST", false, "no hint"],
  },
};

test("every refusal in every scope maps to the expected code, retriability and hint", () => {
  for (const kind of Object.keys(EXPECTED) as RefusalKind[]) {
    for (const s of ["partition", "controller", "coordinator"] as const) {
      const [code, retriable, withHint] = EXPECTED[kind][s];
      assert.equal(REFUSAL_ERRORS[kind][s].code, code, `${kind} in ${s}`);
      const err = refusalError(kind, kind === "NO_LEADER" ? NO_NODE : nodeId(2), "why", scope(s));
      assert.equal(err.code, ErrorCode[code], `${kind} in ${s}`);
      assert.equal(err.retriable, retriable, `${kind} in ${s} retriable`);
      assert.deepEqual(err.details?.leader, withHint === "hint" ? hint(2) : undefined, `${kind} in ${s} hint`);
    }
  }
});

test("NOT_LEADER splits on whether the leader is known", () => {
  assert.equal(refusalKind({ code: "NOT_LEADER", leader: nodeId(3) }), "NOT_LEADER");
  assert.equal(refusalKind({ code: "NOT_LEADER", leader: NO_NODE }), "NO_LEADER");
  assert.equal(refusalKind({ code: "BUSY", leader: nodeId(1) }), "BUSY");
});

test("refusals of the core and the runner keep their message, prefixed with what refused", () => {
  const e = fromRefusal({ code: "LEADER_TRANSFER_IN_PROGRESS", leader: nodeId(3), message: "leadership is moving to member 3" }, scope("partition"));
  assert.equal(e.code, ErrorCode.LEADER_TRANSFER_IN_PROGRESS);
  assert.equal(e.message, "orders/3: leadership is moving to member 3");
  assert.deepEqual(e.details, { leader: hint(3) });
  // The controller's INVALID is a bad request, not a retriable TOO_MANY_REQUESTS (issue 18).
  const invalid = toClientError(new ProposeError("INVALID", nodeId(1), "no entries to propose"), scope("controller"));
  assert.ok(invalid instanceof RlogError && invalid.is("INVALID_REQUEST") && !invalid.retriable);
  const closed = toClientError(new ProposeError("SHUTTING_DOWN", NO_NODE, "group g is closing"), scope("controller"));
  assert.ok(closed instanceof RlogError && closed.is("SHUTTING_DOWN") && closed.retriable);
});

test("storage errors map by code; the ones that mean a bug stay as thrown (INTERNAL_ERROR at the session)", () => {
  const expected: Record<StorageErrorCode, ErrorName | undefined> = {
    OFFSET_OUT_OF_RANGE: "OFFSET_OUT_OF_RANGE",
    CLOSED: "SHUTTING_DOWN",
    COMPACTED: undefined,
    INVALID_ARGUMENT: undefined,
    TOO_MANY_PENDING_OPS: "TOO_MANY_REQUESTS",
    TOO_MANY_OPEN_LOGS: undefined,
    CORRUPT_ENTRY: "STORAGE_ERROR",
    CORRUPT_RECORD: "STORAGE_ERROR",
    NOT_ENOUGH_SPACE: "NOT_ENOUGH_SPACE",
    IO_ERROR: "STORAGE_ERROR",
  };
  assert.deepEqual({ ...STORAGE_ERRORS }, expected);
  for (const code of Object.keys(expected) as StorageErrorCode[]) {
    const thrown = new StorageError(code, "x");
    const mapped = toClientError(thrown, scope("partition"));
    const name = expected[code];
    if (name === undefined) assert.equal(mapped, thrown, code);
    else assert.ok(mapped instanceof RlogError && mapped.is(name), code);
  }
});

test("anything else passes as it is", () => {
  const rlog = new RlogError("TIMEOUT", "late");
  assert.equal(toClientError(rlog, scope("partition")), rlog);
  const bug = new TypeError("oops");
  assert.equal(toClientError(bug, scope("controller")), bug);
});

test("a partition's refusals as the coordinator answers them", () => {
  const coord = scope("coordinator", "group coordinator");
  const moved = rescope(new RlogError("NOT_LEADER", "__consumer_offsets/0 is led by broker 2", { leader: hint(2) }), coord);
  assert.ok(moved instanceof RlogError && moved.is("NOT_COORDINATOR"));
  assert.deepEqual(moved.details, { leader: hint(2) });
  for (const e of [
    new RlogError("NOT_LEADER", "no hint"),
    new RlogError("LEADER_NOT_AVAILABLE", "electing"),
    new RlogError("LEADER_TRANSFER_IN_PROGRESS", "moving", { leader: hint(3) }),
  ]) {
    const r = rescope(e, coord);
    assert.ok(r instanceof RlogError && r.is("COORDINATOR_NOT_AVAILABLE") && r.details === undefined, e.codeName);
  }
  for (const e of [new RlogError("TIMEOUT", "t"), new RlogError("TOO_MANY_REQUESTS", "b"), new RlogError("SHUTTING_DOWN", "s"), new RlogError("INVALID_REQUEST", "i")]) {
    assert.equal(rescope(e, coord), e, e.codeName);
  }
  const asPartition = new RlogError("NOT_LEADER", "x", { leader: hint(2) });
  assert.equal(rescope(asPartition, scope("partition")), asPartition);
});

test("a NOT_LEADER hint carries the term the scope knows its leader in; a transfer target's hint carries none", () => {
  const termed: ErrorScope = {
    kind: "partition",
    name: "orders/3",
    leaderHint: (id, term) => (term === undefined ? hint(id) : { ...hint(id), term }),
    leaderTerm: (leader) => (leader === 2 ? term(9) : undefined),
  };
  const known = fromRefusal({ code: "NOT_LEADER", leader: nodeId(2), message: "member 1 is not the leader" }, termed);
  assert.deepEqual(known.details?.leader, { ...hint(2), term: 9 });
  const unknown = fromRefusal({ code: "NOT_LEADER", leader: nodeId(3), message: "member 1 is not the leader" }, termed);
  assert.deepEqual(unknown.details?.leader, hint(3), "the replica's own view names another leader now: no term");
  const moving = refusalError("LEADER_TRANSFER_IN_PROGRESS", nodeId(2), "moving", termed);
  assert.deepEqual(moving.details?.leader, hint(2));
  const coordinator = rescope(known, scope("coordinator"));
  assert.ok(coordinator instanceof RlogError && coordinator.is("NOT_COORDINATOR"));
  assert.deepEqual(coordinator.details?.leader, { ...hint(2), term: 9 }, "rescoping keeps the term");
});
