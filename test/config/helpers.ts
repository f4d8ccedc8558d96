/** Shared helpers for the config tests: temporary config files and error matching. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { after } from "node:test";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { ConfigError } from "../../config/index.js";

const dir = mkdtempSync(join(tmpdir(), "rlog-config-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let count = 0;

/** Writes `content` (an object is JSON-encoded) to a fresh temporary file and returns its path. */
export function tempConfig(content: unknown, name = `config-${++count}.json`): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return path;
}

/** The minimum a single-broker config must set. */
export const MINIMAL = { brokerId: 1, dataDir: "/tmp/rlog-test-data" } as const;

/** Runs `fn`, expects a ConfigError, and returns its issue lines (`source: key: reason`). */
export function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.code, "INVALID_CONFIG");
    return err.issues.map((i) => (i.key === "" ? `${i.source}: ${i.reason}` : `${i.source}: ${i.key}: ${i.reason}`));
  }
  assert.fail("expected a ConfigError, but the config loaded");
}

/** Asserts that exactly one issue was reported and that it matches `pattern`. */
export function assertOneIssue(fn: () => unknown, pattern: RegExp | string): void {
  const issues = issuesOf(fn);
  assert.equal(issues.length, 1, `expected one issue, got:\n${issues.join("\n")}`);
  const [line] = issues;
  if (typeof pattern === "string") assert.equal(line, pattern);
  else assert.match(line ?? "", pattern);
}
