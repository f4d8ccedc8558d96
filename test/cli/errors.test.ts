import { test } from "node:test";
import assert from "node:assert/strict";
import { CliError, EXIT_FAILURE, EXIT_USAGE, errorLine, exitCodeFor } from "../../cli/errors.js";

test("errorLine: CODE: message, one line, from whatever code the error carries", () => {
  assert.equal(errorLine(new CliError("NOT_LEADER", "partition t/0 is led by broker 2")), "NOT_LEADER: partition t/0 is led by broker 2");
  // A broker protocol error carries a numeric code and its table name.
  const protocolError = Object.assign(new Error("no such topic"), { code: 8, codeName: "UNKNOWN_TOPIC" });
  assert.equal(errorLine(protocolError), "UNKNOWN_TOPIC: no such topic");
  const system = Object.assign(new Error("ENOENT: no such file or directory, open 'x'"), { code: "ENOENT" });
  assert.equal(errorLine(system), "ENOENT: no such file or directory, open 'x'");
  assert.equal(errorLine(new Error("boom\n  at somewhere")), "INTERNAL_ERROR: boom at somewhere");
  assert.equal(errorLine("a string"), "INTERNAL_ERROR: a string");
});

test("exit status: 2 for command-line mistakes, 1 for everything else", () => {
  assert.equal(exitCodeFor(new CliError("INVALID_ARGUMENT", "x", EXIT_USAGE)), 2);
  assert.equal(exitCodeFor(Object.assign(new Error("x"), { name: "YError" })), 2);
  assert.equal(exitCodeFor(new Error("x")), EXIT_FAILURE);
});
