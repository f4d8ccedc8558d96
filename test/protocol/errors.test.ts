import { test } from "node:test";
import assert from "node:assert/strict";
import { ERRORS, ErrorCode, RlogError, errorSpec, isRetriable, type ErrorName } from "../../broker/protocol/errors.js";

/**
 * Codes already released. The table is append-only: these rows must stay
 * exactly as they are, first in the table. Add new codes after them (and here).
 */
const RELEASED: readonly (readonly [number, string])[] = [
  [1, "INTERNAL_ERROR"],
  [2, "INVALID_REQUEST"],
  [3, "UNKNOWN_OPERATION"],
  [4, "UNSUPPORTED_VERSION"],
  [5, "REQUEST_TOO_LARGE"],
  [6, "RECORD_TOO_LARGE"],
  [7, "INVALID_TOPIC"],
  [8, "UNKNOWN_TOPIC"],
  [9, "UNKNOWN_PARTITION"],
  [10, "TOPIC_ALREADY_EXISTS"],
  [11, "INVALID_PARTITIONS"],
  [12, "INVALID_REPLICATION_FACTOR"],
  [13, "NOT_LEADER"],
  [14, "LEADER_NOT_AVAILABLE"],
  [15, "LEADER_TRANSFER_IN_PROGRESS"],
  [16, "NOT_ENOUGH_REPLICAS"],
  [17, "OFFSET_OUT_OF_RANGE"],
  [18, "TIMEOUT"],
  [19, "NOT_CONTROLLER"],
  [20, "BROKER_NOT_AVAILABLE"],
  [21, "TOO_MANY_CONNECTIONS"],
  [22, "TOO_MANY_REQUESTS"],
  [23, "OUT_OF_ORDER_SEQUENCE"],
  [24, "DUPLICATE_SEQUENCE"],
  [25, "UNKNOWN_PRODUCER"],
  [26, "PRODUCER_FENCED"],
  [27, "COORDINATOR_NOT_AVAILABLE"],
  [28, "NOT_COORDINATOR"],
  [29, "ILLEGAL_GENERATION"],
  [30, "UNKNOWN_MEMBER"],
  [31, "REBALANCE_IN_PROGRESS"],
  [32, "GROUP_NOT_EMPTY"],
  [33, "UNKNOWN_GROUP"],
  [34, "AUTHENTICATION_FAILED"],
  [35, "SHUTTING_DOWN"],
  [36, "CORRUPT_RECORD_BATCH"],
];

test("the error table is append-only: released codes keep their numbers and names", () => {
  RELEASED.forEach(([code, name], i) => {
    assert.equal(ERRORS[i]?.code, code, `row ${i}`);
    assert.equal(ERRORS[i]?.name, name, `row ${i}`);
  });
});

test("codes and names are unique, codes are dense from 1, every row is described", () => {
  ERRORS.forEach((e, i) => {
    assert.equal(e.code, i + 1);
    assert.match(e.name, /^[A-Z][A-Z_]+$/);
    assert.ok(e.description.length > 10, e.name);
  });
  assert.equal(new Set(ERRORS.map((e) => e.name)).size, ERRORS.length);
});

test("ErrorCode maps every name to its code", () => {
  for (const e of ERRORS) assert.equal(ErrorCode[e.name as ErrorName], e.code);
  assert.equal(ErrorCode.NOT_LEADER, 13);
  assert.equal(errorSpec(13)?.name, "NOT_LEADER");
  assert.equal(errorSpec(9999), undefined);
});

test("retriable flags: routing and transient errors retry, request errors do not", () => {
  for (const name of ["NOT_LEADER", "LEADER_NOT_AVAILABLE", "LEADER_TRANSFER_IN_PROGRESS", "TIMEOUT", "NOT_CONTROLLER", "NOT_COORDINATOR", "TOO_MANY_REQUESTS", "SHUTTING_DOWN"] as const) {
    assert.equal(isRetriable(ErrorCode[name]), true, name);
  }
  for (const name of ["INVALID_REQUEST", "INVALID_TOPIC", "OFFSET_OUT_OF_RANGE", "RECORD_TOO_LARGE", "AUTHENTICATION_FAILED", "ILLEGAL_GENERATION"] as const) {
    assert.equal(isRetriable(ErrorCode[name]), false, name);
  }
  assert.equal(isRetriable(9999), false);
});

test("every code round-trips through toWire and fromWire", () => {
  for (const e of ERRORS) {
    const err = new RlogError(e.name as ErrorName, `about ${e.name}`, { field: "x" });
    const wire = err.toWire();
    assert.deepEqual(wire, { code: e.code, name: e.name, message: `about ${e.name}`, retriable: e.retriable, details: { field: "x" } });
    const back = RlogError.fromWire(wire);
    assert.equal(back.code, e.code);
    assert.equal(back.codeName, e.name);
    assert.equal(back.retriable, e.retriable);
    assert.equal(back.message, `about ${e.name}`);
    assert.ok(back instanceof Error && back instanceof RlogError);
    assert.equal(back.toString(), `${e.name}: about ${e.name}`);
    assert.ok(back.is(e.name as ErrorName));
  }
});

test("fromWire keeps an unknown code from a newer broker, and the table's retriable wins for known codes", () => {
  const future = RlogError.fromWire({ code: 500, name: "QUOTA_EXCEEDED", message: "slow down", retriable: true });
  assert.equal(future.code, 500);
  assert.equal(future.codeName, "QUOTA_EXCEEDED");
  assert.equal(future.retriable, true);
  assert.equal(future.is("INTERNAL_ERROR"), false);
  const nameless = RlogError.fromWire({ code: 501, message: "", retriable: false });
  assert.equal(nameless.codeName, "UNKNOWN_CODE_501");
  const lying = RlogError.fromWire({ code: ErrorCode.INVALID_REQUEST, name: "NOT_LEADER", message: "m", retriable: true });
  assert.equal(lying.codeName, "INVALID_REQUEST");
  assert.equal(lying.retriable, false);
});

test("an error without details sends no details key", () => {
  assert.deepEqual(Object.keys(new RlogError("TIMEOUT", "t").toWire()).sort(), ["code", "message", "name", "retriable"]);
});
