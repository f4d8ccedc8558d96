/**
 * Brokers on separate hosts, for real, on one Linux machine: each host is a
 * network namespace with its own address, all plugged into one bridge that
 * lives in a namespace of its own. Nothing is reachable from the root
 * namespace, and the /24 exists only inside the namespaces made here.
 *
 *   rlog-<pid>-br     bridge br0, one port p-<host> per host
 *   rlog-<pid>-<host> lo, and eth0 (veth, peer p-<host> on the bridge) with 10.213.7.(11 + i)/24
 *
 * Taking a host's bridge port down (`cut`) is pulling its cable: packets to
 * and from it are dropped silently, connections hang instead of failing, as
 * in a real partition; `heal` plugs it back in.
 *
 * Everything made here is removed by `destroy()` (also on process exit,
 * SIGINT and SIGTERM, and by `removeStaleNamespaces()` for namespaces whose
 * test process died of SIGKILL).
 * Needs root and iproute2's `ip`; `netnsSkipReason()` says why not when not.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { alive } from "./cluster-harness.js";

const MAIN_JS = fileURLToPath(new URL("../../broker/main.js", import.meta.url));

/** Prefix of every namespace this harness makes: `rlog-<pid>-`. */
export const NAMESPACE_PREFIX = "rlog-";
/** Temporary directories of NetnsCluster: `rlog-netns-<pid>-XXXXXX`, removed with the namespaces when the pid is gone. */
const TEMP_DIR_PREFIX = "rlog-netns-";
/** How long one `ip` command may take. */
const IP_TIMEOUT_MS = 10_000;

/** Runs `ip args...`; throws with its stderr when it fails. */
function ip(args: readonly string[]): string {
  const r = spawnSync("ip", args, { encoding: "utf8", timeout: IP_TIMEOUT_MS });
  if (r.error) throw new Error(`ip ${args.join(" ")}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: exit ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Like ip() but never throws (for cleanup). */
function ipQuiet(args: readonly string[]): void {
  spawnSync("ip", args, { encoding: "utf8", timeout: IP_TIMEOUT_MS });
}

/** Why network namespaces cannot be used here, or undefined when they can (probed by making one). */
export function netnsSkipReason(): string | undefined {
  if (process.platform !== "linux") return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return "creating network namespaces needs root (CI runs as root)";
  const v = spawnSync("ip", ["-V"], { encoding: "utf8", timeout: IP_TIMEOUT_MS });
  if (v.error) return `no usable \`ip\` command (${v.error.message}); install iproute2`;
  const probe = `${NAMESPACE_PREFIX}${process.pid}-probe`;
  const r = spawnSync("ip", ["netns", "add", probe], { encoding: "utf8", timeout: IP_TIMEOUT_MS });
  if (r.status !== 0) return `cannot create a network namespace: ${(r.stderr || String(r.error)).trim()}`;
  ipQuiet(["netns", "del", probe]);
  return undefined;
}

/** SIGKILLs every process still inside a namespace, then deletes it. */
function deleteNamespace(ns: string): void {
  const r = spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8", timeout: IP_TIMEOUT_MS });
  for (const pid of (r.stdout ?? "").split(/\s+/).filter((s) => /^\d+$/.test(s))) {
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      // already gone
    }
  }
  ipQuiet(["netns", "del", ns]);
}

/**
 * Removes the `rlog-<pid>-*` namespaces of test processes that are gone
 * (killed before their cleanup ran), with any process left inside them, and
 * those processes' temporary directories.
 * @returns the names removed
 */
