/**
 * Plain-text tables for terminal output: a header row, columns padded to
 * their widest cell, two spaces between columns, no trailing blanks.
 */

/**
 * The table as text, one line per row (header first), each ending in "\n".
 * Rows shorter than the header are padded with empty cells.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, col) => Math.max(...all.map((row) => (row[col] ?? "").length)));
  return all
    .map((row) =>
      header
        .map((_, col) => (row[col] ?? "").padEnd(col === header.length - 1 ? 0 : (widths[col] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .map((line) => line + "\n")
    .join("");
}
