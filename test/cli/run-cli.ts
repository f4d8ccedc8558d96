/**
 * Runs the real, compiled CLI (`node dist/cli/main.js ...`) as a child
 * process for end-to-end tests: stdin from a Buffer, stdout kept as bytes,
 * RLOG_* variables cleared, a hard timeout, and every child ended by the
 * time its promise settles.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { packageRoot } from "../../config/index.js";

/** The compiled CLI entry point. */
export const CLI_MAIN = join(packageRoot(), "dist", "cli", "main.js");

/** What a CLI run produced. */
export interface CliResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  /** Wall time from spawn to exit. */
  readonly ms: number;
}

/** How to run it. */
export interface CliRunOptions {
  /** Bytes for stdin (closed after them); stdin is closed at once when absent, unless keepStdinOpen. */
  readonly input?: Buffer | string;
  /** Leave stdin open after `input` (the test writes to child.stdin itself, or sends a signal). */
  readonly keepStdinOpen?: boolean;
  /** Extra environment variables. */
  readonly env?: Record<string, string>;
  /** Kill the child (SIGKILL) after this long. Default 30 s. */
  readonly timeoutMs?: number;
  /** Called once the child is running (to signal it, for instance). */
  readonly onSpawn?: (child: ChildProcess) => void;
}

/** The environment without RLOG_* variables (a developer's shell must not change a test). */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("RLOG_") && v !== undefined) env[k] = v;
  return { ...env, ...extra };
}

/** Run `rlog-cli args...` and collect its output. */
export function runCli(args: readonly string[], options: CliRunOptions = {}): Promise<CliResult> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI_MAIN, ...args], { env: cleanEnv(options.env), stdio: ["pipe", "pipe", "pipe"] });
  const out: Buffer[] = [];
  let err = "";
  child.stdout.on("data", (d: Buffer) => out.push(d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  child.stdin.on("error", () => undefined); // the CLI may exit before reading all of it (an error test)
  if (options.input !== undefined) child.stdin.write(options.input);
  if (options.keepStdinOpen !== true) child.stdin.end();
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
  options.onSpawn?.(child);
  return new Promise((resolve, reject) => {
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ status, signal, stdout: Buffer.concat(out), stderr: err, ms: performance.now() - started });
    });
  });
}

/** The stderr of a failed run as its lines (for "exactly one line" checks). */
export function stderrLines(r: CliResult): string[] {
  return r.stderr.trimEnd().split("\n");
}

/** An expected failure: exit status and the one stderr line (exact, or a pattern). */
export interface ErrorCase {
  readonly args: readonly string[];
  readonly status: number;
  readonly line: string | RegExp;
}

/** Each run failed as its case says: that status, nothing on stdout, exactly one line on stderr. */
export function assertOneLineErrors(cases: readonly ErrorCase[], results: readonly CliResult[]): void {
  for (const [i, c] of cases.entries()) {
    const r = results[i] as CliResult;
    assert.equal(r.status, c.status, `${c.args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stdout.length, 0, c.args.join(" "));
    const lines = stderrLines(r);
    assert.equal(lines.length, 1, r.stderr);
    if (typeof c.line === "string") assert.equal(lines[0], c.line);
    else assert.match(lines[0] ?? "", c.line);
  }
}
