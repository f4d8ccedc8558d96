/** client.env: one shell assignment per variable, quoted so a shell reads back exactly the value. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeClientEnv } from "../../cli/client-env.js";

test("writeClientEnv: the variables in order, shell-quoted, mode 0600; a shell that loads it sees the same values", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "rlog-client-env-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const vars = { RLOG_BROKERS: "wss://127.0.0.1:9092,wss://127.0.0.1:9093", RLOG_TLS_CA: join(dir, "it's a dir", "ca.pem") };
  const file = writeClientEnv(dir, vars, "test");
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const out = execFileSync("sh", ["-c", `set -a; . "$1"; set +a; printf '%s\\n' "$RLOG_BROKERS" "$RLOG_TLS_CA"`, "sh", file], { encoding: "utf8" });
  assert.deepEqual(out.trimEnd().split("\n"), [vars.RLOG_BROKERS, vars.RLOG_TLS_CA]);
  assert.throws(() => writeClientEnv(dir, { "not a name": "x" }, "test"), RangeError);
});
