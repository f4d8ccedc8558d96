/**
 * The node flags launchers start brokers with (config/node-flags.ts): auto
 * picks single-threaded garbage collection exactly when the brokers have
 * fewer than two cores each, and an explicit choice always wins.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { brokerNodeFlags, resolveBrokerGc } from "../../config/node-flags.js";

test("auto: single-threaded when brokers have fewer than 2 cores each", () => {
  assert.equal(resolveBrokerGc("auto", 3, 2), "single-threaded"); // the local cluster on this 2-core machine
  assert.equal(resolveBrokerGc("auto", 3, 5), "single-threaded");
  assert.equal(resolveBrokerGc("auto", 3, 6), "parallel");
  assert.equal(resolveBrokerGc("auto", 1, 2), "parallel"); // one broker per host with 2 cores
  assert.equal(resolveBrokerGc("auto", 1, 1), "single-threaded");
});

test("an explicit choice wins over the core count", () => {
  assert.equal(resolveBrokerGc("parallel", 5, 1), "parallel");
  assert.equal(resolveBrokerGc("single-threaded", 1, 64), "single-threaded");
});

test("the flags are V8's single-threaded GC switch, or none", () => {
  assert.deepEqual(brokerNodeFlags("auto", 3, 2), ["--single-threaded-gc"]);
  assert.deepEqual(brokerNodeFlags("auto", 1, 8), []);
  assert.deepEqual(brokerNodeFlags("parallel", 3, 2), []);
});
