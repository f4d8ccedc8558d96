/**
 * The embedded default: a local cluster of broker processes, logs from all
 * of them on stdout prefixed by broker id, and Ctrl-C stopping all of them
 * cleanly. The brokers come either from a count (`--brokers N`: configs made
 * by local-cluster-config.ts, written to `<dataRoot>/local-cluster/` and
 * data under `<dataRoot>/broker-i`) or from a directory of broker-N.json
 * configs (`--config-dir`). Either way, a data root that holds another set
 * of brokers' data is refused (local-cluster-data.ts).
 *
 * Each local cluster gets its own random cluster secret on its first start
 * (local-cluster-secret.ts), handed to the brokers as RLOG_CLUSTER_SECRET
 * unless the environment or the configs set one. With `secure` (--secure),
 * a generated cluster also gets its own CA and certificates
 * (local-cluster-tls.ts), an admin super user with a random password
 * (local-cluster-admin.ts), runs with TLS (client certificates optional),
 * SCRAM logins and ACLs on, and leaves `<dataRoot>/client.env` for its
 * clients (client-env.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { wsUrl } from "../broker/protocol/endpoint-url.js";
import { brokerNodeFlags, type BrokerGc } from "../config/node-flags.js";
import { CliError } from "./errors.js";
import { formatLocalConfig, LOCAL_DATA_ROOT_DEFAULT, localClusterConfigs } from "./local-cluster-config.js";
import { checkDataRoot, LOCAL_CLUSTER_SUBDIR, recordDataRoot, standardDataRoot } from "./local-cluster-data.js";
import { localClusterSecret } from "./local-cluster-secret.js";
import { localClusterTls, type LocalClusterTls } from "./local-cluster-tls.js";
import { localAdmin, type LocalAdmin } from "./local-cluster-admin.js";
import { CLIENT_ENV_FILE, writeClientEnv } from "./client-env.js";

/** Which brokers to run: a generated cluster of `brokers` brokers, or the configs in `configDir`. */
export type LocalClusterSource =
  | {
      readonly kind: "generated";
      readonly brokers: number;
      /** As the user gave it, e.g. "./data". */
      readonly dataRoot: string;
      /** TLS on, with certificates made under `<dataRoot>/tls` (start-local --secure). */
      readonly secure?: boolean;
    }
  | { readonly kind: "configDir"; /** Directory holding broker-*.json configs. */ readonly configDir: string };

export interface LocalClusterOptions {
  readonly source: LocalClusterSource;
  /** Print pino JSON lines as they are instead of a compact human form. */
  readonly rawLogs: boolean;
  /** The brokers' garbage collector (config/node-flags.ts). */
  readonly gc: BrokerGc;
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

/** What prepareLocalCluster hands to runLocalCluster. */
export interface PreparedLocalCluster {
  /** The config file of each broker, in id order. */
  readonly files: string[];
  /** Variables to add to the brokers' environment (RLOG_CLUSTER_SECRET when start-local provides it). */
  readonly env: Readonly<Record<string, string>>;
  /** The data root of the standard layout (absolute), when there is one. */
  readonly root: string | undefined;
  /** The certificates of a secure generated cluster. */
  readonly tls: LocalClusterTls | undefined;
  /** The admin user of a secure generated cluster. */
  readonly admin: LocalAdmin | undefined;
}

/** Stands in for the cluster secret while configs are read for their layout only; never handed to a broker. */
const LAYOUT_ONLY_SECRET = "layout-only-placeholder-secret";

/**
 * The brokers' environment: this process's, plus `extra`, without a client's
 * RLOG_BROKERS. A shell that loaded a client.env holds RLOG_BROKERS as a list
 * of ws:// URLs, which the broker config would read as its `brokers` key and
 * refuse; a broker list is never written that way.
 */
function brokerEnvironment(extra: Readonly<Record<string, string>> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, ...extra };
  if (/^\s*wss?:\/\//.test(env["RLOG_BROKERS"] ?? "")) delete env["RLOG_BROKERS"];
  return env;
}

/** Whether a JSON config file sets clusterSecret itself. */
function setsClusterSecret(file: string): boolean {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    return typeof parsed === "object" && parsed !== null && "clusterSecret" in parsed;
  } catch {
    return false; // loadConfig reports the file's problem
  }
}

/**
 * The config files to start, after checking that their data root holds no
 * other brokers' data and that their ports are free. For a generated
 * cluster they are written (with absolute data paths) to
 * `<dataRoot>/local-cluster/broker-i.json`, so one broker can also be run
 * by hand: `rlog-cli broker start --config ...`.
 * @param checkPorts whether to check that the listener ports are free (tests turn it off)
 * @throws CliError DATA_DIR_MISMATCH, EADDRINUSE, or INVALID_CONFIG when a config directory holds no configs
 */
