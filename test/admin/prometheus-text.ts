/**
 * A small, strict parser of the Prometheus text exposition format (0.0.4),
 * for tests of /metrics: every line is a `# HELP`, a `# TYPE` or a sample
 * `name{label="value",...} value`; a sample's family must have been declared
 * by TYPE before it; histogram families are checked for consistency
 * (cumulative buckets that never decrease, a `+Inf` bucket equal to
 * `_count`, a `_sum`). Anything else throws, naming the line.
 */

/** One sample line. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A metric family: its TYPE, HELP and samples. */
export interface Family {
  readonly name: string;
  readonly type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help: string;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/** Parse exposition text into families by name; throws on any malformed line or inconsistent histogram. */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const lines = text.split("\n");
  if (lines[lines.length - 1] !== "") throw new Error("exposition text must end with a newline");
  lines.forEach((line, i) => {
    const at = `line ${i + 1} (${JSON.stringify(line.slice(0, 120))})`;
    if (line === "") return;
    if (line.startsWith("# HELP ")) {
      const [name, ...rest] = line.slice(7).split(" ");
      if (name === undefined || !NAME.test(name)) throw new Error(`${at}: bad HELP name`);
      const f = families.get(name);
      if (f !== undefined) f.help = rest.join(" ");
      else families.set(name, { name, type: "untyped", help: rest.join(" "), samples: [] });
      return;
    }
    if (line.startsWith("# TYPE ")) {
      const [name, type, extra] = line.slice(7).split(" ");
      if (name === undefined || !NAME.test(name) || type === undefined || !TYPES.has(type) || extra !== undefined) throw new Error(`${at}: bad TYPE line`);
      const f = families.get(name);
      if (f !== undefined && f.samples.length > 0) throw new Error(`${at}: TYPE after samples of ${name}`);
      families.set(name, { name, type: type as Family["type"], help: f?.help ?? "", samples: [] });
      return;
    }
    if (line.startsWith("#")) return; // other comments are allowed
    const sample = parseSample(line, at);
    const family = familyOf(families, sample.name);
    if (family === undefined) throw new Error(`${at}: sample of ${sample.name} before its TYPE`);
    family.samples.push(sample);
  });
  for (const f of families.values()) if (f.type === "histogram") checkHistogram(f);
  return families;
}

function parseSample(line: string, at: string): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
  if (m === null) throw new Error(`${at}: not a sample line`);
  const labels: Record<string, string> = {};
  const body = m[3] ?? "";
  let rest = body;
  while (rest.length > 0) {
    const l = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/.exec(rest);
    if (l === null) throw new Error(`${at}: bad labels`);
    if (l[1]! in labels) throw new Error(`${at}: label ${l[1]} twice`);
    labels[l[1]!] = l[2]!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
    rest = rest.slice(l[0].length);
  }
  const raw = m[4]!;
  // Special values as Prometheus reads them (Go's ParseFloat: case ignored; prom-client writes "Nan" for a gauge with no sample yet).
  const special = /^(?:([+-]?)(?:inf|infinity)|(nan))$/i.exec(raw);
  const value = special === null ? Number(raw) : special[2] !== undefined ? NaN : special[1] === "-" ? -Infinity : Infinity;
  if (special === null && (raw.trim() === "" || Number.isNaN(value))) throw new Error(`${at}: bad value`);
  return { name: m[1]!, labels, value };
}

/** The family a sample belongs to: its own name, or a histogram/summary's base name. */
function familyOf(families: Map<string, Family>, name: string): Family | undefined {
  const own = families.get(name);
  if (own !== undefined && own.type !== "untyped") return own;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!name.endsWith(suffix)) continue;
    const f = families.get(name.slice(0, -suffix.length));
    if (f !== undefined && (f.type === "histogram" || (f.type === "summary" && suffix !== "_bucket"))) return f;
  }
  return own;
}

function checkHistogram(f: Family): void {
  // Group by the labels other than le.
  const series = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`);
      entry.buckets.push([le === "+Inf" ? Infinity : Number(le), s.value]);
    } else if (s.name === `${f.name}_sum`) entry.sum = s.value;
    else if (s.name === `${f.name}_count`) entry.count = s.value;
    else throw new Error(`${f.name}: unexpected sample ${s.name}`);
  }
  for (const [key, e] of series) {
    if (e.sum === undefined || e.count === undefined) throw new Error(`${f.name}${key}: no _sum or _count`);
    const last = e.buckets[e.buckets.length - 1];
    if (last === undefined || last[0] !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket last`);
    for (let i = 1; i < e.buckets.length; i++) {
      if (e.buckets[i]![0] <= e.buckets[i - 1]![0]) throw new Error(`${f.name}${key}: bucket bounds not increasing`);
      if (e.buckets[i]![1] < e.buckets[i - 1]![1]) throw new Error(`${f.name}${key}: bucket counts decrease`);
    }
    if (last[1] !== e.count) throw new Error(`${f.name}${key}: +Inf bucket ${last[1]} differs from _count ${e.count}`);
    if (e.count > 0 && !(e.sum >= 0)) throw new Error(`${f.name}${key}: negative _sum`);
  }
}

/** The value of the one sample `name` with these labels (exact), or undefined. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      if (Object.keys(s.labels).length !== Object.keys(labels).length) continue;
      if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return undefined;
}
