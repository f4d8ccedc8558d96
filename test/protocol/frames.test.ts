import { test } from "node:test";
import assert from "node:assert/strict";
import { clientPackr } from "../../broker/protocol/msgpack.js";
import { decodeRequest, decodeResponse, encodeError, encodeRequest, encodeResult } from "../../broker/protocol/frames.js";
import { ErrorCode, RlogError } from "../../broker/protocol/errors.js";
import { DEFAULT_LIMITS } from "../../broker/protocol/limits.js";
import { OPS, type Request } from "../../broker/protocol/ops.js";
import { SAMPLE_REQUESTS } from "./samples.js";
import { plain } from "./helpers.js";

function decodeOk(bytes: Uint8Array): { id: number; request: Request } {
  const d = decodeRequest(bytes);
  if (!d.ok) assert.fail(`expected ok, got ${d.error.toString()}`);
  return d;
}

test("every op's sample request round-trips through encode and decode", () => {
  let id = 1;
  for (const op of OPS) {
    const request = SAMPLE_REQUESTS[op];
    const d = decodeOk(encodeRequest(id, request));
    assert.equal(d.id, id);
    assert.deepEqual(plain(d.request), plain(request), op);
    id++;
  }
});

test("bytes decode as views into the frame, not copies", () => {
  const frame = encodeRequest(7, SAMPLE_REQUESTS.produce);
  const d = decodeOk(frame);
  assert.equal(d.request.op, "produce");
  if (d.request.op !== "produce") return;
  const value = d.request.batch;
  assert.ok(value instanceof Uint8Array);
  assert.equal(value.buffer, (frame as Uint8Array).buffer);
});

test("optional fields may be absent or nil, and absent stays absent (no undefined keys)", () => {
  const withNil = clientPackr.pack({ id: 1, op: "fetch", topic: "t", partition: 0, offset: 0, maxBytes: 10, maxWaitMs: 0, minBytes: null });
  const d = decodeOk(withNil);
  assert.deepEqual(Object.keys(d.request).sort(), ["maxBytes", "maxWaitMs", "offset", "op", "partition", "topic"]);
  const undef = decodeOk(encodeRequest(2, { op: "listTopics" }));
  assert.deepEqual(undef.request, { op: "listTopics" });
});

test("unknown fields are ignored and not carried into the typed request", () => {
  const d = decodeOk(clientPackr.pack({ id: 3, op: "describeTopic", name: "t", future: [1, 2, 3], __proto__x: 1 }));
  assert.deepEqual(d.request, { op: "describeTopic", name: "t" });
});

test("64-bit msgpack integers within 2^53 decode as numbers (other msgpack libraries send uint64)", () => {
  const frame = clientPackr.pack({ id: 1, op: "fetch", topic: "t", partition: 0, offset: 0, maxBytes: 10, maxWaitMs: 0 });
  // Re-encode offset by hand as uint64 (0xcf): find the encoded 0 after "offset".
  const bytes = Buffer.from(frame);
  const key = Buffer.from("offset");
  const at = bytes.indexOf(key) + key.length;
  assert.equal(bytes[at], 0x00);
  const big = Buffer.concat([bytes.subarray(0, at), Buffer.from([0xcf, 0, 0, 1, 0, 0, 0, 0, 0]), bytes.subarray(at + 1)]);
  const d = decodeOk(big);
  assert.equal(d.request.op === "fetch" && d.request.offset, 2 ** 40);
});

test("a success response round-trips", () => {
  const frame = encodeResult<"produce">(9, { baseOffset: 100, count: 2, logAppendTimeMs: 1_700_000_000_000 });
  const d = decodeResponse(frame);
  assert.ok(d.ok);
  assert.equal(d.id, 9);
  assert.equal(d.result["baseOffset"], 100);
  assert.equal(d.result["count"], 2);
});

test("an error response round-trips with code, retriable and leader hint", () => {
  const err = new RlogError("NOT_LEADER", "orders/1 is led by broker 2", { leader: { brokerId: 2, url: "ws://127.0.0.1:9092" } });
  const d = decodeResponse(encodeError(5, err));
  assert.equal(d.ok, false);
  if (d.ok) return;
  assert.equal(d.id, 5);
  assert.ok(d.error instanceof RlogError);
  assert.equal(d.error.code, ErrorCode.NOT_LEADER);
  assert.equal(d.error.codeName, "NOT_LEADER");
  assert.equal(d.error.retriable, true);
  assert.equal(d.error.message, "orders/1 is led by broker 2");
  assert.deepEqual(d.error.details, { leader: { brokerId: 2, url: "ws://127.0.0.1:9092" } });
});

test("a leader hint's term round-trips; a hint without one (an older broker) or with a bad one decodes without a term", () => {
  const withTerm = new RlogError("NOT_LEADER", "orders/1 is led by broker 2", { leader: { brokerId: 2, url: "ws://127.0.0.1:9092", term: 7 } });
  const d = decodeResponse(encodeError(5, withTerm));
  assert.ok(!d.ok);
  assert.deepEqual(d.error.details, { leader: { brokerId: 2, url: "ws://127.0.0.1:9092", term: 7 } });
  for (const term of [undefined, -1, 1.5, "7"]) {
    const leader = term === undefined ? { brokerId: 2 } : { brokerId: 2, term };
    const frame = clientPackr.pack({ id: 1, ok: false, error: { code: ErrorCode.NOT_LEADER, message: "m", retriable: true, details: { leader } } });
    const e = decodeResponse(frame);
    assert.ok(!e.ok);
    assert.deepEqual(e.error.details, { leader: { brokerId: 2 } }, String(term));
  }
});

test("error details of the wrong type are dropped, not trusted", () => {
  const frame = clientPackr.pack({
    id: 1,
    ok: false,
    error: { code: ErrorCode.OFFSET_OUT_OF_RANGE, message: "m", retriable: false, details: { leader: "x", highWatermark: -3, logStartOffset: 4 } },
  });
  const d = decodeResponse(frame);
  assert.ok(!d.ok);
  assert.deepEqual(d.error.details, { logStartOffset: 4 });
});

test("a response that is not a response is reported as id 0 INTERNAL_ERROR", () => {
  for (const bad of [clientPackr.pack([1, 2]), clientPackr.pack({ id: "x", ok: true }), new Uint8Array([0xc1]), clientPackr.pack({ id: 1, ok: false })]) {
    const d = decodeResponse(bad);
    assert.ok(!d.ok);
    assert.equal(d.id, 0);
    assert.equal(d.error.code, ErrorCode.INTERNAL_ERROR);
  }
});

test("encodeRequest refuses a frame larger than the broker's frameBytesMax", () => {
  const big = { op: "produce", topic: "t", partition: 0, acks: "leader", batch: new Uint8Array(2000) } as const;
  assert.throws(
    () => encodeRequest(1, big, 1000),
    (e: unknown) => e instanceof RlogError && e.code === ErrorCode.REQUEST_TOO_LARGE,
  );
  assert.ok(encodeRequest(1, big, DEFAULT_LIMITS.frameBytesMax).byteLength > 2000);
});
