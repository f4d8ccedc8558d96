/** `rlog-cli broker list` output and `rlog-cli controller voters` argument parsing, without a cluster. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { brokersText } from "../../../cli/admin/broker-actions.js";
import { parseVoters } from "../../../cli/commands/controller.js";
import { CliError, EXIT_USAGE } from "../../../cli/errors.js";
import type { ListedBroker } from "../../../client/index.js";

const broker = (id: number, extra: Partial<ListedBroker> = {}): ListedBroker => ({
  brokerId: id,
  host: "127.0.0.1",
  clientPort: 9091 + id,
  peerPort: 9191 + id,
  clientUrl: `ws://127.0.0.1:${9091 + id}`,
  source: "configured",
  live: true,
  controllerRole: "voter",
  replicas: 2,
  ...extra,
});

test("broker list: one row per broker, then the controller's voters and learners", () => {
  const text = brokersText([broker(1, { kafkaPort: 19092 }), broker(4, { source: "registered", live: false, controllerRole: "learner", replicas: 0 })], { voters: [1], learners: [4], changing: true });
  assert.equal(
    text,
    "BROKER  CLIENT-URL           PEER            KAFKA            SOURCE      LIVE  CONTROLLER  REPLICAS\n" +
      "1       ws://127.0.0.1:9092  127.0.0.1:9192  127.0.0.1:19092  configured  yes   voter       2\n" +
      "4       ws://127.0.0.1:9095  127.0.0.1:9195  -                registered  no    learner     0\n" +
      "\ncontroller voters: 1; learners: 4 (a change is in flight)\n",
  );
});

test("controller voters <ids>: comma-separated broker ids; anything else is a usage error", () => {
  assert.deepEqual(parseVoters("1,2,4"), [1, 2, 4]);
  assert.deepEqual(parseVoters(" 3 , 5 "), [3, 5]);
  for (const bad of ["", "1,,2", "0,1", "1,x", "-1", "1.5", "1,2,3,4,5,6,7,8,9,10"]) {
    assert.throws(() => parseVoters(bad), (err: unknown) => err instanceof CliError && err.exitCode === EXIT_USAGE, bad);
  }
});
