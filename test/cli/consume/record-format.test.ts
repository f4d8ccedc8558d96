import { test } from "node:test";
import assert from "node:assert/strict";
import type { ConsumerRecord } from "../../../client/index.js";
import { CONSUME_FORMATS } from "../../../cli/commands/consume.js";
import { appendRecord, FORMATS, recordJson } from "../../../cli/consume/record-format.js";

test("the consume command offers exactly the formats the printer knows", () => {
  assert.deepEqual([...CONSUME_FORMATS], [...FORMATS]);
});

function record(key: Buffer | undefined, value: Buffer, headers: ConsumerRecord["headers"] = []): ConsumerRecord {
  return { topic: "t", partition: 2, offset: 7, timestampMs: 1_700_000_000_000, key, value, headers };
}

const printed = (r: ConsumerRecord, format: "value" | "key-value" | "json", sep = "\t"): Buffer => {
  const out: Buffer[] = [];
  const n = appendRecord(out, r, format, Buffer.from(sep));
  const bytes = Buffer.concat(out);
  assert.equal(bytes.length, n, "appendRecord returns the byte count it appended");
  return bytes;
};

test("value and key-value print the bytes as they are; a keyless record prints an empty key", () => {
  const bin = Buffer.from([0xff, 0x00, 0x41]);
  assert.deepEqual(printed(record(Buffer.from("k"), bin), "value"), Buffer.concat([bin, Buffer.from("\n")]));
  assert.deepEqual(printed(record(Buffer.from("k"), bin), "key-value", "::"), Buffer.concat([Buffer.from("k::"), bin, Buffer.from("\n")]));
  assert.equal(printed(record(undefined, Buffer.from("v")), "key-value").toString(), "\tv\n");
});

test("json: UTF-8 as strings, anything else as base64 with an encoding field; key null when absent; headers when present", () => {
  assert.equal(recordJson(record(Buffer.from("clé"), Buffer.from("välue"))), '{"partition":2,"offset":7,"timestamp":1700000000000,"key":"clé","value":"välue"}');
  assert.equal(recordJson(record(undefined, Buffer.from(""))), '{"partition":2,"offset":7,"timestamp":1700000000000,"key":null,"value":""}');
  assert.deepEqual(JSON.parse(recordJson(record(Buffer.from([0xc3]), Buffer.from([0xff, 0xfe])))), {
    partition: 2,
    offset: 7,
    timestamp: 1_700_000_000_000,
    key: "ww==",
    value: "//4=",
    keyEncoding: "base64",
    valueEncoding: "base64",
  });
  const withHeaders = JSON.parse(recordJson(record(undefined, Buffer.from("v"), [{ key: "a", value: Buffer.from("1") }, { key: "b", value: Buffer.from([0x80]) }]))) as { headers: unknown };
  assert.deepEqual(withHeaders.headers, [{ key: "a", value: "1" }, { key: "b", value: "gA==", valueEncoding: "base64" }]);
  assert.equal(printed(record(undefined, Buffer.from("line\nbreak")), "json").toString().split("\n").length, 2, "a JSON record is one line");
});
