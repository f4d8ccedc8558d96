/** The produce-and-consume snippet of docs/CLIENT.md runs as pasted (against the fake cluster). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { FakeCluster } from "./fake-broker.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");

/** The first ```js block of docs/CLIENT.md. */
function snippet(): string {
  const doc = readFileSync(join(root, "docs/CLIENT.md"), "utf8");
  const m = /```js\n([\s\S]*?)```/.exec(doc);
  assert.ok(m?.[1] !== undefined, "docs/CLIENT.md has a ```js block");
  return m[1];
}

test("the docs/CLIENT.md example is ten-odd lines and works when pasted", async () => {
  const code = snippet();
  assert.ok(code.trim().split("\n").length <= 12, "short");
  assert.match(code, /from "rlog"/);
  assert.match(code, /ws:\/\/127\.0\.0\.1:9092/);
  const fake = await FakeCluster.start({ brokers: 1 });
  const dir = mkdtempSync(join(tmpdir(), "rlog-example-"));
  try {
    const runnable = code
      .replace('from "rlog"', `from ${JSON.stringify(pathToFileURL(join(root, "dist/client/index.js")).href)}`)
      .replace("ws://127.0.0.1:9092", fake.urls[0] as string);
    const file = join(dir, "example.mjs");
    writeFileSync(file, runnable);
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [file], { timeout: 15_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
    });
    assert.equal(out.trim(), "0 en hello");
    assert.equal(fake.connectionCount(), 0, "the example closed its connections");
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await fake.stop();
  }
});
