/** The per-address throttle of failed peer hellos (broker/transport/peer-auth-throttle.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PeerAuthThrottle } from "../../broker/transport/peer-auth-throttle.js";

const limits = { authFailureBackoffMs: 100, authFailureBackoffMsMax: 1000, authFailureForgetMs: 60_000, authFailureAddressesMax: 3 };

test("the wait doubles per failure up to the cap, counts down, and a success clears it", () => {
  const th = new PeerAuthThrottle(limits);
  assert.equal(th.waitMs("a", 0), 0);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((i) => th.failed("a", i * 10)), [100, 200, 400, 800, 1000, 1000]);
  assert.equal(th.waitMs("a", 60), 1000);
  assert.equal(th.waitMs("a", 560), 500);
  assert.equal(th.waitMs("a", 1060), 0);
  assert.equal(th.waitMs("b", 60), 0, "other addresses are not affected");
  th.succeeded("a");
  assert.equal(th.failed("a", 2000), 100);
});

test("an address without failures for authFailureForgetMs starts again from the first wait", () => {
  const th = new PeerAuthThrottle(limits);
  th.failed("a", 0);
  th.failed("a", 1);
  assert.equal(th.failed("a", 2), 400);
  assert.equal(th.failed("a", 2 + 60_000), 100);
  th.failed("b", 0);
  assert.equal(th.waitMs("b", 60_000), 0);
  assert.equal(th.size, 1, "a forgotten address is dropped when looked at");
});

test("memory is bounded: beyond authFailureAddressesMax the least recently failed address is forgotten", () => {
  const th = new PeerAuthThrottle(limits);
  for (let i = 0; i < 1000; i++) th.failed(`10.0.0.${i}`, i);
  assert.equal(th.size, 3);
  assert.equal(th.waitMs("10.0.0.0", 1000), 0);
  assert.ok(th.waitMs("10.0.0.999", 1000) > 0);
  // A repeat failure refreshes an address's place.
  th.failed("10.0.0.997", 1001);
  th.failed("x", 1002);
  assert.ok(th.waitMs("10.0.0.997", 1003) > 0);
  assert.equal(th.waitMs("10.0.0.998", 1003), 0);
});
