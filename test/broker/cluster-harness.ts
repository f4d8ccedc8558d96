/**
 * Real broker processes for multi-process tests: configs in a temporary
 * directory, free ports on 127.0.0.1, logs to files, SIGKILL / SIGTERM /
 * restart, and `stopAll()` that ends every process it started.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, closeSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { wsUrl } from "../../broker/protocol/endpoint-url.js";
import { WireClient, type WireClientTls, type WireLogin } from "./wire-client.js";

const MAIN_JS = fileURLToPath(new URL("../../broker/main.js", import.meta.url));

/** A free TCP port on 127.0.0.1 (bound and released; fine for tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/** First port of the blocks handed to test processes: below Linux's ephemeral range (32768+). */
const TEST_PORT_BASE = 10_000;
/** Ports per test process: each process reserves a block of its own (reserveBlock). */
const TEST_PORT_BLOCK = 100;
const TEST_PORT_BLOCKS = 200;
/** Where blocks are reserved: one lock file per block, holding the owner's pid. */
const PORT_LOCK_DIR = join(tmpdir(), "rlog-test-port-blocks");
let nextPortInBlock = 0;
let reservedBlock: number | undefined;

/** Whether process `pid` is running. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * This process's port block, reserved once with an exclusive lock file (a
 * lock of a dead process is taken over). Picking blocks by pid alone let two
 * concurrent test processes share one: a broker killed by one had its ports
 * taken by the other's brokers before its restart (seen in a 10-minute chaos run).
 */
function reserveBlock(): number {
  if (reservedBlock !== undefined) return reservedBlock;
  mkdirSync(PORT_LOCK_DIR, { recursive: true });
  const first = process.pid % TEST_PORT_BLOCKS;
  for (let i = 0; i < TEST_PORT_BLOCKS; i++) {
    const block = (first + i) % TEST_PORT_BLOCKS;
    const lock = join(PORT_LOCK_DIR, `${block}.lock`);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(lock, String(process.pid), { flag: "wx" });
        process.once("exit", () => rmSync(lock, { force: true }));
        reservedBlock = block;
        return block;
      } catch {
        let owner: number;
        try {
          owner = Number(readFileSync(lock, "utf8"));
        } catch {
          continue; // its owner just released it: try again
        }
        // An empty file is a lock being written right now: taken.
        if (owner === 0 || owner === process.pid || alive(owner)) break;
        rmSync(lock, { force: true }); // left by a dead process: take it over
      }
    }
  }
  throw new Error(`all ${TEST_PORT_BLOCKS} test port blocks are reserved (${PORT_LOCK_DIR})`);
}

/** Bind `port` on 127.0.0.1, or undefined when it is taken. */
function tryListen(port: number): Promise<ReturnType<typeof createServer> | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(undefined));
    srv.listen(port, "127.0.0.1", () => resolve(srv));
  });
}

/**
 * `count` distinct free ports for brokers. They come from this process's own
 * reserved block below the ephemeral range, so neither the OS (for outbound
 * connections or port 0) nor a concurrently running test file hands them out
 * between this check and the broker's bind; each is bound while the rest are
 * found, so none is counted twice.
 */
export async function freePorts(count: number): Promise<number[]> {
  const block = TEST_PORT_BASE + reserveBlock() * TEST_PORT_BLOCK;
  const held: ReturnType<typeof createServer>[] = [];
  const ports: number[] = [];
  for (let tries = 0; ports.length < count && tries < TEST_PORT_BLOCK; tries++) {
    const port = block + (nextPortInBlock++ % TEST_PORT_BLOCK);
    const srv = await tryListen(port);
    if (!srv) continue;
    held.push(srv);
    ports.push(port);
  }
  await Promise.all(held.map((srv) => new Promise((r) => srv.close(r))));
  if (ports.length < count) throw new Error(`only ${ports.length} of ${count} ports free in block ${block}..${block + TEST_PORT_BLOCK - 1}`);
  return ports;
}

