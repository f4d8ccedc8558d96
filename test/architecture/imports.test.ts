/**
 * Keeps the module boundaries of DESIGN.md and STYLE.md true as the code grows.
 * Reads the TypeScript sources (not dist/) and fails, naming the file, the
 * line and the import, when:
 *
 * - broker/raft/** imports anything outside broker/raft (node:*, lmdb, ws,
 *   pino or any other package) but the defaults leaf broker/protocol/defaults.ts:
 *   the Raft core is pure and deterministic;
 * - broker/protocol/defaults.ts (every default value, written once) imports
 *   anything at all: it is a leaf of plain values that every side may import;
 * - broker/raft/** calls the clock, timers or ambient randomness
 *   (Math.random, Date.now, new Date, setTimeout, setInterval, setImmediate,
 *   performance.now, process.*, globalThis, crypto random);
 * - a client state machine (a file under client/ named *-state.ts: the producer
 *   lane, the group membership) imports anything but broker/protocol/**, client/retry/retry-options.ts
 *   and other client state machines (no node:*, packages, network, cluster,
 *   timers or clock modules), or calls the clock, timers or ambient randomness;
 * - a file outside broker/storage imports lmdb (test/ and bench/ excepted);
 * - client/** imports broker/** other than broker/protocol/** and broker/raft/types.ts;
 * - broker/protocol/** imports lmdb or pino, or broker files other than
 *   broker/raft/types.ts, broker/raft/messages.ts and the pure membership
 *   codec (broker/raft/membership.ts, with broker/raft/quorum.ts);
 * - cli/** imports broker/** other than broker/protocol/**, broker/raft/types.ts
 *   and broker/main.ts (the composition root, to start a broker);
 * - config/** imports anything but node:*, config/** and broker/protocol/defaults.ts
 *   (the CLI loads it cheaply);
 * - cli/main.ts or cli/commands/** statically imports anything heavier than
 *   node:*, yargs and cli/** (import it inside the handler: start-up stays fast);
 * - library code (broker/** but its entry point broker/main.ts, client/**)
 *   calls process.exit: it reports fatal conditions to its owner instead;
 * - the files of broker/, client/ and cli/ import each other in a cycle
 *   (every kind of import counts, type-only ones too: a cycle couples the
 *   files either way, and a value cycle is an initialisation-order trap).
 *
 * Type-only imports count for the boundary rules (they still couple the
 * code), but not for the start-up rule (they vanish at run time).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { builtinModules } from "node:module";
import { posix } from "node:path";
import { packageRoot } from "../../config/index.js";
import { blankSource, findImports, readSources, type FoundImport, type SourceFile } from "./source-scan.js";

/** Where an import leads. */
type Target =
  | { readonly kind: "builtin"; readonly name: string }
  | { readonly kind: "package"; readonly name: string }
  | { readonly kind: "file"; readonly path: string };

/** Resolves a specifier written in `from` (a root-relative path) to what it names. */
function resolveTarget(from: string, specifier: string): Target {
  if (specifier.startsWith("node:")) return { kind: "builtin", name: specifier };
  if (specifier.startsWith(".") || specifier.startsWith("/")) {
    const joined = posix.normalize(posix.join(posix.dirname(from), specifier));
    return { kind: "file", path: joined.replace(/\.js$/, ".ts").replace(/\.mjs$/, ".mts") };
  }
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
  if (builtinModules.includes(name)) return { kind: "builtin", name };
  return { kind: "package", name };
}

/** One broken rule: where, what, and why. */
interface Violation {
  readonly file: string;
  readonly line: number;
  readonly what: string;
  readonly rule: string;
}

const format = (v: Violation): string => `${v.file}:${v.line}: ${v.what}: ${v.rule}`;

const under = (path: string, dir: string): boolean => path.startsWith(dir + "/");

/** A boundary rule: which files it governs and whether one import is allowed. */
interface ImportRule {
  readonly name: string;
  readonly appliesTo: (file: string) => boolean;
  /** Returns why the import is not allowed, or undefined when it is. */
  readonly check: (target: Target, found: FoundImport) => string | undefined;
}

