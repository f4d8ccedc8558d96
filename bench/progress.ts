/**
 * The progress line on stderr. On a terminal one line is redrawn in place
 * (at most 4 times a second); otherwise a line is printed every 5 s, so
 * logs of CI runs stay short. stdout carries only the results.
 */

const TTY_INTERVAL_MS = 250;
const PIPE_INTERVAL_MS = 5_000;

/** See the file comment. */
export class Progress {
  private lastMs = 0;
  private width = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly quiet: boolean) {}

  /** Report the current state of a workload; throttled. */
  update(workload: string, text: string, force = false): void {
    if (this.quiet) return;
    const now = performance.now();
    if (!force && now - this.lastMs < (this.tty ? TTY_INTERVAL_MS : PIPE_INTERVAL_MS)) return;
    this.lastMs = now;
    const line = `[${workload}] ${text}`;
    if (this.tty) {
      process.stderr.write(`\r${line.padEnd(this.width)}`);
      this.width = line.length;
    } else {
      process.stderr.write(`${line}\n`);
    }
  }

  /** End the current line (before printing anything else). */
  done(workload: string, text: string): void {
    if (this.quiet) return;
    const line = `[${workload}] ${text}`;
    if (this.tty) process.stderr.write(`\r${line.padEnd(this.width)}\n`);
    else process.stderr.write(`${line}\n`);
    this.width = 0;
    this.lastMs = 0;
  }
}