/** Client and peer ports for `size` brokers. */
export async function freeBrokerPorts(size: number): Promise<{ client: number; peer: number }[]> {
  const all = await freePorts(2 * size);
  return Array.from({ length: size }, (_, i) => ({ client: all[2 * i]!, peer: all[2 * i + 1]! }));
}

export interface ClusterOptions {
  readonly size: number;
  /** Extra config keys for every broker (e.g. raft timing). */
  readonly extra?: Record<string, unknown>;
  /** Extra config keys for broker `id` alone (e.g. its adminPort), applied after `extra`. */
  readonly extraFor?: (id: number) => Record<string, unknown>;
  /** Each broker's client and peer listener ports, by broker (id - 1); free ports when absent. */
  readonly ports?: readonly { readonly client: number; readonly peer: number }[];
  /**
   * The port broker `from` dials to reach broker `to`'s peer listener; `to`'s
   * own peer port when absent. A fault-injecting proxy goes here.
   */
  readonly peerPortFor?: (from: number, to: number) => number;
  /**
   * Broker `id`'s bind address (its `host`) and advertised address (its
   * `brokers` entry's host); 127.0.0.1 for both when absent. Any 127.x.y.z
   * works on Linux without set-up: the whole 127/8 is on the loopback interface.
   */
  readonly addresses?: (id: number) => { readonly bind: string; readonly advertised: string };
  /** Broker `id`'s data directory (a tmpfs for full-disk tests); `data-<id>` in the cluster's directory when absent. */
  readonly dataDirFor?: (id: number) => string | undefined;
  /** Extra node options for every broker process (e.g. --cpu-prof, which NODE_OPTIONS refuses). */
  readonly nodeArgs?: readonly string[];
  /**
   * TLS on: broker `id`'s `tls` config group (its own certificate), and what the
   * harness's own clients present (the CA, and a client certificate if needed).
   * URLs are then wss://.
   */
  readonly tls?: {
    readonly configFor: (id: number) => Record<string, unknown>;
    readonly client: WireClientTls;
  };
  /** The login the harness's own readiness checks use when the brokers require authentication. */
  readonly login?: WireLogin;
  /** Give every broker a Kafka-protocol listener on a free port (kafkaPort; docs/KAFKA.md). */
  readonly kafka?: boolean;
}

interface Member {
  readonly id: number;
  /** Host in the broker's `brokers` entry: where clients and peers reach it. */
  readonly advertised: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** Its Kafka listener's port (ClusterOptions.kafka), or undefined. */
  readonly kafkaPort: number | undefined;
  readonly configFile: string;
  readonly dataDir: string;
  readonly logFile: string;
  child: ChildProcess | undefined;
}

export class TestCluster {
  readonly dir: string;
  readonly members: Member[] = [];
  private nodeArgs: readonly string[] = [];
  /** The harness's client TLS options when the cluster has TLS on. */
  private clientTls: WireClientTls | undefined;
  private login: WireLogin | undefined;

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async start(opts: ClusterOptions): Promise<TestCluster> {
    const c = new TestCluster(mkdtempSync(join(tmpdir(), "rlog-cluster-")));
    c.nodeArgs = opts.nodeArgs ?? [];
    c.clientTls = opts.tls?.client;
    c.login = opts.login;
    const ports = opts.ports ?? (await freeBrokerPorts(opts.size));
    const address = (id: number): { readonly bind: string; readonly advertised: string } => opts.addresses?.(id) ?? { bind: "127.0.0.1", advertised: "127.0.0.1" };
    const kafkaPorts = opts.kafka === true ? await freePorts(ports.length) : [];
    const brokers = ports.map((p, i) => ({ id: i + 1, host: address(i + 1).advertised, clientPort: p.client, peerPort: p.peer, ...(opts.kafka === true ? { kafkaPort: kafkaPorts[i]! } : {}) }));
    for (const b of brokers) {
      const dataDir = opts.dataDirFor?.(b.id) ?? join(c.dir, `data-${b.id}`);
      const configFile = join(c.dir, `broker-${b.id}.json`);
      const cfg = {
        brokerId: b.id,
        ...(opts.addresses === undefined ? {} : { host: address(b.id).bind }),
        dataDir,
        clusterSecret: "test-secret-not-for-production",
        brokers: opts.peerPortFor === undefined ? brokers : brokers.map((x) => (x.id === b.id ? x : { ...x, peerPort: opts.peerPortFor!(b.id, x.id) })),
        logLevel: "info",
        ...(opts.tls === undefined ? {} : { tls: opts.tls.configFor(b.id) }),
        ...opts.extra,
        ...opts.extraFor?.(b.id),
      };
      writeFileSync(configFile, JSON.stringify(cfg, null, 2));
      c.members.push({ id: b.id, advertised: b.host, clientPort: b.clientPort, peerPort: b.peerPort, kafkaPort: kafkaPorts[b.id - 1], configFile, dataDir, logFile: join(c.dir, `broker-${b.id}.log`), child: undefined });
    }
    for (const m of c.members) c.spawn(m);
    try {
      await c.waitReady();
    } catch (err) {
      await c.stopAll(); // no process or directory left behind when start fails
      throw err;
    }
    return c;
  }

