/**
 * The SDK's browser bundle (client/browser/bundle.ts) stays a browser's:
 * built here into a temporary directory, it must hold
 *
 * - no import of a node: module (esbuild fails the build for the browser
 *   platform on one; this also catches one left as an external import);
 * - no package but msgpackr: no ws, no native module (@node-rs/crc32,
 *   lz4-napi, @mongodb-js/zstd), no Buffer or other Node polyfill;
 * - no call on Node's Buffer in rlog's own code that goes in, but the one
 *   guarded by `typeof globalThis.Buffer` in client/bytes.ts;
 *
 * and every swap must name files that exist.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BROWSER_SWAPS, PACKAGE_ROOT, buildBrowserBundle } from "../../client/browser/bundle.js";

/** The only packages the browser bundle may hold. */
const BUNDLED_PACKAGES = new Set(["msgpackr"]);
/** rlog files that may touch Buffer in the bundle, each behind a runtime check for it. */
const GUARDED_BUFFER_USE = new Set(["client/bytes.ts"]);

const packageOf = (input: string): string | undefined => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  return m?.[1];
};

test("the browser bundle holds no node: module, no package but msgpackr, and no unguarded Buffer call", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rlog-bundle-check-"));
  try {
    const { outfile, metafile } = await buildBrowserBundle(join(dir, "rlog.js"));
    const problems: string[] = [];
    for (const [input, info] of Object.entries(metafile.inputs)) {
      const pkg = packageOf(input);
      if (pkg !== undefined && !BUNDLED_PACKAGES.has(pkg)) problems.push(`${input}: package ${pkg} is in the bundle`);
      for (const imp of info.imports) {
        if (imp.external || imp.path.startsWith("node:")) problems.push(`${input} imports ${imp.path}${imp.external ? " (left external)" : ""}`);
      }
      if (pkg === undefined) {
        // What went in for this path: its browser version when it is swapped.
        const file = BROWSER_SWAPS[input] ?? input;
        const code = readFileSync(join(PACKAGE_ROOT, file), "utf8")
          .split("\n")
          .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line));
        code.forEach((line, i) => {
          if (/\bBuffer\.[a-zA-Z]/.test(line) && !GUARDED_BUFFER_USE.has(file)) problems.push(`${file}:${i + 1}: calls Buffer: ${line.trim()}`);
        });
      }
    }
    const bundle = readFileSync(outfile, "utf8");
    for (const m of bundle.matchAll(/(?:from\s*|import\s*\(\s*|require\s*\(\s*)["'](node:[^"']+)["']/g)) problems.push(`the bundle loads ${m[1]}`);
    assert.deepEqual(problems, []);
    assert.ok(Object.keys(metafile.inputs).some((i) => i.startsWith("client/network/connection.ts")), "the bundle holds the SDK");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("every browser swap names an existing Node file and its existing browser version", () => {
  for (const [node, browser] of Object.entries(BROWSER_SWAPS)) {
    assert.ok(existsSync(join(PACKAGE_ROOT, node)), node);
    assert.ok(existsSync(join(PACKAGE_ROOT, browser)), browser);
    assert.match(browser, /-browser\.ts$/, `${browser}: browser versions are named <file>-browser.ts`);
  }
});
