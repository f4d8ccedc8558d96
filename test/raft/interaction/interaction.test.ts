/**
 * Runs every scripted Raft scenario in test/raft/testdata/*.txt (format:
 * test/raft/interaction/datadriven.ts; commands: interaction-env.ts) and
 * compares the output with the expected output stored in the file.
 * RLOG_TEST_REWRITE=1 rewrites the files with the actual output instead:
 *
 *     npx tsc -p . && RLOG_TEST_REWRITE=1 node test/run.mjs raft/interaction
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../../../config/index.js";
import { formatDataFile, parseDataFile, runFile } from "./datadriven.js";
import { InteractionEnv } from "./interaction-env.js";

const dir = join(packageRoot(), "test/raft/testdata");
const files = readdirSync(dir).filter((f) => f.endsWith(".txt")).sort();

test("the scripted scenarios exist", () => {
  assert.ok(files.length >= 6, `expected the scenario files in ${dir}`);
});

for (const name of files) {
  test(`scenario ${name}`, () => {
    const env = new InteractionEnv();
    const mismatches = runFile(join(dir, name), (command) => env.run(command));
    const report = mismatches.map((m) => `${name}:${m.line}: ${m.command}\n--- expected\n${m.expected}\n--- actual\n${m.actual}`).join("\n\n");
    assert.equal(mismatches.length, 0, `${report}\n\n(RLOG_TEST_REWRITE=1 rewrites the files; review the diff)`);
  });
}

test("a file parses and formats back to the same text", () => {
  for (const name of files) {
    const text = readFileSync(join(dir, name), "utf8");
    assert.equal(formatDataFile(parseDataFile(text, name), []), text, name);
  }
});

test("a wrong output is reported with its line; rewriting writes the actual output", () => {
  const tmp = mkdtempSync(join(tmpdir(), "rlog-datadriven-"));
  try {
    const path = join(tmp, "case.txt");
    writeFileSync(path, "# a comment\n\necho one\n----\none\n\necho two\n----\nthree\n");
    const echo = (command: string): string[] => [command.split(" ")[1] ?? ""];
    const mismatches = runFile(path, echo, false);
    assert.deepEqual(mismatches, [{ line: 7, command: "echo two", expected: "three", actual: "two" }]);
    assert.deepEqual(runFile(path, echo, true), []);
    assert.equal(readFileSync(path, "utf8"), "# a comment\n\necho one\n----\none\n\necho two\n----\ntwo\n");
    assert.deepEqual(runFile(path, echo, false), []);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
