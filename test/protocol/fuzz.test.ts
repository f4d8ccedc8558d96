/**
 * Seeded fuzz of every decoder that reads untrusted bytes: random bytes and
 * mutated valid frames. Each must return (never throw), report problems only
 * as RlogError with a code other than INTERNAL_ERROR (which would mean a
 * validator bug), and finish quickly. A failing iteration prints its seed
 * and input so it can be replayed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeRequest, decodeResponse, encodeError, encodeRequest, encodeResult } from "../../broker/protocol/frames.js";
import { ErrorCode, RlogError } from "../../broker/protocol/errors.js";
import { decodePeerFrame, encodePeerHello, encodePeerProof, encodePeerRaft } from "../../broker/protocol/peer-frames.js";
import { OPS } from "../../broker/protocol/ops.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { SAMPLE_REQUESTS } from "./samples.js";
import { SAMPLE_ENVELOPES } from "./peer-samples.js";
import { mutateBytes as mutate } from "../server/fuzz-frames.js";

const ITERATIONS = 4000;
const TIMEOUT_MS = 60_000;

function randomBytes(rnd: SeededRandom, length: number): Uint8Array {
  const b = new Uint8Array(length);
  for (let i = 0; i < length; i++) b[i] = rnd.int(256);
  return b;
}

function check(kind: string, seed: number, input: Uint8Array, run: () => { ok: boolean; error?: RlogError }): void {
  let r: { ok: boolean; error?: RlogError };
  const started = performance.now();
  try {
    r = run();
  } catch (err) {
    assert.fail(`${kind} seed ${seed} threw ${String(err)} on ${Buffer.from(input).toString("hex")}`);
  }
  const ms = performance.now() - started;
  assert.ok(ms < 500, `${kind} seed ${seed} took ${ms} ms`);
  if (!r.ok) {
    assert.ok(r.error instanceof RlogError, `${kind} seed ${seed}: not an RlogError`);
    assert.notEqual(r.error.code, ErrorCode.INTERNAL_ERROR, `${kind} seed ${seed}: ${r.error.message} on ${Buffer.from(input).toString("hex")}`);
  }
}

const requestFrames = OPS.map((op, i) => encodeRequest(i + 1, SAMPLE_REQUESTS[op]));

test("fuzz: decodeRequest on random bytes and mutated valid requests", { timeout: TIMEOUT_MS }, () => {
  let accepted = 0;
  for (let seed = 1; seed <= ITERATIONS; seed++) {
    const rnd = new SeededRandom(seed);
    const input = seed % 4 === 0 ? randomBytes(rnd, rnd.int(64)) : mutate(rnd, rnd.pick(requestFrames));
    check("request", seed, input, () => {
      const d = decodeRequest(input);
      if (d.ok) {
        accepted++;
        // Whatever passes validation re-encodes to something that passes again.
        const again = decodeRequest(encodeRequest(d.id, d.request));
        assert.ok(again.ok, `seed ${seed}: re-encoded request rejected`);
      }
      return d;
    });
  }
  assert.ok(accepted > 0 && accepted < ITERATIONS, `accepted ${accepted}`);
});

test("fuzz: decodeResponse on mutated responses", { timeout: TIMEOUT_MS }, () => {
  const frames = [
    encodeResult<"produce">(1, { baseOffset: 5, count: 1, logAppendTimeMs: 1 }),
    encodeError(2, new RlogError("NOT_LEADER", "go away", { leader: { brokerId: 3, url: "ws://x" }, highWatermark: 9 })),
  ];
  for (let seed = 1; seed <= ITERATIONS; seed++) {
    const rnd = new SeededRandom(seed);
    const input = mutate(rnd, rnd.pick(frames));
    // decodeResponse reports a malformed frame as INTERNAL_ERROR by design: only check it never throws.
    try {
      const d = decodeResponse(input);
      if (!d.ok) assert.ok(d.error instanceof RlogError);
    } catch (err) {
      assert.fail(`response seed ${seed} threw ${String(err)}`);
    }
  }
});

test("fuzz: decodePeerFrame on random bytes and mutated hello and Raft frames", { timeout: TIMEOUT_MS }, () => {
  const frames = [encodePeerHello(1, { version: 1, brokerId: 2, to: 1, nonce: new Uint8Array(32).fill(3) }), encodePeerProof(1, new Uint8Array(32).fill(5)), encodePeerRaft(SAMPLE_ENVELOPES)];
  let accepted = 0;
  for (let seed = 1; seed <= ITERATIONS; seed++) {
    const rnd = new SeededRandom(seed);
    const input = seed % 4 === 0 ? randomBytes(rnd, rnd.int(64)) : mutate(rnd, rnd.pick(frames));
    check("peer", seed, input, () => {
      const d = decodePeerFrame(input, 1 << 20);
      if (d.ok) accepted++;
      return d;
    });
  }
  assert.ok(accepted > 0, `accepted ${accepted}`);
});
