/** The plan file of `partition reassign --plan` (Kafka's JSON shape) and --replicas lists. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseReassignmentPlan, parseReplicaList } from "../../cli/admin/reassignment-plan-file.js";
import { CliError } from "../../cli/errors.js";

function rejects(text: string, message: RegExp): void {
  assert.throws(
    () => parseReassignmentPlan(text, "plan.json"),
    (err: unknown) => err instanceof CliError && err.code === "INVALID_ARGUMENT" && message.test(err.message),
  );
}

test("a Kafka reassignment plan is read as moves (log_dirs ignored)", () => {
  const plan = { version: 1, partitions: [{ topic: "t", partition: 0, replicas: [2, 3, 4], log_dirs: ["any", "any", "any"] }, { topic: "u", partition: 3, replicas: [1] }] };
  assert.deepEqual(parseReassignmentPlan(JSON.stringify(plan), "plan.json"), [
    { topic: "t", partition: 0, replicas: [2, 3, 4] },
    { topic: "u", partition: 3, replicas: [1] },
  ]);
});

test("a bad plan is refused naming the entry and field", () => {
  rejects("{", /^plan\.json: not JSON/);
  rejects("[]", /expected an object/);
  rejects(`{"partitions":[]}`, /"version" must be 1, got undefined/);
  rejects(`{"version":1,"partitions":[]}`, /"partitions" must be a non-empty array/);
  rejects(`{"version":1,"partitions":[7]}`, /partitions\[0\]: expected an object/);
  rejects(`{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1]},{"partition":0,"replicas":[1]}]}`, /partitions\[1\]\.topic: expected a topic name/);
  rejects(`{"version":1,"partitions":[{"topic":"t","partition":-1,"replicas":[1]}]}`, /partitions\[0\]\.partition: expected an integer >= 0, got -1/);
  rejects(`{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[]}]}`, /partitions\[0\]\.replicas: expected a non-empty array/);
  rejects(`{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,"2"]}]}`, /partitions\[0\]\.replicas: "2" is not a broker id/);
  rejects(`{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2,1]}]}`, /names a broker twice \(1,2,1\)/);
  rejects(`{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1]},{"topic":"t","partition":0,"replicas":[2]}]}`, /partitions\[1\]: t\/0 is named twice/);
});

test("--replicas lists", () => {
  assert.deepEqual(parseReplicaList("2,4,5"), [2, 4, 5]);
  assert.deepEqual(parseReplicaList(3), [3]);
  for (const bad of ["", "2,,4", "0,1", "a", "1,1"]) assert.throws(() => parseReplicaList(bad), CliError, bad);
});