/** The one module holding every default value: imports nothing, so raft and config may import it. */
const DEFAULTS_LEAF = "broker/protocol/defaults.ts";
const CLIENT_MAY_IMPORT = (path: string): boolean => under(path, "broker/protocol") || path === "broker/raft/types.ts";
const PROTOCOL_MAY_IMPORT = new Set(["broker/raft/types.ts", "broker/raft/messages.ts", "broker/raft/membership.ts", "broker/raft/quorum.ts"]);
const CLI_MAY_IMPORT = (path: string): boolean =>
  under(path, "broker/protocol") || path === "broker/raft/types.ts" || path === "broker/main.ts";
const isLmdb = (t: Target): boolean => t.kind === "package" && t.name === "lmdb";
/** A client state machine: decisions only, driven by a shell (client/producer/lane-state.ts, client/consumer/membership-state.ts). */
const isClientStateMachine = (path: string): boolean => under(path, "client") && path.endsWith("-state.ts");
const CLIENT_STATE_MAY_IMPORT = (path: string): boolean =>
  under(path, "broker/protocol") || path === "client/retry/retry-options.ts" || isClientStateMachine(path);

/** The boundary rules, checked against every import of every file they govern. */
export const IMPORT_RULES: readonly ImportRule[] = [
  {
    name: "raft is pure",
    appliesTo: (f) => under(f, "broker/raft"),
    check: (t) =>
      t.kind === "file" && (under(t.path, "broker/raft") || t.path === DEFAULTS_LEAF)
        ? undefined
        : "broker/raft may import only broker/raft files and broker/protocol/defaults.ts (no node:*, lmdb, ws, pino or other packages; I/O lives outside the core)",
  },
  {
    name: "the defaults are a leaf",
    appliesTo: (f) => f === DEFAULTS_LEAF,
    check: () => "broker/protocol/defaults.ts may import nothing: raft, config, client and cli all import it",
  },
  {
    name: "client state machines are pure",
    appliesTo: isClientStateMachine,
    check: (t) =>
      t.kind === "file" && CLIENT_STATE_MAY_IMPORT(t.path)
        ? undefined
        : "a client state machine (*-state.ts) may import only broker/protocol/**, client/retry/retry-options.ts and other client state machines (time, timers, sockets and randomness are handed in by its shell)",
  },
  {
    name: "only storage touches lmdb",
    appliesTo: (f) => !under(f, "broker/storage") && !under(f, "test") && !under(f, "bench"),
    check: (t) => (isLmdb(t) ? "only broker/storage (and tests, bench) may import lmdb" : undefined),
  },
  {
    name: "client sees only the protocol",
    appliesTo: (f) => under(f, "client"),
    check: (t) =>
      t.kind === "file" && under(t.path, "broker") && !CLIENT_MAY_IMPORT(t.path)
        ? "client may import from broker/ only broker/protocol/** and broker/raft/types.ts"
        : undefined,
  },
  {
    name: "protocol stands alone",
    appliesTo: (f) => under(f, "broker/protocol"),
    check: (t) => {
      if (t.kind === "package" && (t.name === "lmdb" || t.name === "pino")) return "broker/protocol may not import lmdb or pino";
      if (t.kind === "file" && !under(t.path, "broker/protocol") && !PROTOCOL_MAY_IMPORT.has(t.path)) {
        return "broker/protocol may import outside itself only broker/raft/types.ts, broker/raft/messages.ts and broker/raft/membership.ts (with quorum.ts)";
      }
      return undefined;
    },
  },
  {
    name: "cli sees only the protocol and the composition root",
    appliesTo: (f) => under(f, "cli"),
    check: (t) =>
      t.kind === "file" && under(t.path, "broker") && !CLI_MAY_IMPORT(t.path)
        ? "cli may import from broker/ only broker/protocol/**, broker/raft/types.ts and broker/main.ts"
        : undefined,
  },
  {
    name: "config uses only Node built-ins",
    appliesTo: (f) => under(f, "config"),
    check: (t) =>
      t.kind === "builtin" || (t.kind === "file" && (under(t.path, "config") || t.path === DEFAULTS_LEAF))
        ? undefined
        : "config may import only node:*, config/** and broker/protocol/defaults.ts (the CLI loads it on every config command)",
  },
  {
    name: "cli start-up stays light",
    appliesTo: (f) => f === "cli/main.ts" || under(f, "cli/commands"),
    check: (t, found) => {
      if (found.kind === "type" || found.kind === "dynamic") return undefined;
      if (t.kind === "builtin" || (t.kind === "package" && t.name === "yargs")) return undefined;
      if (t.kind === "file" && under(t.path, "cli")) return undefined;
      return "cli/main.ts and cli/commands/** may statically import only node:*, yargs and cli/**; import it with `await import()` inside the handler so `rlog-cli --help` stays fast";
    },
  },
];