export async function prepareLocalCluster(source: LocalClusterSource, cwd: string = process.cwd(), checkPorts = true): Promise<PreparedLocalCluster> {
  const { loadConfig } = await import("../config/index.js");
  let files: string[];
  let root: string | undefined;
  let unrecorded: boolean;
  let tls: LocalClusterTls | undefined;
  let admin: LocalAdmin | undefined;
  if (source.kind === "generated") {
    root = resolve(cwd, source.dataRoot);
    const generated = localClusterConfigs(source.brokers, root);
    unrecorded = checkDataRoot(
      root,
      generated.map((c) => c.brokerId),
      source.dataRoot,
      (recorded) =>
        `start it with --brokers ${recorded.length}${source.dataRoot === LOCAL_DATA_ROOT_DEFAULT ? "" : ` --data-dir ${source.dataRoot}`}, ` +
        `or give another --data-dir, or delete ${source.dataRoot} to start over (its topics and records are lost)`,
    );
    const ids = generated.map((c) => c.brokerId);
    tls = source.secure === true ? await localClusterTls(root, ids) : undefined;
    admin = source.secure === true ? await localAdmin(root) : undefined;
    const secure = tls === undefined || admin === undefined ? undefined : { tls, usersFile: admin.usersFile, superUser: `User:${admin.username}` };
    const dir = join(root, LOCAL_CLUSTER_SUBDIR);
    mkdirSync(dir, { recursive: true });
    files = localClusterConfigs(source.brokers, root, secure).map((c) => {
      const file = join(dir, `broker-${c.brokerId}.json`);
      writeFileSync(file, formatLocalConfig(c));
      return file;
    });
  } else {
    const dir = resolve(cwd, source.configDir);
    files = readdirSync(dir)
      .filter((f) => /^broker-\d+\.json$/.test(f))
      .sort()
      .map((f) => join(dir, f));
    if (files.length === 0) throw new CliError("INVALID_CONFIG", `no broker-N.json configs in ${dir}`);
    // Read for their ids and data directories only (the secret, when start-local provides it, depends on the root).
    const layoutEnv = { RLOG_CLUSTER_SECRET: LAYOUT_ONLY_SECRET, ...brokerEnvironment() };
    const configs = files.map((file) => loadConfig({ file, env: layoutEnv }));
    root = standardDataRoot(configs, cwd);
    const shown = root;
    unrecorded =
      shown !== undefined &&
      checkDataRoot(
        shown,
        configs.map((c) => c.brokerId),
        shown,
        () => `start the configs of those brokers, or point these configs' dataDir elsewhere, or delete ${shown} to start over (its topics and records are lost)`,
      );
  }
  // The cluster's own secret, unless the environment or every config brings one.
  const provide = root !== undefined && process.env["RLOG_CLUSTER_SECRET"] === undefined && !files.every(setsClusterSecret);
  const env: Record<string, string> = provide ? { RLOG_CLUSTER_SECRET: localClusterSecret(root as string) } : {};
  // As each broker will load them (RLOG_* variables apply, ports included).
  const configs = files.map((file) => loadConfig({ file, env: brokerEnvironment(env) }));
  if (checkPorts) await checkPortsFree(configs);
  if (root !== undefined && unrecorded) recordDataRoot(root, configs.map((c) => c.brokerId));
  return { files, env, root, tls, admin };
}

/** Resolves with the error of binding host:port, or undefined when the port is free there. */
function bindError(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((done) => {
    const srv = createServer();
    srv.once("error", (err: NodeJS.ErrnoException) => done(err));
    srv.listen(port, host, () => srv.close(() => done(undefined)));
  });
}

/**
 * Checks that every listener port is free before any broker starts. Without
 * it, when another local cluster holds some of the ports, the brokers that
 * can bind would start and try to dial the other cluster's brokers (refused:
 * each local cluster has its own secret), and the rest would fail one by one.
 * @throws CliError EADDRINUSE (or the bind error's code), naming the port and its broker
 */
export async function checkPortsFree(configs: readonly { readonly brokerId: number; readonly host: string; readonly clientPort: number; readonly peerPort: number; readonly adminPort?: number; readonly kafkaPort?: number }[]): Promise<void> {
  for (const c of configs) {
    const ports: [string, number][] = [["client", c.clientPort], ["peer", c.peerPort]];
    if (c.adminPort !== undefined && c.adminPort > 0) ports.push(["admin", c.adminPort]);
    if (c.kafkaPort !== undefined && c.kafkaPort > 0) ports.push(["kafka", c.kafkaPort]);
    for (const [what, port] of ports) {
      const err = await bindError(c.host, port);
      if (err === undefined) continue;
      const code = typeof err.code === "string" ? err.code : "EADDRINUSE";
      const why = code === "EADDRINUSE" ? "is in use (is another local cluster or broker running? stop it first)" : `cannot be bound: ${err.message}`;
      throw new CliError(code, `port ${port} on ${c.host} (${what} port of broker ${c.brokerId}) ${why}`);
    }
  }
}

