/**
 * Run the verification scan (verify.ts) of a data directory in a child
 * process, so that a damaged LMDB file cannot take the caller down: LMDB
 * trusts its page structure, and a damaged B-tree page can make it report
 * an error, crash the process (SIGSEGV, SIGBUS) or loop. The broker runs
 * this at start-up, before it opens its store.
 *
 * The child (verify-child.ts) opens the environment read-only and prints one
 * JSON line. Its stdout is bounded by STDOUT_BYTES_MAX (the report lists at
 * most DAMAGED_LISTED_MAX items per log); its run by `timeoutMs`.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { VerifyReport } from "./verify.js";

/** Exit code of the child when lmdb-js threw (LMDB reported its own structures damaged). */
export const EXIT_STORAGE_ENGINE = 3;
/** Exit code of the child on a usage error. */
export const EXIT_USAGE = 2;
/** Default bound on the child's run. */
export const VERIFY_TIMEOUT_MS_DEFAULT = 60_000;
/** The child's stdout beyond this is a failure (a report is far smaller). */
export const STDOUT_BYTES_MAX = 64 << 20;
/** Bytes of the child's stderr kept for the failure reason. */
const STDERR_BYTES_KEPT = 4096;

/** Why the scan did not produce a report: the file is damaged beyond what the checksums can describe, or the check failed. */
export type VerifyFailure =
  /** The child was killed by a signal (SIGSEGV or SIGBUS: LMDB read a damaged page). */
  | "signal"
  /** LMDB reported corruption (MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_INVALID, a bad meta page, ...) or another error. */
  | "storage-engine"
  /** The child did not finish within timeoutMs (a loop in a damaged B-tree, or a very slow disk); it was killed. */
  | "timeout"
  /** The child exited non-zero otherwise, could not start, or printed no valid report. */
  | "exit";

/** What verifyInChild returns. A report with damaged entries or records is still `ok: true`. */
export type VerifyOutcome =
  | {
      readonly ok: true;
      readonly report: VerifyReport;
      /** With `repair`: the logs the child cut, and from which entry (LogStorage.repair). */
      readonly repaired: readonly (readonly [string, number])[];
    }
  | { readonly ok: false; readonly failure: VerifyFailure; readonly reason: string };

export interface VerifyInChildOptions {
  /** Kill the child and report `timeout` after this long (default VERIFY_TIMEOUT_MS_DEFAULT). */
  readonly timeoutMs?: number;
  /** When only entries are damaged, cut each damaged log in the child too (verify-child.ts). */
  readonly repair?: boolean;
}

/** Scan the store in `dir` in a child process; never throws, never rejects. */
export function verifyInChild(dir: string, opts: VerifyInChildOptions = {}): Promise<VerifyOutcome> {
  const timeoutMs = opts.timeoutMs ?? VERIFY_TIMEOUT_MS_DEFAULT;
  const script = fileURLToPath(new URL("./verify-child.js", import.meta.url));
  return new Promise((resolve) => {
    let settled = false;
    const finish = (o: VerifyOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    const child = spawn(process.execPath, [script, dir, ...(opts.repair ? ["--repair"] : [])], { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = "";
    let overflow = false;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (b: Buffer) => {
      outBytes += b.byteLength;
      if (outBytes > STDOUT_BYTES_MAX) {
        overflow = true;
        child.kill("SIGKILL");
      } else out.push(b);
    });
    child.stderr.on("data", (b: Buffer) => {
      if (err.length < STDERR_BYTES_KEPT) err += b.toString("utf8").slice(0, STDERR_BYTES_KEPT - err.length);
    });
    child.on("error", (e) => finish({ ok: false, failure: "exit", reason: `cannot run the verification child: ${e.message}` }));
    child.on("close", (code, signal) => {
      const tail = err.trim() === "" ? "" : `: ${err.trim()}`;
      if (timedOut) return finish({ ok: false, failure: "timeout", reason: `verification of ${dir} did not finish within ${timeoutMs} ms` });
      if (overflow) return finish({ ok: false, failure: "exit", reason: `verification child printed more than ${STDOUT_BYTES_MAX} bytes` });
      if (signal !== null) return finish({ ok: false, failure: "signal", reason: `verification child killed by ${signal}${tail}` });
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.concat(out).toString("utf8"));
      } catch {
        parsed = undefined;
      }
      const msg = parsed as { report?: VerifyReport; repaired?: [string, number][]; error?: unknown } | undefined;
      if (code === 0 && msg?.report !== undefined && Array.isArray(msg.report.logs)) return finish({ ok: true, report: msg.report, repaired: msg.repaired ?? [] });
      if (code === EXIT_STORAGE_ENGINE && typeof msg?.error === "string") return finish({ ok: false, failure: "storage-engine", reason: msg.error });
      return finish({ ok: false, failure: "exit", reason: `verification child exited with code ${code}${tail}` });
    });
  });
}