/** Every violation of the import rules in `files`. */
export function importViolations(files: readonly SourceFile[]): Violation[] {
  const out: Violation[] = [];
  for (const file of files) {
    const rules = IMPORT_RULES.filter((r) => r.appliesTo(file.path));
    if (rules.length === 0) continue;
    for (const found of findImports(file.text)) {
      const target = resolveTarget(file.path, found.specifier);
      for (const rule of rules) {
        const why = rule.check(target, found);
        if (why !== undefined) {
          out.push({ file: file.path, line: found.line, what: `${found.kind === "type" ? "import type" : found.kind === "dynamic" ? "import()" : "imports"} "${found.specifier}"`, rule: why });
        }
      }
    }
  }
  return out;
}

/**
 * The import cycles among `files`: each strongly connected component of the
 * graph of file-to-file imports (any kind) with more than one file, or a file
 * importing itself, as the files of one cycle through it, in import order.
 */
export function importCycles(files: readonly SourceFile[]): string[][] {
  const paths = new Set(files.map((f) => f.path));
  const edges = new Map<string, string[]>();
  for (const f of files) {
    const out: string[] = [];
    for (const found of findImports(f.text)) {
      const t = resolveTarget(f.path, found.specifier);
      if (t.kind === "file" && paths.has(t.path) && !out.includes(t.path)) out.push(t.path);
    }
    edges.set(f.path, out);
  }
  // Tarjan's strongly connected components, iterative (no recursion depth limit).
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let next = 0;
  for (const root of edges.keys()) {
    if (indexOf.has(root)) continue;
    const work: { node: string; edge: number }[] = [{ node: root, edge: 0 }];
    indexOf.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const out = edges.get(top.node) ?? [];
      if (top.edge < out.length) {
        const w = out[top.edge++]!;
        if (!indexOf.has(w)) {
          indexOf.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          work.push({ node: w, edge: 0 });
        } else if (onStack.has(w)) low.set(top.node, Math.min(low.get(top.node)!, indexOf.get(w)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(top.node)!));
      if (low.get(top.node) !== indexOf.get(top.node)) continue;
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== top.node);
      if (component.length > 1 || (edges.get(top.node) ?? []).includes(top.node)) components.push(cycleThrough(component.sort()[0]!, new Set(component), edges));
    }
  }
  return components;
}

/** One cycle from `start` back to it inside `component` (breadth-first: a shortest one), for the failure message. */
function cycleThrough(start: string, component: ReadonlySet<string>, edges: ReadonlyMap<string, readonly string[]>): string[] {
  const from = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of edges.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(from.get(path[0]!)!);
        return path;
      }
      if (!from.has(w)) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...component];
}

