/** docs/PROTOCOL.md must list every error code, op, limit and close code, with the values in the code. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CloseCode } from "../../broker/protocol/close-codes.js";
import { ERRORS } from "../../broker/protocol/errors.js";
import { DEFAULT_LIMITS, FIXED_LIMITS } from "../../broker/protocol/limits.js";
import { OPS } from "../../broker/protocol/ops.js";
import { DEFAULT_PEER_LIMITS } from "../../broker/transport/peer-limits.js";

const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "../../../docs/PROTOCOL.md"), "utf8");
const lines = doc.split("\n");
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The table row whose first cell is `first` (several tables may have one; returns all). */
function rows(first: string): string[][] {
  return lines
    .filter((l) => l.startsWith("|"))
    .map((l) => l.split("|").slice(1, -1).map((c) => c.trim()))
    .filter((cells) => cells[0] === first);
}

test("the doc's error table lists every code with its name and retriable flag, and nothing else", () => {
  for (const e of ERRORS) {
    const row = rows(String(e.code)).find((r) => r[1] === `\`${e.name}\``);
    assert.ok(row !== undefined, `no row for ${e.code} ${e.name}`);
    assert.equal(row[2], e.retriable ? "yes" : "no", e.name);
  }
  const errorRows = lines.filter((l) => /^\| \d+ \| `[A-Z_]+` \| (yes|no) \|/.test(l));
  assert.equal(errorRows.length, ERRORS.length, "rows for codes that do not exist");
});

test("the doc has a section for every op", () => {
  for (const op of OPS) assert.match(doc, new RegExp(`^### \`${escape(op)}\`$`, "m"), op);
});

test("the doc lists every limit with its default", () => {
  const tables: [string, Readonly<Record<string, number>>][] = [
    ["client", DEFAULT_LIMITS as unknown as Record<string, number>],
    ["fixed", FIXED_LIMITS],
    ["peer", DEFAULT_PEER_LIMITS as unknown as Record<string, number>],
  ];
  for (const [which, limits] of tables) {
    for (const [name, value] of Object.entries(limits)) {
      const found = rows(`\`${name}\``).some((r) => (r[1] ?? "").split(" ")[0] === String(value));
      assert.ok(found, `${which} limit ${name} = ${value} missing or wrong in docs/PROTOCOL.md`);
    }
  }
});

test("the doc lists every close code", () => {
  for (const [name, code] of Object.entries(CloseCode)) {
    assert.ok(rows(String(code)).some((r) => r[1] === name), `close code ${code} ${name}`);
  }
});
