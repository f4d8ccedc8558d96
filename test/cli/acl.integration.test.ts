/**
 * rlog-cli acl add, list and remove end to end: the real CLI as child
 * processes against a real broker with authorization on and ANONYMOUS a
 * super user (the CLI cannot log in yet); then, restarted without super
 * users, a refusal as the CLI prints it.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Acl } from "../../broker/protocol/acls.js";
import { TestCluster } from "../broker/cluster-harness.js";
import { runCli, type CliResult } from "./run-cli.js";

let cluster: TestCluster;

before(async () => {
  cluster = await TestCluster.start({ size: 1, extra: { authorization: { enabled: true, superUsers: ["User:ANONYMOUS"] } } });
});

after(async () => {
  await cluster?.stopAll();
});

const cli = (args: readonly string[]): Promise<CliResult> => runCli([...args, "--brokers", cluster.urls().join(",")]);

function json<T>(r: CliResult): T {
  assert.equal(r.status, 0, r.stderr.toString());
  return JSON.parse(r.stdout.toString("utf8")) as T;
}

test("acl add prints what it created, list shows it (text and JSON), remove takes what matches", { timeout: 60_000 }, async () => {
  const added = await cli(["acl", "add", "--principal", "User:alice", "--topic", "orders", "--operation", "read", "--operation", "describe"]);
  assert.equal(added.status, 0, added.stderr.toString());
  assert.equal(
    added.stdout.toString(),
    "PRINCIPAL   PERMISSION  OPERATION  RESOURCE  PATTERN  NAME\n" +
      "User:alice  allow       read       topic     literal  orders\n" +
      "User:alice  allow       describe   topic     literal  orders\n",
  );
  const again = await cli(["acl", "add", "--principal", "User:alice", "--topic", "orders", "--operation", "read"]);
  assert.equal(again.status, 0);
  assert.match(again.stderr.toString(), /nothing new/);
  json<Acl[]>(await cli(["acl", "add", "--principal", "User:bob", "--cluster", "--operation", "alter", "--deny", "--json"]));
  json<Acl[]>(await cli(["acl", "add", "--principal", "User:*", "--group", "bill", "--prefixed", "--operation", "all", "--json"]));
  const all = json<Acl[]>(await cli(["acl", "list", "--json"]));
  assert.equal(all.length, 4);
  assert.deepEqual(json<Acl[]>(await cli(["acl", "list", "--principal", "User:bob", "--json"])), [
    { principal: "User:bob", resourceType: "cluster", patternType: "literal", name: "rlog-cluster", operation: "alter", permission: "deny" },
  ]);
  const removed = json<Acl[]>(await cli(["acl", "remove", "--principal", "User:alice", "--operation", "describe", "--json"]));
  assert.deepEqual(removed.map((a) => a.operation), ["describe"]);
  assert.equal(json<Acl[]>(await cli(["acl", "list", "--json"])).length, 3);
  const bare = await cli(["acl", "remove"]);
  assert.equal(bare.status, 2);
  assert.match(bare.stderr.toString(), /INVALID_ARGUMENT: name what to remove/);
});

test("without super users, a refused request is printed as AUTHORIZATION_FAILED with its reason, exit 1", { timeout: 60_000 }, async () => {
  await cluster.terminate(1);
  await cluster.restartWith(1, { authorization: { enabled: true, superUsers: [] } });
  await cluster.waitReady();
  const listed = await cli(["acl", "list"]);
  assert.equal(listed.status, 1, listed.stderr.toString());
  assert.equal(listed.stderr.toString().trim(), "AUTHORIZATION_FAILED: User:ANONYMOUS may not describe cluster rlog-cluster");
});