/** Calls that read the clock, start timers or draw ambient randomness; not property accesses of the same name. */
const NONDETERMINISM: readonly { readonly pattern: RegExp; readonly name: string }[] = [
  { pattern: /(?<![\w$.])Math\s*\.\s*random\b/g, name: "Math.random" },
  { pattern: /(?<![\w$.])Date\s*\.\s*now\b/g, name: "Date.now" },
  { pattern: /(?<![\w$.])new\s+Date\b/g, name: "new Date" },
  { pattern: /(?<![\w$.])setTimeout\b/g, name: "setTimeout" },
  { pattern: /(?<![\w$.])setInterval\b/g, name: "setInterval" },
  { pattern: /(?<![\w$.])setImmediate\b/g, name: "setImmediate" },
  { pattern: /(?<![\w$.])performance\s*\.\s*now\b/g, name: "performance.now" },
  { pattern: /(?<![\w$.])process\s*\./g, name: "process.*" },
  { pattern: /(?<![\w$.])globalThis\b/g, name: "globalThis" },
  { pattern: /(?<![\w$.])crypto\s*\.\s*(?:getRandomValues|randomUUID|randomBytes|randomInt)\b/g, name: "crypto random" },
];

const RAFT_DETERMINISM = "the Raft core takes time as ticks and randomness from the RandomSource it is handed (DESIGN.md)";
const CLIENT_STATE_DETERMINISM = "a client state machine takes the time with each event and randomness from the source it is handed (its shell owns clocks and timers)";

/**
 * Every use of a nondeterministic API in the governed sources (comments and strings ignored):
 * broker/raft by default.
 */
export function nondeterminismViolations(
  files: readonly SourceFile[],
  appliesTo: (path: string) => boolean = (p) => under(p, "broker/raft"),
  rule: string = RAFT_DETERMINISM,
): Violation[] {
  const out: Violation[] = [];
  for (const file of files) {
    if (!appliesTo(file.path)) continue;
    const code = blankSource(file.text, true);
    for (const { pattern, name } of NONDETERMINISM) {
      for (const m of code.matchAll(pattern)) {
        out.push({
          file: file.path,
          line: code.slice(0, m.index ?? 0).split("\n").length,
          what: `uses ${name}`,
          rule,
        });
      }
    }
  }
  return out;
}

const SOURCE_DIRS = ["broker", "client", "cli", "config", "test", "bench"];
const sources = readSources(packageRoot(), SOURCE_DIRS);

test("the scan sees the source tree", () => {
  assert.ok(sources.some((f) => under(f.path, "broker/raft")), "no broker/raft sources found");
  assert.ok(sources.some((f) => f.path === "cli/main.ts"), "cli/main.ts not found");
  assert.ok(sources.some((f) => f.path === "test/architecture/imports.test.ts"), "the scan should include the tests");
});

test("no import crosses a module boundary", () => {
  const violations = importViolations(sources);
  assert.equal(violations.length, 0, `\n${violations.map(format).join("\n")}`);
});

test("no import cycles in broker/, client/ or cli/", () => {
  const governed = sources.filter((f) => under(f.path, "broker") || under(f.path, "client") || under(f.path, "cli"));
  const cycles = importCycles(governed);
  assert.equal(cycles.length, 0, `\n${cycles.map((c) => [...c, c[0]].join(" -> ")).join("\n")}`);
});

test("only the broker's entry point ends the process", () => {
  const library = (p: string): boolean => (under(p, "broker") && p !== "broker/main.ts") || under(p, "client");
  const found: string[] = [];
  for (const f of sources.filter((x) => library(x.path))) {
    const code = blankSource(f.text, true);
    for (const m of code.matchAll(/(?<![\w$.])process\s*\.\s*(exit|abort)\b/g)) found.push(`${f.path}:${code.slice(0, m.index ?? 0).split("\n").length}: process.${m[1]}`);
  }
  assert.deepEqual(found, [], "report fatal conditions to the owner (an onFatal callback); broker/main.ts logs and exits");
});

test("an import cycle is found, type-only imports included, and reported as a path", () => {
  const files = [
    fake("broker/a.ts", 'import { b } from "./b.js";\nimport { d } from "./d.js";\n'),
    fake("broker/b.ts", 'import type { C } from "./sub/c.js";\n'),
    fake("broker/sub/c.ts", 'export { a } from "../a.js";\n'),
    fake("broker/d.ts", 'import { x } from "node:fs";\nimport { e } from "./e.js";\n'),
    fake("broker/e.ts", "export const e = 1;\n"),
    fake("broker/f.ts", 'import { f } from "./f.js";\n'),
  ];
  assert.deepEqual(importCycles(files), [["broker/a.ts", "broker/b.ts", "broker/sub/c.ts"], ["broker/f.ts"]]);
  assert.deepEqual(importCycles(files.filter((f) => f.path !== "broker/sub/c.ts" && f.path !== "broker/f.ts")), []);
});