export function removeStaleNamespaces(): string[] {
  const removed: string[] = [];
  for (const line of ip(["netns", "list"]).split("\n")) {
    const name = line.trim().split(/\s+/)[0] ?? "";
    const m = /^rlog-(\d+)-/.exec(name);
    if (m === null || alive(Number(m[1]))) continue;
    deleteNamespace(name);
    removed.push(name);
  }
  // Their configs, data and logs too (a failed run's are kept while its process lives).
  for (const name of readdirSync(tmpdir())) {
    const m = /^rlog-netns-(\d+)-/.exec(name);
    if (m !== null && !alive(Number(m[1]))) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
  return removed;
}

/** One host of the lab. */
interface Host {
  readonly name: string;
  readonly ns: string;
  readonly address: string;
  /** The host's port on the bridge (in the bridge namespace). */
  readonly bridgePort: string;
}

/** What a process run to completion in a namespace did. */
export interface RunResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Namespaces, a bridge and veth pairs; see the file comment. */
export class NetnsLab {
  /** `rlog-<pid>-`: this process's namespaces (and only they) start with it. */
  readonly prefix = `${NAMESPACE_PREFIX}${process.pid}-`;
  readonly bridgeNs = `${this.prefix}br`;
  private readonly hosts = new Map<string, Host>();
  private readonly namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly onExit = (): void => this.destroySync();
  /** Ctrl-C or a runner's SIGTERM would end the process without its "exit" event: clean up, then die of the signal. */
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.destroySync();
    process.kill(process.pid, signal);
  };
  private destroyed = false;

  private constructor(readonly subnet: string) {}

  /**
   * Makes the bridge and one namespace per host name, host i at
   * `<subnet>.(11 + i)`. On failure everything made so far is removed.
   * @param subnet the first three octets of a private /24, e.g. "10.213.7"
   */
  static create(hostNames: readonly string[], subnet = "10.213.7"): NetnsLab {
    const lab = new NetnsLab(subnet);
    process.once("exit", lab.onExit);
    process.once("SIGINT", lab.onSignal);
    process.once("SIGTERM", lab.onSignal);
    try {
      lab.addNamespace(lab.bridgeNs);
      ip(["-n", lab.bridgeNs, "link", "add", "br0", "type", "bridge"]);
      ip(["-n", lab.bridgeNs, "link", "set", "br0", "up"]);
      hostNames.forEach((name, i) => lab.addHost(name, `${subnet}.${11 + i}`));
    } catch (err) {
      lab.destroySync();
      throw err;
    }
    return lab;
  }

  private addNamespace(ns: string): void {
    ip(["netns", "add", ns]);
    this.namespaces.push(ns);
  }

  private addHost(name: string, address: string): void {
    if (!/^[a-z0-9]{1,8}$/.test(name)) throw new Error(`host name ${name}: 1-8 lower-case letters or digits (interface names are short)`);
    const ns = `${this.prefix}${name}`;
    const bridgePort = `p-${name}`;
    this.addNamespace(ns);
    ip(["-n", ns, "link", "set", "lo", "up"]);
    // Both ends are created inside namespaces: no interface ever appears in the root namespace.
    ip(["-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", bridgePort, "netns", this.bridgeNs]);
    ip(["-n", this.bridgeNs, "link", "set", bridgePort, "master", "br0"]);
    ip(["-n", this.bridgeNs, "link", "set", bridgePort, "up"]);
    ip(["-n", ns, "addr", "add", `${address}/24`, "dev", "eth0"]);
    ip(["-n", ns, "link", "set", "eth0", "up"]);
    this.hosts.set(name, { name, ns, address, bridgePort });
  }

  private host(name: string): Host {
    const h = this.hosts.get(name);
    if (h === undefined) throw new Error(`no host ${name} in the lab`);
    return h;
  }

  /** The host's address, e.g. "10.213.7.11". */
  address(name: string): string {
    return this.host(name).address;
  }

  /** The host's namespace name. */
  namespace(name: string): string {
    return this.host(name).ns;
  }

  /**
   * Starts `command args...` inside the host's namespace (`ip netns exec`
   * execs it, so the child is the command itself). Ended by destroy().
   */
  spawn(name: string, command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn("ip", ["netns", "exec", this.host(name).ns, command, ...args], options);
    this.children.add(child);
    child.once("exit", () => this.children.delete(child));
    return child;
  }

  /** Runs `command args...` in the host's namespace to completion (SIGKILL after timeoutMs). */
  run(name: string, command: string, args: readonly string[], opts: { readonly input?: string; readonly timeoutMs?: number; readonly env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
    const child = this.spawn(name, command, args, { stdio: ["pipe", "pipe", "pipe"], ...(opts.env ? { env: opts.env } : {}) });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin!.on("error", () => undefined);
    child.stdin!.end(opts.input ?? "");
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 30_000);
    return new Promise((resolve, reject) => {
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once("close", (status, signal) => {
        clearTimeout(timer);
        resolve({ status, signal, stdout, stderr });
      });
    });
  }

  /** Pulls the host's cable: its bridge port goes down, so nothing reaches it or leaves it. */
  cut(name: string): void {
    ip(["-n", this.bridgeNs, "link", "set", this.host(name).bridgePort, "down"]);
  }

  /** Plugs the host back in. */
  heal(name: string): void {
    ip(["-n", this.bridgeNs, "link", "set", this.host(name).bridgePort, "up"]);
  }

  /** Ends every process started here and removes every namespace (and with them the links and the bridge). */
  async destroy(): Promise<void> {
    const exits = [...this.children].map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(undefined) : c.once("exit", r))));
    for (const c of this.children) c.kill("SIGKILL");
    await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 5_000))]);
    this.destroySync();
  }

  /** destroy() without waiting for exits: for the exit hook and failed set-ups. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    process.removeListener("exit", this.onExit);
    process.removeListener("SIGINT", this.onSignal);
    process.removeListener("SIGTERM", this.onSignal);
    for (const c of this.children) c.kill("SIGKILL");
    // Hosts first, the bridge last; deleteNamespace also kills anything still inside.
    for (const ns of [...this.namespaces].reverse()) deleteNamespace(ns);
  }

  /** Namespaces of this lab that still exist (empty after destroy). */
  remainingNamespaces(): string[] {
    const all = ip(["netns", "list"]).split("\n").map((l) => l.trim().split(/\s+/)[0] ?? "");
    return all.filter((n) => n.startsWith(this.prefix));
  }
}

