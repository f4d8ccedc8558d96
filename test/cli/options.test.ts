import { test } from "node:test";
import assert from "node:assert/strict";
import { CliError, EXIT_USAGE } from "../../cli/errors.js";
import { parseBrokers, parseInteger, parseSeparator, parseTopicConfig } from "../../cli/options.js";

/** The message of the INVALID_ARGUMENT error `f` throws (exit status 2). */
function usage(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof CliError);
    assert.equal(err.code, "INVALID_ARGUMENT");
    assert.equal(err.exitCode, EXIT_USAGE);
    return err.message;
  }
  assert.fail("expected an error");
}

test("parseInteger: numbers and numeric strings in range; everything else quoted back", () => {
  assert.equal(parseInteger("--partitions", 3, 1), 3);
  assert.equal(parseInteger("--partitions", "12", 1), 12);
  assert.equal(parseInteger("--retention", "-1", -1), -1);
  assert.equal(usage(() => parseInteger("--partitions", 0, 1)), "--partitions must be an integer >= 1, got 0");
  assert.equal(usage(() => parseInteger("--partitions", "abc", 1)), '--partitions must be an integer >= 1, got "abc"');
  assert.equal(usage(() => parseInteger("--partitions", 1.5, 1)), "--partitions must be an integer >= 1, got 1.5");
  assert.equal(usage(() => parseInteger("--p", "", 1)), '--p must be an integer >= 1, got ""');
  assert.equal(usage(() => parseInteger("--p", "1e3", 1)), '--p must be an integer >= 1, got "1e3"');
  assert.equal(usage(() => parseInteger("--p", 9, 1, 5)), "--p must be an integer from 1 to 5, got 9");
  assert.equal(usage(() => parseInteger("--p", "99999999999999999999", 1)), '--p must be an integer >= 1, got "99999999999999999999"');
});

test("parseBrokers: comma-separated ws:// and wss:// URLs", () => {
  assert.deepEqual(parseBrokers("ws://a:1, wss://b:2,"), ["ws://a:1", "wss://b:2"]);
  assert.match(usage(() => parseBrokers(" , ")), /give at least one broker URL/);
  assert.match(usage(() => parseBrokers("http://a:1")), /"http:\/\/a:1" is not a ws:\/\/ or wss:\/\/ URL/);
  assert.match(usage(() => parseBrokers("not a url")), /"not a url" is not a URL/);
});

test("parseSeparator: escapes for tab, newline, NUL, backslash and any byte", () => {
  assert.deepEqual(parseSeparator("-k", "\\t"), Buffer.from("\t"));
  assert.deepEqual(parseSeparator("-k", "\t"), Buffer.from("\t"));
  assert.deepEqual(parseSeparator("-k", "::"), Buffer.from("::"));
  assert.deepEqual(parseSeparator("-k", "a\\\\b"), Buffer.from("a\\b"));
  assert.deepEqual(parseSeparator("-k", "\\0\\n\\r"), Buffer.from("\0\n\r"));
  assert.deepEqual(parseSeparator("-k", "\\xff\\x00"), Buffer.from([0xff, 0x00]), "\\xHH is a byte, not a code point");
  assert.deepEqual(parseSeparator("-k", "é"), Buffer.from("é", "utf8"));
  assert.equal(usage(() => parseSeparator("-k", "")), "-k must not be empty");
  assert.match(usage(() => parseSeparator("-k", "\\q")), /unknown escape "\\q"/);
  assert.match(usage(() => parseSeparator("-k", "\\x4")), /unknown escape "\\x"/);
  assert.match(usage(() => parseSeparator("-k", "a\\")), /unknown escape "\\"/);
});

test("parseTopicConfig: the four settings, in camelCase or Kafka spelling; unknown keys named", () => {
  assert.deepEqual(parseTopicConfig([]), {});
  assert.deepEqual(parseTopicConfig(["retentionMs=1000", "retention.bytes=-1", "SEGMENT_BYTES=4096", "segment-ms=60000"]), {
    retentionMs: 1000,
    retentionBytes: -1,
    segmentBytes: 4096,
    segmentMs: 60000,
  });
  assert.equal(usage(() => parseTopicConfig(["cleanup.policy=compact"])), "--config cleanup.policy: unknown topic setting (known: retentionMs, retentionBytes, segmentBytes, segmentMs)");
  assert.equal(usage(() => parseTopicConfig(["retentionMs"])), '--config "retentionMs": write key=value, e.g. --config retentionMs=86400000');
  assert.equal(usage(() => parseTopicConfig(["=5"])), '--config "=5": write key=value, e.g. --config retentionMs=86400000');
  assert.equal(usage(() => parseTopicConfig(["segmentBytes=0"])), "--config segmentBytes must be an integer >= 1, got \"0\"");
  assert.equal(usage(() => parseTopicConfig(["retentionMs=-2"])), '--config retentionMs must be an integer >= -1, got "-2"');
});