test("the Raft core uses no clock, timer or ambient randomness", () => {
  const violations = nondeterminismViolations(sources);
  assert.equal(violations.length, 0, `\n${violations.map(format).join("\n")}`);
});

test("the client state machines use no clock, timer or ambient randomness", () => {
  assert.ok(sources.filter((f) => isClientStateMachine(f.path)).length >= 2, "client/producer/lane-state.ts and client/consumer/membership-state.ts should be found");
  const violations = nondeterminismViolations(sources, isClientStateMachine, CLIENT_STATE_DETERMINISM);
  assert.equal(violations.length, 0, `\n${violations.map(format).join("\n")}`);
});

// The checks themselves, on made-up files: each rule must catch what it is for.

test("a client state machine may not import I/O, clocks or timers, nor call them", () => {
  const files = [
    fake(
      "client/producer/lane-state.ts",
      'import { ErrorCode } from "../../broker/protocol/errors.js";\nimport { backoffMs } from "../retry/retry-options.js";\nimport { sleep } from "../util/sleep.js";\nimport type { Clock } from "../util/clock.js";\nimport { Cluster } from "../cluster/cluster.js";\nimport { setTimeout as wait } from "node:timers/promises";\nimport { x } from "../consumer/membership-state.js";\n',
    ),
    fake("client/producer/partition-lane.ts", 'import { sleep } from "../util/sleep.js";\nsetTimeout(f, 1);\n'),
  ];
  assert.deepEqual(importViolations(files).map((v) => `${v.file}:${v.line}: ${v.what}`), [
    'client/producer/lane-state.ts:3: imports "../util/sleep.js"',
    'client/producer/lane-state.ts:4: import type "../util/clock.js"',
    'client/producer/lane-state.ts:5: imports "../cluster/cluster.js"',
    'client/producer/lane-state.ts:6: imports "node:timers/promises"',
  ]);
  const calls = nondeterminismViolations(
    [fake("client/consumer/membership-state.ts", "const t = performance.now();\nconst r = Math.random();\n// setTimeout in a comment\n"), files[1] as SourceFile],
    isClientStateMachine,
    CLIENT_STATE_DETERMINISM,
  );
  assert.deepEqual(calls.map((v) => `${v.file}:${v.line}: ${v.what}`).sort(), ["client/consumer/membership-state.ts:1: uses performance.now", "client/consumer/membership-state.ts:2: uses Math.random"]);
});

const fake = (path: string, text: string): SourceFile => ({ path, text });

