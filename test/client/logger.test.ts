/** The SDK's Logger interface takes a pino logger as is (the SDK itself never imports pino). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { pino } from "pino";
import type { Logger } from "../../client/index.js";
import { FakeCluster } from "./fake-broker.js";
import { clientOf } from "./helpers.js";

test("a pino logger plugs in and receives structured fields", async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split("\n").filter((l) => l !== ""));
      done();
    },
  });
  const logger: Logger = pino({ level: "debug" }, sink);
  const fake = await FakeCluster.start({ brokers: 1 });
  const client = clientOf(fake, { logger });
  try {
    await client.connect();
  } finally {
    await client.close();
    await fake.stop();
  }
  const connected = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l["msg"] === "connected");
  assert.equal(connected?.["brokerId"], 1);
  assert.equal(connected?.["url"], fake.urls[0]);
});
