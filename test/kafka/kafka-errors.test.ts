/**
 * The rlog-to-Kafka error mapping (broker/kafka/kafka-errors.ts): every rlog
 * error has a Kafka code; a retriable rlog error becomes a code Kafka
 * clients retry (checked against kafkajs's own table), except the few rlog
 * errors the Kafka listener never produces; and docs/KAFKA.md lists the
 * mapping row for row, and its API table the versions the listener answers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { ERRORS, RlogError } from "../../broker/protocol/errors.js";
import { KafkaError, kafkaErrorCode, kafkaErrorMapping } from "../../broker/kafka/kafka-errors.js";

const require = createRequire(import.meta.url);
const kafkajsErrors = (require("kafkajs/src/protocol/error.js") as { errorCodes: { code: number; type: string; retriable: boolean }[] }).errorCodes;

/** Retriable rlog errors that need no retriable Kafka code: the Kafka path never sends them. */
const NOT_ON_KAFKA_PATH = new Map([
  ["TOO_MANY_CONNECTIONS", "the Kafka listener closes a connection past kafka.connectionsMax instead"],
  ["TOO_MANY_REQUESTS", "the Kafka listener stops reading a connection past kafka.inflightRequestsMax instead"],
  ["BROKER_NOT_AVAILABLE", "only rlog's admin ops (transfer, reassignment, broker registry) send it"],
]);

const codeName = new Map<number, string>(Object.entries(KafkaError).map(([k, v]) => [v, k]));

test("every rlog error maps to a Kafka code, and retriable ones to codes Kafka clients retry", () => {
  const mapped = new Map(kafkaErrorMapping());
  for (const e of ERRORS) {
    const code = mapped.get(e.name);
    assert.ok(code !== undefined, `${e.name} has a Kafka code`);
    assert.equal(kafkaErrorCode(new RlogError(e.name, "x")), e.name === "AUTHORIZATION_FAILED" ? KafkaError.TOPIC_AUTHORIZATION_FAILED : code);
    if (!e.retriable || NOT_ON_KAFKA_PATH.has(e.name)) continue;
    const k = kafkajsErrors.find((x) => x.code === code);
    assert.ok(k?.retriable === true, `${e.name} is retriable in rlog, so its Kafka code ${codeName.get(code!)} (${code}) must be retriable for Kafka clients`);
  }
});

test("authorization failures take the code of the resource; anything not an RlogError is UNKNOWN_SERVER_ERROR", () => {
  const refused = new RlogError("AUTHORIZATION_FAILED", "no");
  assert.equal(kafkaErrorCode(refused, KafkaError.GROUP_AUTHORIZATION_FAILED), KafkaError.GROUP_AUTHORIZATION_FAILED);
  assert.equal(kafkaErrorCode(refused, KafkaError.CLUSTER_AUTHORIZATION_FAILED), KafkaError.CLUSTER_AUTHORIZATION_FAILED);
  assert.equal(kafkaErrorCode(new Error("bug")), KafkaError.UNKNOWN_SERVER_ERROR);
  assert.equal(kafkaErrorCode("not an error"), KafkaError.UNKNOWN_SERVER_ERROR);
});

test("docs/KAFKA.md lists the mapping of every rlog error", () => {
  const doc = readFileSync(new URL("../../../docs/KAFKA.md", import.meta.url), "utf8");
  for (const [name, code] of kafkaErrorMapping()) {
    const row = `| \`${name}\` | \`${codeName.get(code)}\` (${code}) |`;
    assert.ok(doc.includes(row), `docs/KAFKA.md has the row ${row}`);
  }
});

test("docs/KAFKA.md's API table lists exactly the APIs and versions the listener answers", async () => {
  const { kafkaApis } = await import("../../broker/kafka/api-table.js");
  const doc = readFileSync(new URL("../../../docs/KAFKA.md", import.meta.url), "utf8");
  const rows = doc.split("\n").filter((l) => /^\| [A-Za-z]+ \| \d+ \| \d+-\d+ \|/.test(l));
  const documented = rows.map((l) => l.split("|").slice(1, 4).map((c) => c.trim()).join(" ")).sort();
  const served = kafkaApis().map((a) => `${a.name} ${a.key} ${a.minVersion}-${a.maxVersion}`).sort();
  assert.deepEqual(documented, served);
});
