/**
 * Everything the bench starts is registered here, so that it ends however
 * the run ends: normally, by an error, or by Ctrl-C / SIGTERM. Child
 * processes get SIGKILL and temporary directories are removed, in a
 * synchronous `exit` handler as the last resort.
 */
import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
let installed = false;

/** Track a child process until it exits. */
export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once("exit", () => children.delete(child));
}

/** Track a temporary directory until `releaseDir`. */
export function trackDir(dir: string): void {
  dirs.add(dir);
}

/** Remove a tracked directory now. */
export function releaseDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/** SIGKILL every tracked child and remove every tracked directory (synchronous). */
export function cleanupNow(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  children.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/** Install the exit and signal handlers (once). A signal exits with 128 + its number. */
export function installCleanupHandlers(): void {
  if (installed) return;
  installed = true;
  process.on("exit", cleanupNow);
  const onSignal = (signal: NodeJS.Signals, code: number): void => {
    process.stderr.write(`\nrlog bench: ${signal}, stopping brokers and removing temporary data\n`);
    cleanupNow();
    process.exit(code);
  };
  process.once("SIGINT", () => onSignal("SIGINT", 130));
  process.once("SIGTERM", () => onSignal("SIGTERM", 143));
  process.once("SIGHUP", () => onSignal("SIGHUP", 129));
}
