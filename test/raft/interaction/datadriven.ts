/**
 * etcd-style data-driven test files (etcd-io/raft `testdata/*.txt`, from
 * cockroachdb/datadriven): a file is a list of cases, each
 *
 *     # comments and blank lines, kept as they are
 *     command arg arg key=value
 *     ----
 *     expected output, one or more lines
 *     (ended by a blank line or the end of the file)
 *
 * `runFile` runs each command through a handler and compares its output with
 * the expected one. With RLOG_TEST_REWRITE=1 in the environment it writes the
 * actual outputs back into the file instead (review the diff before
 * committing it): the way to record a new scenario or accept a deliberate
 * change of behaviour.
 */
import { readFileSync, writeFileSync } from "node:fs";

/** One case of a file. */
export interface DataCase {
  /** Comment and blank lines before the command, verbatim. */
  readonly leading: readonly string[];
  /** The command line, e.g. "tick all 5". */
  readonly command: string;
  /** 1-based line of the command in the file. */
  readonly line: number;
  /** The expected output lines. */
  readonly expected: readonly string[];
}

/** The parsed file: its cases and any trailing comment lines. */
export interface DataFile {
  readonly cases: readonly DataCase[];
  readonly trailing: readonly string[];
}

/** Parses the text of a data-driven file; throws naming the line on a malformed case. */
export function parseDataFile(text: string, name: string): DataFile {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  if (lines.at(-1) === "") lines.pop();
  const cases: DataCase[] = [];
  let leading: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === "" || line.startsWith("#")) {
      leading.push(line);
      i++;
      continue;
    }
    const commandLine = i + 1;
    if (lines[i + 1] !== "----") throw new Error(`${name}:${commandLine + 1}: expected "----" after the command "${line}"`);
    i += 2;
    const expected: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== "") expected.push(lines[i++]!);
    cases.push({ leading, command: line, line: commandLine, expected });
    leading = [];
  }
  return { cases, trailing: leading };
}

/** The text of a file with the given outputs (one per case, in order). */
export function formatDataFile(file: DataFile, outputs: readonly (readonly string[])[]): string {
  const out: string[] = [];
  file.cases.forEach((c, n) => {
    out.push(...c.leading, c.command, "----", ...(outputs[n] ?? c.expected));
  });
  out.push(...file.trailing);
  return out.join("\n") + "\n";
}

/** True when the test run should rewrite expected outputs instead of comparing them. */
export function rewriting(env: NodeJS.ProcessEnv = process.env): boolean {
  return env["RLOG_TEST_REWRITE"] === "1";
}

/** A mismatch between a case's expected and actual output. */
export interface Mismatch {
  readonly line: number;
  readonly command: string;
  readonly expected: string;
  readonly actual: string;
}

/**
 * Runs every case of `path` through `run` (one fresh handler per file, so the
 * cases of a file share state). Output lines must not be blank: blank lines
 * end a case, so `run` must print something (e.g. "ok"). Returns the
 * mismatches; when rewriting, writes the file and returns none.
 */
export function runFile(path: string, run: (command: string) => string[], rewrite = rewriting()): Mismatch[] {
  const file = parseDataFile(readFileSync(path, "utf8"), path);
  const outputs: string[][] = [];
  const mismatches: Mismatch[] = [];
  for (const c of file.cases) {
    let actual: string[];
    try {
      actual = run(c.command);
    } catch (err) {
      actual = [`error: ${err instanceof Error ? err.message : String(err)}`];
    }
    if (actual.length === 0) actual = ["ok"];
    actual = actual.map((l) => (l.trim() === "" ? "." : l));
    outputs.push(actual);
    const want = c.expected.join("\n");
    const got = actual.join("\n");
    if (want !== got) mismatches.push({ line: c.line, command: c.command, expected: want, actual: got });
  }
  if (rewrite) {
    writeFileSync(path, formatDataFile(file, outputs));
    return [];
  }
  return mismatches;
}
