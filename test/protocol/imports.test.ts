/**
 * broker/protocol is what client/ and cli/ import: it (and everything it
 * pulls in, transitively) may depend only on msgpackr, @node-rs/crc32 (the
 * record batch's CRC-32C, in crc32c.ts only), node:crypto (SCRAM's HMAC and
 * PBKDF2, in scram-crypto.ts only), the Raft message types and the pure
 * membership codec (broker/raft/membership.ts, quorum.ts). This keeps lmdb,
 * pino, ws and broker internals out of the SDK. The compression codecs
 * (node:zlib, lz4-napi, @mongodb-js/zstd) are allowed only as dynamic
 * imports in compression-codecs.ts, so code that never compresses never
 * loads them. The browser build swaps the three Node-only files for
 * browser ones (client/browser/bundle.ts; test/architecture/browser-bundle.test.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const ALLOWED_PACKAGES = new Set(["msgpackr"]);
/** The record batch's CRC-32C, named in one file (the browser build swaps it). */
const CRC_MODULE = "broker/protocol/crc32c.ts";
/** SCRAM's hashes, named in one file (kept out of the browser build: nothing it reaches imports scram.ts). */
const CRYPTO_MODULE = "broker/protocol/scram-crypto.ts";
const LAZY_CODECS = new Set(["node:zlib", "lz4-napi", "@mongodb-js/zstd"]);
const CODEC_MODULE = "broker/protocol/compression-codecs.ts";
/** The Raft value and message types, and the pure membership codec the peer message check uses (with its quorum maths). */
const ALLOWED_OUTSIDE = new Set(["broker/raft/types.ts", "broker/raft/messages.ts", "broker/raft/membership.ts", "broker/raft/quorum.ts"]);

function importsOf(file: string): { spec: string; lazy: boolean }[] {
  const src = readFileSync(join(root, file), "utf8");
  const specs: { spec: string; lazy: boolean }[] = [];
  for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']/g)) specs.push({ spec: m[1] as string, lazy: false });
  for (const m of src.matchAll(/(?:^|\n)\s*import\s+["']([^"']+)["']/g)) specs.push({ spec: m[1] as string, lazy: false });
  for (const m of src.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) specs.push({ spec: m[1] as string, lazy: true });
  return specs;
}

test("broker/protocol imports only msgpackr, @node-rs/crc32, node:crypto (scram-crypto.ts) and the Raft message types; codecs only lazily", () => {
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
    for (const { spec, lazy } of importsOf(file)) {
      if (!spec.startsWith(".")) {
        const lazyCodec = LAZY_CODECS.has(spec) && lazy && file === CODEC_MODULE;
        const crc = spec === "@node-rs/crc32" && file === CRC_MODULE;
        const crypto = spec === "node:crypto" && file === CRYPTO_MODULE;
        if (!ALLOWED_PACKAGES.has(spec) && !lazyCodec && !crc && !crypto) problems.push(`${file} imports ${spec}${lazy ? " (dynamic)" : ""}`);
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
