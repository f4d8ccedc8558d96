/**
 * broker/protocol is what client/ and cli/ import: it (and everything it
 * pulls in, transitively) may depend only on msgpackr, node:zlib and the
 * Raft message types. This keeps lmdb, pino, ws and broker internals out of
 * the SDK.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const ALLOWED_PACKAGES = new Set(["msgpackr", "node:zlib"]);
const ALLOWED_OUTSIDE = new Set(["broker/raft/types.ts", "broker/raft/messages.ts"]);

function importsOf(file: string): string[] {
  const src = readFileSync(join(root, file), "utf8");
  const specs: string[] = [];
  for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']/g)) specs.push(m[1] as string);
  for (const m of src.matchAll(/(?:^|\n)\s*import\s+["']([^"']+)["']/g)) specs.push(m[1] as string);
  for (const m of src.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) specs.push(m[1] as string);
  return specs;
}

test("broker/protocol imports only msgpackr, node:zlib and the Raft message types", () => {
  const start = readdirSync(join(root, "broker/protocol"))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => `broker/protocol/${f}`);
  const seen = new Set<string>();
  const queue = [...start];
  const problems: string[] = [];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of importsOf(file)) {
      if (!spec.startsWith(".")) {
        if (!ALLOWED_PACKAGES.has(spec)) problems.push(`${file} imports ${spec}`);
        continue;
      }
      const target = relative(root, normalize(join(root, dirname(file), spec))).replace(/\.js$/, ".ts");
      if (!target.startsWith("broker/protocol/") && !ALLOWED_OUTSIDE.has(target)) problems.push(`${file} imports ${target}`);
      queue.push(target);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(seen.has("broker/raft/messages.ts"));
});