  urls(): string[] {
    return this.members.map((m) => wsUrl(m.advertised, m.clientPort, this.clientTls !== undefined));
  }
  /** "host:port" of every broker's Kafka listener (ClusterOptions.kafka), for Kafka clients' bootstrap lists. */
  kafkaBrokers(): string[] {
    return this.members.map((m) => {
      if (m.kafkaPort === undefined) throw new Error("the cluster was started without kafka: true");
      return `${m.advertised}:${m.kafkaPort}`;
    });
  }
  url(id: number): string {
    const m = this.member(id);
    return wsUrl(m.advertised, m.clientPort, this.clientTls !== undefined);
  }
  member(id: number): Member {
    const m = this.members.find((x) => x.id === id);
    if (!m) throw new Error(`no broker ${id}`);
    return m;
  }

  private spawn(m: Member): void {
    // Never orphan a broker: one still running (a restart that did not come up in time) is ended first.
    if (m.child && m.child.exitCode === null && m.child.signalCode === null) m.child.kill("SIGKILL");
    const fd = openSync(m.logFile, "a");
    // The broker's RLOG_* environment is cleared so a developer's shell cannot change the test.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("RLOG_")));
    m.child = spawn(process.execPath, [...this.nodeArgs, MAIN_JS, "--config", m.configFile], { stdio: ["ignore", fd, fd], env });
    closeSync(fd);
  }

