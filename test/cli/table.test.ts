import { test } from "node:test";
import assert from "node:assert/strict";
import { formatTable } from "../../cli/table.js";
import { bar, formatBytes, formatCount } from "../../cli/progress.js";

test("formatTable pads columns to their widest cell, two spaces apart, no trailing blanks", () => {
  assert.equal(formatTable(["A", "LONGER", "C"], [["xyz", "1", ""], ["q"]]), "A    LONGER  C\nxyz  1\nq\n");
});

test("progress helpers: bar, counts, bytes", () => {
  assert.equal(bar(0), `[>${" ".repeat(29)}]   0%`);
  assert.equal(bar(0.5), `[${"=".repeat(15)}>${" ".repeat(14)}]  50%`);
  assert.equal(bar(1.2), `[${"=".repeat(30)}] 100%`);
  assert.equal(formatCount(1234567.4), "1,234,567");
  assert.equal(formatBytes(999), "999 B");
  assert.equal(formatBytes(1_680_000), "1.68 MB");
  assert.equal(formatBytes(25_000_000_000), "25.0 GB");
});
