/**
 * The readable report on stdout: a header (machine, versions, cluster), one
 * section per workload with its settings and figures, and the targets.
 */
import type { LatencySummaryMs } from "../histogram.js";
import type { Machine, Versions } from "./environment.js";
import type { TargetCheck } from "./results.js";

/** An integer with thousands separators. */
export function int(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? "-" : Math.round(n).toLocaleString("en-US");
}

/** A number with `digits` decimals. */
export function dec(n: number | null | undefined, digits = 1): string {
  return n === null || n === undefined || !Number.isFinite(n) ? "-" : n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Milliseconds, with more decimals for small values. */
export function ms(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "-";
  return `${dec(n, n < 10 ? 2 : n < 100 ? 1 : 0)} ms`;
}

/** p50 / p99 / p99.9 / max of a latency summary. */
export function percentiles(s: LatencySummaryMs): string {
  return `p50 ${ms(s.p50)}  p99 ${ms(s.p99)}  p99.9 ${ms(s.p999)}  max ${ms(s.max)}  (${int(s.count)} samples)`;
}

/** Bytes as GiB. */
function gib(bytes: number): string {
  return `${dec(bytes / 1024 ** 3, 1)} GiB`;
}

/** The header of the report. */
export function header(m: Machine, v: Versions, preset: string, cluster: string, startedAt: string): string {
  const deps = Object.entries(v.deps)
    .map(([k, x]) => `${k} ${x}`)
    .join(", ");
  return [
    `rlog bench (${preset}), ${startedAt}`,
    `machine: ${m.cpuCount} x ${m.cpuModel}, ${gib(m.memoryBytes)} RAM, ${m.platform}/${m.arch} ${m.kernel}, load average ${m.loadAverage.join(" / ")}`,
    `commit: ${v.commit ?? "unknown (not a git checkout)"}${v.git === undefined ? "" : ` (git describe ${v.git})`}`,
    `versions: node ${v.node}, rlog ${v.rlog}, ${deps}`,
    `cluster: ${cluster}`,
  ].join("\n");
}

/** One workload's section: a title, its settings, and figure rows. */
export function section(title: string, settings: string, rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([k]) => k.length), 0);
  return [`\n== ${title}`, `   ${settings}`, ...rows.map(([k, v]) => `   ${k.padEnd(width)}  ${v}`)].join("\n");
}

/**
 * A rendered section with the commit named on its title line
 * (`== produce throughput  [commit 1a2b3c4]`), so that a section copied out
 * of the report still says what it measured.
 */
export function withCommit(text: string, commit: string | undefined): string {
  return text.replace(/^(\n?== [^\n]*)/, `$1  [commit ${commit ?? "unknown"}]`);
}

/** A section for a workload that did not run. */
export function notRun(title: string, why: { skipped?: string; error?: string }): string {
  return why.error !== undefined ? `\n== ${title}\n   FAILED: ${why.error}` : `\n== ${title}\n   skipped: ${why.skipped ?? "not selected"}`;
}

/** The targets table. */
export function targetsTable(checks: readonly TargetCheck[], targetConfiguration: boolean): string {
  const rows = checks.map((c) => [c.name, c.value === null ? "-" : c.value >= 100 || Number.isInteger(c.value) ? int(c.value) : dec(c.value, 2), c.target, c.met === null ? "n/a" : c.met ? "met" : "MISSED"] as const);
  const titles = ["target", "value", "goal", ""] as const;
  const widths = titles.map((t, k) => Math.max(...rows.map((r) => r[k as 0 | 1 | 2 | 3].length), t.length));
  const line = (r: readonly string[]): string => r.map((c, k) => (k === 1 ? c.padStart(widths[k]!) : c.padEnd(widths[k]!))).join("   ").trimEnd();
  const note = targetConfiguration ? "" : "\n   (this run's configuration differs from the one the targets are stated for: 3 brokers, RF 3, acks all, 1 KiB records, fsync on, default producer settings, random values, no compression)";
  return [`\n== targets (issue 16)${note}`, `   ${line(titles)}`, ...rows.map((r) => `   ${line(r)}`)].join("\n");
}
