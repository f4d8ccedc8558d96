/**
 * The embedded default: a local cluster of broker processes started from a
 * directory of broker configs (config/cluster-3 by default), with data under
 * each config's dataDir (./data/broker-N), logs from all of them on stdout
 * prefixed by broker id, and Ctrl-C stopping all of them cleanly.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export interface LocalClusterOptions {
  /** Directory holding broker-*.json configs. */
  readonly configDir: string;
  /** Print pino JSON lines as they are instead of a compact human form. */
  readonly rawLogs: boolean;
}

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
const SKIP = new Set(["level", "time", "pid", "hostname", "msg", "broker"]);

/** One pino JSON line as `HH:MM:SS.mmm LEVEL msg key=value ...`; other lines unchanged. */
export function formatLogLine(line: string): string {
  if (!line.startsWith("{")) return line;
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    const t = typeof o.time === "number" ? new Date(o.time).toISOString().slice(11, 23) : "";
    const fields = Object.entries(o)
      .filter(([k]) => !SKIP.has(k))
      .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
      .join(" ");
    return `${t} ${LEVELS[o.level as number] ?? o.level} ${String(o.msg ?? "")}${fields ? " " + fields : ""}`;
  } catch {
    return line;
  }
}

/** Run the cluster until Ctrl-C (or SIGTERM); resolves with the exit code to use. */
export async function runLocalCluster(opts: LocalClusterOptions): Promise<number> {
  const { loadConfig } = await import("../config/index.js");
  const dir = resolve(opts.configDir);
  const files = readdirSync(dir)
    .filter((f) => /^broker-\d+\.json$/.test(f))
    .sort();
  if (files.length === 0) throw new Error(`no broker-N.json configs in ${dir}`);
  const configs = files.map((f) => ({ file: join(dir, f), config: loadConfig({ file: join(dir, f) }) }));
  const mainJs = fileURLToPath(new URL("../broker/main.js", import.meta.url));
  const children: { id: number; child: ChildProcess }[] = [];
  let stopping = false;
  let failed = false;

  for (const { file, config } of configs) {
    // Own process group: a terminal's Ctrl-C reaches only this launcher, which stops the brokers itself.
    const child = spawn(process.execPath, [mainJs, "--config", file], { stdio: ["ignore", "pipe", "pipe"], detached: true });
    const prefix = `[broker-${config.brokerId}] `;
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on("line", (line) => {
        process.stdout.write(prefix + (opts.rawLogs ? line : formatLogLine(line)) + "\n");
      });
    }
    child.on("exit", (code, signal) => {
      process.stdout.write(`${prefix}exited (${signal ?? `code ${code}`})\n`);
      if (!stopping && code !== 0) failed = true;
    });
    children.push({ id: config.brokerId, child });
  }
  const urls = configs.map(({ config }) => `ws://${config.host}:${config.clientPort}`).join(",");
  process.stdout.write(
    `rlog local cluster: ${configs.length} brokers, data under ${configs.map((c) => c.config.dataDir).join(", ")}\n` +
      `clients connect to ${urls}\n` +
      `  e.g. RLOG_BROKERS=${urls} npx rlog-cli cluster status\n` +
      `Ctrl-C stops all brokers.\n`,
  );

  await new Promise<void>((done) => {
    let remaining = children.length;
    for (const { child } of children) child.on("exit", () => --remaining === 0 && done());
    const stop = (): void => {
      if (stopping) {
        for (const { child } of children) child.kill("SIGKILL");
        return;
      }
      stopping = true;
      process.stdout.write("stopping all brokers, one at a time (Ctrl-C again to kill them)\n");
      // One at a time: each hands its leaderships to brokers that are still running.
      void (async () => {
        for (const { child } of children) {
          if (child.exitCode !== null || child.signalCode !== null) continue;
          const exited = new Promise((r) => child.once("exit", r));
          child.kill("SIGTERM");
          await exited;
        }
      })();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    // Never leave brokers behind if the launcher itself goes away.
    process.on("exit", () => {
      for (const { child } of children) if (child.exitCode === null) child.kill("SIGKILL");
    });
  });
  return failed ? 1 : 0;
}
