/**
 * The hop table of a traced one-at-a-time produce run: where each send()
 * spent its time between the client, the leader and the first follower to
 * receive the append (broker/diagnostics/hop-trace-file.ts writes the lines).
 *
 * Lines carry no request id: the run is cut into windows at each api.send
 * of the client, and within a window each step is the first matching point
 * after the previous one, so it only means something when one send() is
 * outstanding at a time. Windows where a step is missing (a heartbeat-only
 * turn, a retry) are left out and counted.
 */
import type { HopPoint } from "../../broker/protocol/hop-trace.js";

interface TraceLine {
  readonly us: number;
  readonly pid: string;
  readonly point: string;
}

/** One step of the path, with its percentiles over the windows used (µs). */
export interface HopRow {
  readonly step: string;
  /** Where the step runs: client, leader, follower, or a hop between two processes. */
  readonly where: string;
  readonly p50Us: number;
  readonly p90Us: number;
  /** On the path to the acknowledgement (the leader's own write runs beside it). */
  readonly critical: boolean;
}

export interface HopTable {
  readonly rows: readonly HopRow[];
  /** Sends whose whole path was found. */
  readonly windows: number;
  /** Sends left out (a step missing). */
  readonly skipped: number;
}

function parse(text: string): TraceLine[] {
  const out: TraceLine[] = [];
  for (const line of text.split("\n")) {
    const [us, pid, point] = line.split(" ");
    if (us === undefined || pid === undefined || point === undefined) continue;
    const n = Number(us);
    if (Number.isFinite(n)) out.push({ us: n, pid, point });
  }
  return out.sort((a, b) => a.us - b.us);
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** The steps, as [name, where, from, to, critical]; from and to name the marks found in each window. */
const STEPS: readonly (readonly [string, string, string, string, boolean])[] = [
  ["SDK: send() to the socket", "client", "send", "clientOut", true],
  ["client to leader", "hop", "clientOut", "leaderIn", true],
  ["decode, check, propose", "leader", "leaderIn", "propose", true],
  ["propose to the append leaving", "leader", "propose", "leaderPeerOut", true],
  ["leader to follower", "hop", "leaderPeerOut", "followerIn", true],
  ["follower: frame to its write", "follower", "followerIn", "followerPersistStart", true],
  ["follower: synced write", "follower", "followerPersistStart", "followerPersistEnd", true],
  ["follower: write to its answer leaving", "follower", "followerPersistEnd", "followerOut", true],
  ["follower to leader", "hop", "followerOut", "leaderAnswerIn", true],
  ["leader: answer (and own write) to commit", "leader", "commitReady", "commit", true],
  ["commit to the response leaving", "leader", "commit", "leaderOut", true],
  ["leader to client", "hop", "leaderOut", "clientIn", true],
  ["SDK: response to send() resolving", "client", "clientIn", "done", true],
  ["leader: its own synced write", "leader", "leaderPersistStart", "leaderPersistEnd", false],
  ["total", "", "send", "done", true],
];

/** Build the table from the trace file's text. */
export function hopTable(text: string): HopTable {
  const lines = parse(text);
  const sends = lines.filter((l) => l.point === ("api.send" satisfies HopPoint));
  const client = sends[0]?.pid;
  const proposeCounts = new Map<string, number>();
  for (const l of lines) if (l.point === ("propose" satisfies HopPoint)) proposeCounts.set(l.pid, (proposeCounts.get(l.pid) ?? 0) + 1);
  const leader = [...proposeCounts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const samples = new Map<string, number[]>(STEPS.map(([name]) => [name, []]));
  let windows = 0;
  let skipped = 0;
  if (client === undefined || leader === undefined) return { rows: [], windows, skipped: sends.length };

  const starts: number[] = [];
  lines.forEach((l, k) => {
    if (l.pid === client && l.point === "api.send") starts.push(k);
  });
  for (let w = 0; w + 1 < starts.length; w++) {
    const win = lines.slice(starts[w] as number, starts[w + 1] as number);
    const find = (after: number, pred: (l: TraceLine) => boolean): TraceLine | undefined => win.find((l) => l.us >= after && pred(l));
    const at = (pid: string | undefined, point: HopPoint, after: number | undefined): TraceLine | undefined =>
      after === undefined ? undefined : find(after, (l) => (pid === undefined ? l.pid !== client && l.pid !== leader : l.pid === pid) && l.point === point);
    const m: Record<string, number | undefined> = {};
    m.send = win[0]?.us;
    m.clientOut = at(client, "client.out", m.send)?.us;
    m.leaderIn = at(leader, "session.in", m.clientOut)?.us;
    m.propose = at(leader, "propose", m.leaderIn)?.us;
    m.leaderPersistStart = at(leader, "persist.start", m.propose)?.us;
    m.leaderPersistEnd = at(leader, "persist.end", m.leaderPersistStart)?.us;
    m.leaderPeerOut = at(leader, "peer.out", m.propose)?.us;
    const followerIn = at(undefined, "peer.in", m.leaderPeerOut);
    m.followerIn = followerIn?.us;
    const follower = followerIn?.pid;
    m.followerPersistStart = follower === undefined ? undefined : at(follower, "persist.start", m.followerIn)?.us;
    m.followerPersistEnd = follower === undefined ? undefined : at(follower, "persist.end", m.followerPersistStart)?.us;
    m.followerOut = follower === undefined ? undefined : at(follower, "peer.out", m.followerPersistEnd)?.us;
    m.leaderAnswerIn = at(leader, "peer.in", m.followerOut)?.us;
    m.commitReady = m.leaderAnswerIn === undefined || m.leaderPersistEnd === undefined ? undefined : Math.max(m.leaderAnswerIn, m.leaderPersistEnd);
    m.commit = at(leader, "commit", m.commitReady)?.us;
    m.leaderOut = at(leader, "session.out", m.commit)?.us;
    m.clientIn = at(client, "client.in", m.leaderOut)?.us;
    m.done = at(client, "api.done", m.clientIn)?.us;
    if (Object.values(m).some((v) => v === undefined)) {
      skipped++;
      continue;
    }
    windows++;
    for (const [name, , from, to] of STEPS) samples.get(name)?.push((m[to] as number) - (m[from] as number));
  }
  skipped += Math.max(0, sends.length - 1 - windows - skipped);
  const rows = STEPS.map(([step, where, , , critical]) => {
    const v = (samples.get(step) ?? []).sort((a, b) => a - b);
    return { step, where, p50Us: percentile(v, 0.5), p90Us: percentile(v, 0.9), critical };
  });
  return { rows, windows, skipped };
}

/** The table as text lines for the report. */
export function formatHopTable(t: HopTable): string[] {
  if (t.windows === 0) return [`   no complete send found in the trace (${t.skipped} sends left out)`];
  const out = [`   step                                         where       p50 µs    p90 µs`];
  for (const r of t.rows) {
    const mark = r.critical ? " " : "*";
    out.push(`  ${mark}${r.step.padEnd(44)} ${r.where.padEnd(9)} ${r.p50Us.toFixed(0).padStart(8)}  ${r.p90Us.toFixed(0).padStart(8)}`);
  }
  out.push(`   ${t.windows} sends traced, ${t.skipped} left out; * beside the path (the leader writes while the append travels)`);
  return out;
}
