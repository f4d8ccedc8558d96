/**
 * CPU time of processes, read from Linux's /proc/<pid>/stat (utime + stime,
 * user and system time of the process itself, in clock ticks), for the idle
 * cost of brokers. Ticks per second come from `getconf CLK_TCK`; where that
 * fails, 100 is assumed (the value on every common Linux) and the result
 * says so.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Clock ticks per second, and whether the value was assumed. */
export interface ClockTicks {
  readonly perSec: number;
  readonly assumed: boolean;
}

/** The kernel's clock ticks per second (USER_HZ). */
export function clockTicks(): ClockTicks {
  try {
    const v = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5_000 }).trim());
    if (Number.isSafeInteger(v) && v > 0) return { perSec: v, assumed: false };
  } catch {
    // no getconf: fall through to the usual value
  }
  return { perSec: 100, assumed: true };
}

/** Whether /proc/<pid>/stat can be read here (Linux). */
export function procCpuAvailable(): boolean {
  try {
    readFileSync(`/proc/${process.pid}/stat`, "utf8");
    return true;
  } catch {
    return false;
  }
}

/**
 * utime + stime of `pid` in clock ticks. The command name (field 2) may hold
 * spaces and parentheses, so fields are counted from the last ')': utime and
 * stime are fields 14 and 15 of the line, the 12th and 13th after it.
 */
export function cpuTicksOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = line.slice(line.lastIndexOf(")") + 2).split(" ");
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unexpected /proc/${pid}/stat: ${line.slice(0, 200)}`);
  return utime + stime;
}

/** CPU used by each process between two samples, as % of one core. */
export function cpuPercentOfCore(before: readonly number[], after: readonly number[], seconds: number, ticks: ClockTicks): number[] {
  return before.map((b, k) => ((after[k]! - b) / ticks.perSec / seconds) * 100);
}
