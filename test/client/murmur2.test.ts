/** Kafka-compatible murmur2 and the key partitioner. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { murmur2, partitionForKey } from "../../client/index.js";

test("murmur2 matches Kafka's Utils.murmur2 test vectors", () => {
  const cases: [string, number][] = [
    ["21", -973932308],
    ["foobar", -790332482],
    ["a-little-bit-long-string", -985981536],
    ["a-little-bit-longer-string", -1486304829],
    ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
    ["abc", 479470107],
  ];
  for (const [text, hash] of cases) assert.equal(murmur2(Buffer.from(text)), hash, text);
});

test("partitionForKey is stable, in range, and spreads keys", () => {
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const key = Buffer.from(`key-${i}`);
    const p = partitionForKey(key, 7);
    assert.ok(p >= 0 && p < 7);
    assert.equal(partitionForKey(Buffer.from(`key-${i}`), 7), p);
    seen.add(p);
  }
  assert.equal(seen.size, 7);
});