  /** SIGKILL a broker (no shutdown at all). */
  async kill(id: number): Promise<void> {
    const m = this.member(id);
    const child = m.child;
    // A process ended by a signal keeps exitCode null: check both.
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      m.child = undefined;
      return;
    }
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    m.child = undefined;
  }

  /** Whether the broker's process is running (not killed or exited; a stopped one counts). */
  isRunning(id: number): boolean {
    const child = this.member(id).child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** SIGSTOP a broker: it stays connected but does nothing, like a long GC pause. */
  pause(id: number): void {
    if (this.isRunning(id)) this.member(id).child!.kill("SIGSTOP");
  }

  /** SIGCONT a paused broker. */
  resume(id: number): void {
    if (this.isRunning(id)) this.member(id).child!.kill("SIGCONT");
  }

  /** SIGTERM a broker (controlled shutdown) and wait for it to exit. */
  async terminate(id: number): Promise<number | null> {
    const m = this.member(id);
    const child = m.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    const code = await exited;
    m.child = undefined;
    return code;
  }

  /** Remove a stopped broker's data directory (a lost disk). */
  wipe(id: number): void {
    if (this.isRunning(id)) throw new Error(`broker ${id} is running: stop it before wiping its data`);
    rmSync(this.member(id).dataDir, { recursive: true, force: true });
  }

  async restart(id: number): Promise<void> {
    this.spawn(this.member(id));
    await this.waitClientPort(id);
  }

  /** Merge `keys` into a stopped broker's config file (top-level keys replaced whole), then restart it. */
  async restartWith(id: number, keys: Record<string, unknown>): Promise<void> {
    const file = this.member(id).configFile;
    const config = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...config, ...keys }, null, 2));
    await this.restart(id);
  }

  /**
   * Make (not start) broker `id`, new to the running cluster: free ports, and
   * a config copied from broker 1's (secret, TLS, extra keys) whose `brokers`
   * lists every member and itself and whose `controllerVoters` are the
   * current members (it follows the metadata as a controller learner).
   * `address` is its advertised (and, when the cluster binds per broker, bind) address.
   * Register it (rlog-cli broker add) and then start it with startNew().
   */
  async addMember(id: number, keys: Record<string, unknown> = {}, address = "127.0.0.1"): Promise<Member> {
    if (this.members.some((m) => m.id === id)) throw new Error(`broker ${id} exists`);
    const [ports] = await freeBrokerPorts(1);
    const base = JSON.parse(readFileSync(this.member(1).configFile, "utf8")) as Record<string, unknown>;
    const brokers = [...this.members.map((m) => ({ id: m.id, host: m.advertised, clientPort: m.clientPort, peerPort: m.peerPort })), { id, host: address, clientPort: ports!.client, peerPort: ports!.peer }];
    const m: Member = {
      id,
      advertised: address,
      clientPort: ports!.client,
      peerPort: ports!.peer,
      kafkaPort: undefined,
      configFile: join(this.dir, `broker-${id}.json`),
      dataDir: join(this.dir, `data-${id}`),
      logFile: join(this.dir, `broker-${id}.log`),
      child: undefined,
    };
    const bind = base["host"] === undefined ? {} : { host: address }; // a cluster of per-broker addresses binds each to its own
    const cfg = { ...base, ...bind, brokerId: id, dataDir: m.dataDir, brokers, controllerVoters: this.members.map((x) => x.id), ...keys };
    writeFileSync(m.configFile, JSON.stringify(cfg, null, 2));
    this.members.push(m);
    return m;
  }

  /** Start a broker made by addMember and (unless `wait` is false) wait until it answers clients. */
  async startNew(id: number, wait = true): Promise<void> {
    if (wait) await this.restart(id);
    else this.spawn(this.member(id));
  }

  /** Start a stopped broker that is expected to exit by itself; resolves with its exit code. */
  async runToExit(id: number, timeoutMs = 20_000): Promise<number | null> {
    const m = this.member(id);
    this.spawn(m);
    const child = m.child!;
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`broker ${id} did not exit within ${timeoutMs} ms:\n${this.logTail(id)}`)), timeoutMs);
      child.once("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    m.child = undefined;
    return code;
  }

  /** Wait until every running broker answers and knows a controller leader. */
  async waitReady(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const m of this.members) {
      if (!m.child) continue;
      for (;;) {
        if (!m.child) break;
        try {
          const c = await WireClient.connect(this.url(m.id), this.login, this.clientTls);
          const md = await c.request("metadata", { op: "metadata" });
          c.close();
          if (md.controllerId !== 0) break;
        } catch {
          // not up yet
        }
        if (m.child.exitCode !== null) throw new Error(`broker ${m.id} exited with code ${m.child.exitCode} while starting:\n${this.logTail(m.id)}`);
        if (Date.now() > deadline) throw new Error(`broker ${m.id} not ready:\n${this.logTail(m.id)}`);
        await sleep(50);
      }
    }
  }

  private async waitClientPort(id: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const c = await WireClient.connect(this.url(id), this.login, this.clientTls);
        c.close();
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`broker ${id} did not come back:\n${this.logTail(id)}`);
        await sleep(50);
      }
    }
  }

  logTail(id: number, lines = 30): string {
    try {
      return readFileSync(this.member(id).logFile, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /** End every process and remove the directory. */
  async stopAll(keepDir = false): Promise<void> {
    await Promise.all(this.members.map((m) => this.kill(m.id)));
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
