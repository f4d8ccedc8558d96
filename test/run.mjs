// Runs every compiled test file (dist/test/**/*.test.js, including the multi-process
// *.integration.test.js) with Node's own test runner.
// Usage: node test/run.mjs [--unit | --integration] [substring ...]
//   substrings: only files whose path contains one of them;
//   --unit: leave out *.integration.test.js (tests that start broker processes);
//   --integration: only those.
// A compiled test whose test/**/*.test.ts source is gone (renamed or deleted; tsc
// never removes outputs) is skipped, and named, so it cannot run twice or run stale.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { spawnSync } from "node:child_process";

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith(".test.js")) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const unitOnly = args.includes("--unit");
const integrationOnly = args.includes("--integration");
const filters = args.filter((a) => a !== "--unit" && a !== "--integration");
const isIntegration = (f) => f.endsWith(".integration.test.js");
const sourceOf = (f) => join("test", relative(join("dist", "test"), f)).replace(/\.js$/, ".ts");

const stale = [];
const files = find("dist/test")
  .filter((f) => {
    if (existsSync(sourceOf(f))) return true;
    stale.push(f);
    return false;
  })
  .filter((f) => !(unitOnly && isIntegration(f)) && !(integrationOnly && !isIntegration(f)))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (stale.length > 0) console.error(`skipped ${stale.length} compiled test(s) without a source: ${stale.join(", ")}`);
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const r = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);
