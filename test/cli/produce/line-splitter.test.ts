import { test } from "node:test";
import assert from "node:assert/strict";
import { CliError } from "../../../cli/errors.js";
import { LineSplitter, splitKey } from "../../../cli/produce/line-splitter.js";

const lines = (bufs: readonly Buffer[]): string[] => bufs.map((b) => b.toString("latin1"));

test("lines end at \\n; CRLF loses its \\r; empty lines are lines; a last line without \\n comes from end()", () => {
  const s = new LineSplitter(100);
  assert.deepEqual(lines(s.push(Buffer.from("a\nbb\r\n\nc"))), ["a", "bb", ""]);
  assert.equal(s.pendingBytes, 1);
  assert.deepEqual(lines(s.push(Buffer.from("cc\nd"))), ["ccc"]);
  assert.equal(s.end()?.toString(), "d");
  assert.equal(s.end(), undefined);
  assert.equal(s.lines, 5);
});

test("a line split across many chunks, byte by byte, comes out whole; bytes are not decoded", () => {
  const input = Buffer.from([0x61, 0xff, 0x00, 0xfe, 0x0a, 0x62, 0x0a]);
  const s = new LineSplitter(100);
  const out: Buffer[] = [];
  for (const byte of input) out.push(...s.push(Buffer.from([byte])));
  assert.deepEqual(out, [Buffer.from([0x61, 0xff, 0x00, 0xfe]), Buffer.from("b")]);
  assert.equal(s.end(), undefined);
});

test("a line longer than lineBytesMax is refused, whether it spans chunks or not", () => {
  const spanning = new LineSplitter(4);
  spanning.push(Buffer.from("ok\nabc"));
  assert.throws(() => spanning.push(Buffer.from("de")), (err: unknown) => err instanceof CliError && err.code === "INVALID_INPUT" && /line 2 is longer than 4 bytes/.test(err.message));
  const within = new LineSplitter(4);
  assert.throws(() => within.push(Buffer.from("abcdef\n")), /line 1 is longer than 4 bytes/);
  assert.deepEqual(lines(new LineSplitter(4).push(Buffer.from("abcd\n"))), ["abcd"]);
});

test("splitKey splits at the first separator only", () => {
  const kv = splitKey(Buffer.from("k\tv\tw"), Buffer.from("\t"));
  assert.equal(kv?.key.toString(), "k");
  assert.equal(kv?.value.toString(), "v\tw");
  const empty = splitKey(Buffer.from("::v"), Buffer.from("::"));
  assert.equal(empty?.key.length, 0);
  assert.equal(empty?.value.toString(), "v");
  assert.equal(splitKey(Buffer.from("no separator"), Buffer.from("\t")), undefined);
});
