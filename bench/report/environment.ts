/** The machine and software versions a run was taken on, for the JSON and the table header. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, freemem, hostname, loadavg, release, totalmem } from "node:os";
import { fileURLToPath } from "node:url";

/** Repository root (dist/bench/report -> ../../..). */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** Dependencies whose versions shape the figures. */
const DEPS = ["ws", "msgpackr", "lmdb", "pino", "hdr-histogram-js"] as const;

/** The machine. */
export interface Machine {
  readonly hostname: string;
  readonly platform: string;
  readonly arch: string;
  readonly kernel: string;
  readonly cpuCount: number;
  readonly cpuModel: string;
  readonly memoryBytes: number;
  readonly freeMemoryBytes: number;
  /** 1, 5 and 15-minute load averages when the run started: above the CPU count means other work was competing. */
  readonly loadAverage: readonly number[];
}

/** Versions. */
export interface Versions {
  readonly node: string;
  readonly rlog: string;
  /** `git describe` of the repository, if it is a git checkout. */
  readonly git: string | undefined;
  /** The commit every figure of the run names: short sha, `-dirty` if tracked files differ from it; undefined outside a git checkout. */
  readonly commit: string | undefined;
  readonly deps: Readonly<Record<string, string>>;
}

function packageVersion(path: string): string {
  try {
    return (JSON.parse(readFileSync(path, "utf8")) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** Describe this machine now. */
export function machine(): Machine {
  const c = cpus();
  return {
    hostname: hostname(),
    platform: process.platform,
    arch: process.arch,
    kernel: release(),
    cpuCount: c.length,
    cpuModel: c[0]?.model.trim() ?? "unknown",
    memoryBytes: totalmem(),
    freeMemoryBytes: freemem(),
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** A git command's output in the repository, or undefined (not a checkout, no git). */
function git(args: readonly string[]): string | undefined {
  try {
    return execFileSync("git", args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5_000 }).trim();
  } catch {
    return undefined;
  }
}

/**
 * The commit of the source tree: short sha, plus `-dirty` when tracked files
 * differ from it (as `git describe --dirty` counts it; untracked files do
 * not). The build in dist/ is assumed to be of this tree.
 */
export function commitOf(): string | undefined {
  const sha = git(["rev-parse", "--short", "HEAD"]);
  if (sha === undefined) return undefined;
  const changed = git(["status", "--porcelain", "--untracked-files=no"]);
  return changed === undefined || changed === "" ? sha : `${sha}-dirty`;
}

/** Versions of node, rlog and its dependencies. */
export function versions(): Versions {
  return {
    node: process.version,
    rlog: packageVersion(`${ROOT}package.json`),
    git: git(["describe", "--always", "--dirty"]), // undefined outside a git checkout (an installed package)
    commit: commitOf(),
    deps: Object.fromEntries(DEPS.map((d) => [d, packageVersion(`${ROOT}node_modules/${d}/package.json`)])),
  };
}
