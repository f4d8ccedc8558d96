/**
 * A group-member child process (group-member.ts) seen from a test: its
 * reported events with their arrival time, SIGKILL, and cleanup.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const MEMBER_JS = fileURLToPath(new URL("./group-member.js", import.meta.url));

/** One reported event (see group-member.ts), with the test's clock when it arrived. */
export type MemberEvent =
  | { readonly ev: "assigned"; readonly gen: number; readonly member: string; readonly partitions: number[]; readonly atMs: number }
  | { readonly ev: "revoked"; readonly gen: number; readonly partitions: number[]; readonly atMs: number }
  | { readonly ev: "record"; readonly gen: number; readonly p: number; readonly o: number; readonly atMs: number }
  | { readonly ev: "committed"; readonly gen: number; readonly offsets: Record<string, number>; readonly atMs: number };

/** A running member; see the file comment. */
export class MemberProcess {
  readonly events: MemberEvent[] = [];
  private readonly child: ChildProcess;
  private stderr = "";
  private partial = "";

  constructor(
    readonly name: string,
    brokers: readonly string[],
    group: string,
    topic: string,
    sessionTimeoutMs: number,
  ) {
    this.child = spawn(process.execPath, [MEMBER_JS, brokers.join(","), group, topic, String(sessionTimeoutMs)], { stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout!.setEncoding("utf8");
    this.child.stdout!.on("data", (chunk: string) => {
      const lines = (this.partial + chunk).split("\n");
      this.partial = lines.pop() ?? "";
      const atMs = Date.now();
      for (const line of lines) if (line !== "") this.events.push({ ...(JSON.parse(line) as object), atMs } as MemberEvent);
    });
    this.child.stderr!.setEncoding("utf8");
    this.child.stderr!.on("data", (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
  }

  /** Whether the process has exited. */
  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Its stderr tail, for failure messages. */
  get errors(): string {
    return this.stderr;
  }

  /** The last assignment it reported. */
  lastAssigned(): Extract<MemberEvent, { ev: "assigned" }> | undefined {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i]!;
      if (e.ev === "assigned") return e;
    }
    return undefined;
  }

  /** SIGKILL and wait for the exit. */
  async kill(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.kill("SIGKILL");
    await exited;
  }

  /** SIGTERM (the member stops, commits and leaves) and wait for the exit. */
  async terminate(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.kill("SIGTERM");
    await exited;
  }
}