/** A broker of a NetnsCluster. */
export interface NetnsBroker {
  readonly id: number;
  /** Lab host name: `b<id>`. */
  readonly host: string;
  /** Address it advertises (its host's address). */
  readonly address: string;
  /** Address its listeners bind. */
  readonly bindHost: string;
  readonly configFile: string;
  readonly logFile: string;
  child: ChildProcess | undefined;
}

/** Client and peer ports: the same on every broker, since each has an address of its own. */
export const NETNS_CLIENT_PORT = 9092;
export const NETNS_PEER_PORT = 9192;

/**
 * Brokers b1..bN in a lab, one per host, all on ports 9092/9192 of their own
 * address. Configs, data and logs in a temporary directory.
 */
export class NetnsCluster {
  readonly brokers: NetnsBroker[] = [];

  private constructor(
    readonly lab: NetnsLab,
    readonly dir: string,
  ) {}

  /**
   * Writes the configs and starts every broker (does not wait for them: a
   * readiness check has to come from inside the lab).
   * @param bindHost the address broker `id` binds, e.g. "0.0.0.0" or its own address
   */
  static start(lab: NetnsLab, size: number, bindHost: (id: number, address: string) => string, extra: Record<string, unknown> = {}): NetnsCluster {
    const c = new NetnsCluster(lab, mkdtempSync(join(tmpdir(), `${TEMP_DIR_PREFIX}${process.pid}-`)));
    const endpoints = Array.from({ length: size }, (_, i) => ({
      id: i + 1,
      host: lab.address(`b${i + 1}`),
      clientPort: NETNS_CLIENT_PORT,
      peerPort: NETNS_PEER_PORT,
    }));
    for (const e of endpoints) {
      const configFile = join(c.dir, `broker-${e.id}.json`);
      const bind = bindHost(e.id, e.host);
      writeFileSync(
        configFile,
        JSON.stringify(
          {
            brokerId: e.id,
            host: bind,
            dataDir: join(c.dir, `data-${e.id}`),
            clusterSecret: "test-secret-not-for-production",
            brokers: endpoints,
            logLevel: "info",
            ...extra,
          },
          null,
          2,
        ),
      );
      c.brokers.push({ id: e.id, host: `b${e.id}`, address: e.host, bindHost: bind, configFile, logFile: join(c.dir, `broker-${e.id}.log`), child: undefined });
    }
    for (const b of c.brokers) c.spawn(b);
    return c;
  }

  private spawn(b: NetnsBroker): void {
    const fd = openSync(b.logFile, "a");
    // The broker's RLOG_* environment is cleared so a developer's shell cannot change the test.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("RLOG_")));
    b.child = this.lab.spawn(b.host, process.execPath, [MAIN_JS, "--config", b.configFile], { stdio: ["ignore", fd, fd], env });
    closeSync(fd);
  }

  broker(id: number): NetnsBroker {
    const b = this.brokers.find((x) => x.id === id);
    if (b === undefined) throw new Error(`no broker ${id}`);
    return b;
  }

  /** Every broker's advertised client URL. */
  urls(): string[] {
    return this.brokers.map((b) => `ws://${b.address}:${NETNS_CLIENT_PORT}`);
  }

  /** Whether the broker's process is still running. */
  isRunning(id: number): boolean {
    const child = this.broker(id).child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  logTail(id: number, lines = 30): string {
    try {
      return readFileSync(this.broker(id).logFile, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /** The last lines of every broker's log, for a failure message. */
  logs(lines = 15): string {
    return this.brokers.map((b) => `--- broker ${b.id} (${b.address}, bound to ${b.bindHost}) ---\n${this.logTail(b.id, lines)}`).join("\n");
  }

  /** SIGKILL every broker and remove the directory (the lab's destroy() kills them too). */
  async stopAll(keepDir = false): Promise<void> {
    await Promise.all(
      this.brokers.map(async (b) => {
        const child = b.child;
        if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGKILL");
        await exited;
      }),
    );
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