/**
 * How to connect, printed at start. A secure cluster writes
 * `<dataRoot>/client.env` first: the wss:// URLs, the CA, and the admin's
 * login (the password is not printed).
 */
function connectHint(urls: string, prepared: PreparedLocalCluster): string {
  if (prepared.tls === undefined || prepared.root === undefined) {
    // A client.env of an earlier --secure run would send clients to wss:// URLs that are now ws://.
    if (prepared.root !== undefined) rmSync(join(prepared.root, CLIENT_ENV_FILE), { force: true });
    return `  e.g. RLOG_BROKERS=${urls} npx rlog-cli cluster status\n`;
  }
  const variables: Record<string, string> = {
    RLOG_BROKERS: urls,
    RLOG_TLS_CA: prepared.tls.caFile,
    ...(prepared.admin === undefined ? {} : { RLOG_USERNAME: prepared.admin.username, RLOG_PASSWORD: prepared.admin.password }),
  };
  const file = writeClientEnv(prepared.root, variables, "Written by rlog-cli cluster start-local --secure: how clients reach this cluster.");
  return (
    `TLS, SCRAM logins and ACLs are on (CA ${prepared.tls.caFile}). The super user ${prepared.admin === undefined ? "" : `${prepared.admin.username} `}logs in with the password in ${file},\n` +
    `  or with the client certificate ${prepared.tls.admin.certFile}; create users with rlog-cli user create, and ACLs with rlog-cli acl add.\n` +
    `  connect with: set -a; . ${file}; set +a; npx rlog-cli cluster status\n`
  );
}

/** Where Kafka clients connect (docs/KAFKA.md), when the brokers have Kafka listeners. */
function kafkaHint(configs: readonly { readonly host: string; readonly kafkaPort: number; readonly brokerId: number; readonly brokers: readonly { readonly id: number; readonly host: string }[] }[]): string {
  const servers = configs.filter((c) => c.kafkaPort > 0).map((c) => `${c.brokers.find((b) => b.id === c.brokerId)?.host ?? c.host}:${c.kafkaPort}`);
  return servers.length === 0 ? "" : `Kafka clients (kafkajs, librdkafka, kcat) connect to ${servers.join(",")}, e.g. kcat -b ${servers[0]} -L\n`;
}

/** Run the cluster until Ctrl-C (or SIGTERM); resolves with the exit code to use. */
export async function runLocalCluster(opts: LocalClusterOptions): Promise<number> {
  const { loadConfig } = await import("../config/index.js");
  const prepared = await prepareLocalCluster(opts.source);
  const brokerEnv = brokerEnvironment(prepared.env);
  // Loaded here as each broker will load it (RLOG_* variables apply), to print where clients connect.
  const configs = prepared.files.map((file) => ({ file, config: loadConfig({ file, env: brokerEnv }) }));
  const mainJs = fileURLToPath(new URL("../broker/main.js", import.meta.url));
  const nodeFlags = brokerNodeFlags(opts.gc, configs.length, availableParallelism());
  const children: { id: number; child: ChildProcess }[] = [];
  let stopping = false;
  let failed = false;

  for (const { file, config } of configs) {
    // Own process group: a terminal's Ctrl-C reaches only this launcher, which stops the brokers itself.
    const child = spawn(process.execPath, [...nodeFlags, mainJs, "--config", file], { stdio: ["ignore", "pipe", "pipe"], detached: true, env: brokerEnv });
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
  // The advertised addresses (each broker's own `brokers` entry), not the bind address: that may be 0.0.0.0.
  const urls = configs
    .map(({ config }) => config.brokers.find((b) => b.id === config.brokerId) ?? config)
    .map((b, i) => wsUrl(b.host, b.clientPort, configs[i]?.config.tls.certFile !== null))
    .join(",");
  process.stdout.write(
    `rlog local cluster: ${configs.length} broker${configs.length === 1 ? "" : "s"}, data under ${configs.map((c) => c.config.dataDir).join(", ")}` +
      `${nodeFlags.length > 0 ? `, node ${nodeFlags.join(" ")} (--gc)` : ""}\n` +
      `clients connect to ${urls}\n` +
      connectHint(urls, prepared) +
      kafkaHint(configs.map(({ config }) => config)) +
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
