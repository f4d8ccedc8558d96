import { test } from "node:test";
import assert from "node:assert/strict";
import { Backoff } from "../../broker/transport/backoff.js";
import { SeededRandom } from "../../broker/raft/random.js";

test("backoff grows exponentially to its cap, each delay within [cap/2, cap]", () => {
  const b = new Backoff({ delayMsMin: 10, delayMsMax: 1000, random: new SeededRandom(1) });
  const caps = [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000, 1000];
  for (const cap of caps) {
    const d = b.next();
    assert.ok(d >= cap / 2 && d <= cap, `delay ${d} outside [${cap / 2}, ${cap}]`);
  }
});

test("backoff jitter comes from the injected source: same seed, same delays; reset starts over", () => {
  const run = (seed: number): number[] => {
    const b = new Backoff({ delayMsMin: 100, delayMsMax: 10_000, random: new SeededRandom(seed) });
    return Array.from({ length: 12 }, () => b.next());
  };
  assert.deepEqual(run(5), run(5));
  assert.notDeepEqual(run(5), run(6));
  const b = new Backoff({ delayMsMin: 100, delayMsMax: 10_000, random: { int: () => 0 } });
  b.next();
  b.next();
  b.next();
  b.reset();
  assert.equal(b.next(), 50);
});

test("backoff never overflows after many attempts", () => {
  const b = new Backoff({ delayMsMin: 1, delayMsMax: 5000, random: { int: (n) => n - 1 } });
  for (let i = 0; i < 10_000; i++) assert.ok(b.next() <= 5000);
  assert.throws(() => new Backoff({ delayMsMin: 0, delayMsMax: 5, random: { int: () => 0 } }), RangeError);
});
