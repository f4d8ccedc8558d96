import { test } from "node:test";
import assert from "node:assert/strict";
import { SeededRandom } from "../../broker/raft/random.js";

test("SeededRandom replays the same sequence for the same seed", () => {
  const a = new SeededRandom(42);
  const b = new SeededRandom(42);
  const xs = Array.from({ length: 100 }, () => a.int(1000));
  const ys = Array.from({ length: 100 }, () => b.int(1000));
  assert.deepEqual(xs, ys);
  assert.ok(xs.every((x) => x >= 0 && x < 1000));
  assert.notDeepEqual(xs, Array.from({ length: 100 }, () => new SeededRandom(43).int(1000)));
});