test("each boundary rule reports the file, the line and the import", () => {
  const files = [
    fake("broker/raft/core.ts", 'import { x } from "./types.js";\nimport { readFileSync } from "node:fs";\n'),
    fake("broker/raft/log.ts", 'import type { Db } from "lmdb";\nimport { y } from "../storage/log.js";\nimport pino from "pino";\nimport "ws";\n'),
    fake("broker/server/session.ts", 'import { open } from "lmdb";\n'),
    fake("test/storage/log.test.ts", 'import { open } from "lmdb";\n'),
    fake("bench/storage.ts", 'import { open } from "lmdb";\n'),
    fake("client/producer.ts", 'import { a } from "../broker/protocol/frames.js";\nimport { b } from "../broker/raft/types.js";\nimport { c } from "../broker/raft/core.js";\n'),
    fake("broker/protocol/frames.ts", 'import { a } from "../raft/messages.js";\nimport { b } from "../group/runner.js";\nimport { pack } from "msgpackr";\nimport pino from "pino";\n'),
    fake("cli/commands/broker.ts", 'export const x = 1;\nconst run = async () => { await import("../../broker/main.js"); await import("../../broker/cluster/controller.js"); };\n'),
    fake("cli/commands/topic.ts", 'import type { Admin } from "../../client/admin.js";\nimport { Admin as A } from "../../client/admin.js";\nimport yargs from "yargs";\n'),
    fake("config/load.ts", 'import { readFileSync } from "node:fs";\nimport { x } from "../broker/raft/types.js";\nimport { y } from "../broker/protocol/defaults.js";\n'),
    fake("broker/raft/memory-storage.ts", 'import { x } from "../protocol/defaults.js";\nimport { y } from "../protocol/limits.js";\n'),
    fake("broker/protocol/defaults.ts", 'import { x } from "./limits.js";\n'),
  ];
  assert.deepEqual(importViolations(files).map((v) => `${v.file}:${v.line}: ${v.what}`), [
    'broker/raft/core.ts:2: imports "node:fs"',
    'broker/raft/log.ts:1: import type "lmdb"',
    'broker/raft/log.ts:1: import type "lmdb"',
    'broker/raft/log.ts:2: imports "../storage/log.js"',
    'broker/raft/log.ts:3: imports "pino"',
    'broker/raft/log.ts:4: imports "ws"',
    'broker/server/session.ts:1: imports "lmdb"',
    'client/producer.ts:3: imports "../broker/raft/core.js"',
    'broker/protocol/frames.ts:2: imports "../group/runner.js"',
    'broker/protocol/frames.ts:4: imports "pino"',
    'cli/commands/broker.ts:2: import() "../../broker/cluster/controller.js"',
    'cli/commands/topic.ts:2: imports "../../client/admin.js"',
    'config/load.ts:2: imports "../broker/raft/types.js"',
    'broker/raft/memory-storage.ts:2: imports "../protocol/limits.js"',
    'broker/protocol/defaults.ts:1: imports "./limits.js"',
  ]);
  const [first] = importViolations(files);
  assert.ok(first !== undefined);
  assert.match(format(first), /^broker\/raft\/core\.ts:2: imports "node:fs": broker\/raft may import only broker\/raft files/);
});

test("nondeterministic calls in broker/raft are found; comments, strings and look-alikes are not", () => {
  const text = [
    "// never Math.random() or Date.now() here",
    "/* setTimeout(f, 10) */",
    'const s = "setInterval performance.now()";',
    "const re = /Date.now/;",
    "const t = `Math.random ${x}`;",
    "const ok = this.setTimeout + obj.Date.now + resetTimeout;",
    "const a = Math.random();",
    "const b = Date . now();",
    "setTimeout(() => tick(), 10);",
    "const c = new Date();",
    "const d = performance.now();",
    "const e = process.env.X;",
    "const f = `${setInterval(g, 1)}`;",
  ].join("\n");
  const found = nondeterminismViolations([fake("broker/raft/core.ts", text), fake("broker/group/runner.ts", "setTimeout(f, 1);")]);
  assert.deepEqual(found.map((v) => `${v.line}: ${v.what}`).sort(), [
    "10: uses new Date",
    "11: uses performance.now",
    "12: uses process.*",
    "13: uses setInterval",
    "7: uses Math.random",
    "8: uses Date.now",
    "9: uses setTimeout",
  ]);
});

test("imports are found in every form, and not in comments or strings", () => {
  const text = [
    'import a from "a";',
    'import {',
    '  b,',
    '  type C,',
    '} from "b";',
    'import type { D } from "d";',
    'import "side-effect";',
    'export * from "./e.js";',
    'export { f } from "./f.js";',
    'export type { G } from "./g.js";',
    'const h = await import("h");',
    'const i = require("i");',
    '// import x from "commented";',
    '/* import("commented-too") */',
    'const s = "import y from \'in-a-string\'";',
    'const t = "await import(\'also-a-string\')";',
    'export const from = "not-an-import";',
  ].join("\n");
  assert.deepEqual(
    findImports(text).map((f) => `${f.line} ${f.kind} ${f.specifier}`),
    ["1 static a", "2 static b", "6 type d", "7 static side-effect", "8 static ./e.js", "9 static ./f.js", "10 type ./g.js", "11 dynamic h", "12 require i"],
  );
});
