/**
 * The cluster a bench run talks to: either brokers this run starts (1 or 3
 * processes on free 127.0.0.1 ports, data and logs in a temporary directory
 * removed at the end), or an existing cluster given by `--brokers` (nothing
 * is started, killed or removed then). With `tls` (--tls) the brokers it
 * starts serve wss:// and speak mutual TLS to each other, with a CA and
 * certificates made in the temporary directory. With `secure` (--secure)
 * they also require SCRAM-SHA-256 logins and check ACLs: the bench's
 * clients log in as the user "bench", which an ACL allows everything on
 * every topic, group and the cluster (so each request pays the ACL lookup,
 * as a real user's does); the status probes present a client certificate
 * whose principal is the cluster's super user.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ClusterStatusResult, MetadataResult, PartitionStatus } from "../broker/protocol/results.js";
import { releaseDir, trackChild, trackDir } from "./cleanup.js";
import { freePorts } from "./free-port.js";
import { sleep, waitUntil } from "./time.js";
import { probeOnce, WireProbe } from "./wire-probe.js";
import { makeBrokerCertificate, makeCertificateAuthority, makeClientCertificate, type CertificateFiles } from "../cli/security/certificates.js";
import { SCRAM_SALT_BYTES_DEFAULT, scramCredential } from "../broker/protocol/scram.js";
import { storedUserJson } from "../broker/protocol/scram-users-json.js";

const MAIN_JS = fileURLToPath(new URL("../broker/main.js", import.meta.url));
/** How long a broker may take to start answering with a known controller. */
const READY_MS_MAX = 30_000;

/** A broker of the cluster. */
export interface BenchBroker {
  readonly id: number;
  readonly url: string;
  /** "host:port" of its Kafka-protocol listener (LocalClusterOptions.kafka), for Kafka clients. */
  readonly kafka?: string;
}

/** Options of a cluster the bench starts. */
export interface LocalClusterOptions {
  /** Number of broker processes. */
  readonly size: number;
  /** Sync every commit (the broker default); false sets storage.fsync false. */
  readonly fsync: boolean;
  /** Metrics on (the broker default, with the admin listener on an ephemeral port); false sets metrics.enabled false. */
  readonly metrics?: boolean;
  /** Broker log level (logs go to files in the temporary directory). */
  readonly logLevel: string;
  /** Extra node flags for the broker processes (e.g. --cpu-prof, --single-threaded-gc). */
  readonly nodeArgs: readonly string[];
  /** Working directory of the brokers (where --cpu-prof writes). */
  readonly cwd: string;
  /** Where to copy the broker logs when the cluster stops (undefined: they go with the temporary directory). */
  readonly keepLogsDir?: string | undefined;
  /** Environment variables for the brokers on top of the bench's own, whose RLOG_* are dropped (e.g. RLOG_HOP_TRACE). */
  readonly env?: Readonly<Record<string, string>>;
  /** TLS on (--tls): a CA and broker certificates made in the temporary directory; clients and probes use wss://. */
  readonly tls?: boolean;
  /** TLS, SCRAM logins and ACLs on (--secure); see the file comment. */
  readonly secure?: boolean;
  /** Give every broker a Kafka-protocol listener on a free port (the kafka-produce workload). */
  readonly kafka?: boolean;
}

/** What the bench's clients need to reach a cluster with TLS on. */
export interface BenchClientTls {
  /** PEM of the cluster's CA. */
  readonly ca: Buffer;
  /** Its file (for the producer child processes). */
  readonly caFile: string;
  /** --secure: the probes' client certificate (principal User:bench-admin, the super user). */
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** --secure: the SDK clients' login. */
  readonly login?: { readonly username: string; readonly password: string };
}

/** --secure: the bench clients' user, and the super user of the probes' certificate. */
const BENCH_USER = "bench";
const BENCH_ADMIN = "bench-admin";

interface Member {
  readonly id: number;
  readonly url: string;
  readonly kafka: string | undefined;
  readonly configFile: string;
  readonly logFile: string;
  child: ChildProcess | undefined;
}

/** See the file comment. */
export class BenchCluster {
  private constructor(
    /** Brokers in id order. */
    readonly brokers: readonly BenchBroker[],
    private readonly members: readonly Member[],
    private readonly dir: string | undefined,
    /** How the brokers were started; undefined for an attached cluster. */
    private readonly spawnOptions: LocalClusterOptions | undefined,
    /** Set when the cluster has TLS on: what clients trust. */
    readonly clientTls: BenchClientTls | undefined = undefined,
  ) {}

  /** Open probes by URL, reused by status queries; a failed one is dropped and reopened on demand. */
  private readonly probes = new Map<string, Promise<WireProbe>>();

  /** Profiling brokers must exit by a signal node survives long enough to write the profile. */
  private get gracefulStop(): boolean {
    return this.spawnOptions?.nodeArgs.includes("--cpu-prof") ?? false;
  }

  /** Whether this run started the brokers (and so may kill and restart them). */
  get local(): boolean {
    return this.dir !== undefined;
  }

  /** Client URLs of every broker. */
  get urls(): string[] {
    return this.brokers.map((b) => b.url);
  }

  /** Start `size` brokers and wait until each answers with a known controller. */
  static async start(opts: LocalClusterOptions): Promise<BenchCluster> {
    const dir = mkdtempSync(join(tmpdir(), "rlog-bench-"));
    trackDir(dir);
    const kafka = opts.kafka === true;
    const ports = await freePorts(opts.size * (kafka ? 3 : 2));
    const entries = Array.from({ length: opts.size }, (_, k) => ({
      id: k + 1,
      host: "127.0.0.1",
      clientPort: ports[2 * k]!,
      peerPort: ports[2 * k + 1]!,
      ...(kafka ? { kafkaPort: ports[2 * opts.size + k]! } : {}),
    }));
    const secret = randomBytes(24).toString("hex");
    const secure = opts.secure === true;
    const tls = opts.tls === true || secure ? await benchCertificates(join(dir, "tls"), entries.map((e) => e.id)) : undefined;
    const security = secure && tls !== undefined ? await benchSecurity(join(dir, "tls"), tls.ca) : undefined;
    const members = entries.map((e): Member => {
      const configFile = join(dir, `broker-${e.id}.json`);
      const config = {
        brokerId: e.id,
        dataDir: join(dir, `data-${e.id}`),
        brokers: entries,
        ...(e.kafkaPort === undefined ? {} : { kafkaPort: e.kafkaPort }),
        logLevel: opts.logLevel,
        ...(opts.size > 1 ? { clusterSecret: secret } : {}),
        storage: { fsync: opts.fsync },
        // The admin listener on a free port, as in production; metrics kept unless --no-metrics.
        adminPort: 0,
        metrics: { enabled: opts.metrics ?? true },
        ...(tls === undefined ? {} : { tls: { ...tls.brokers.get(e.id), caFile: tls.caFile, clientAuth: security === undefined ? "none" : "optional" } }),
        ...(security === undefined
          ? {}
          : {
              authentication: { mechanism: "scram", scramUsersFile: security.usersFile },
              authorization: { enabled: true, superUsers: [`User:${BENCH_ADMIN}`] },
            }),
      };
      writeFileSync(configFile, JSON.stringify(config, null, 2));
      return { id: e.id, url: `${tls === undefined ? "ws" : "wss"}://127.0.0.1:${e.clientPort}`, kafka: e.kafkaPort === undefined ? undefined : `127.0.0.1:${e.kafkaPort}`, configFile, logFile: join(dir, `broker-${e.id}.log`), child: undefined };
    });
    const cluster = new BenchCluster(
      members.map((m) => ({ id: m.id, url: m.url, ...(m.kafka === undefined ? {} : { kafka: m.kafka }) })),
      members,
      dir,
      opts,
      tls === undefined
        ? undefined
        : {
            ca: readFileSync(tls.caFile),
            caFile: tls.caFile,
            ...(security === undefined ? {} : { cert: security.probeCert, key: security.probeKey, login: security.login }),
          },
    );
    try {
      for (const m of members) cluster.spawn(m, opts);
      for (const m of members) await cluster.waitReady(m.id);
      if (security !== undefined) await cluster.allowBenchUser();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Use brokers that are already running; ids come from their metadata. */
  static async attach(urls: readonly string[]): Promise<BenchCluster> {
    let md: MetadataResult | undefined;
    const failures: string[] = [];
    for (const url of urls) {
      try {
        md = await probeOnce(url, "metadata", { op: "metadata" });
        break;
      } catch (err) {
        failures.push(`${url}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (md === undefined) throw new Error(`no broker of --brokers answered:\n${failures.join("\n")}`);
    const brokers = md.brokers.map((b) => ({ id: b.brokerId, url: b.clientUrl })).sort((a, b) => a.id - b.id);
    if (brokers.length === 0) throw new Error("the cluster lists no brokers in its metadata");
    return new BenchCluster(brokers, [], undefined, undefined);
  }

  private spawn(m: Member, opts: LocalClusterOptions): void {
    const fd = openSync(m.logFile, "a");
    // A developer's RLOG_* variables must not change the brokers under test.
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("RLOG_"))), ...opts.env };
    try {
      m.child = spawn(process.execPath, [...opts.nodeArgs, MAIN_JS, "--config", m.configFile], { stdio: ["ignore", fd, fd], env, cwd: opts.cwd });
    } finally {
      closeSync(fd);
    }
    trackChild(m.child);
  }

  private member(id: number): Member {
    const m = this.members.find((x) => x.id === id);
    if (m === undefined) throw new Error(`broker ${id} was not started by this bench`);
    return m;
  }

  /** The client URL of broker `id`. */
  urlOf(id: number): string {
    const b = this.brokers.find((x) => x.id === id);
    if (b === undefined) throw new Error(`no broker ${id}`);
    return b.url;
  }

  /** Whether broker `id` is running (always true for an attached cluster). */
  isRunning(id: number): boolean {
    if (!this.local) return true;
    const child = this.member(id).child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** SIGKILL broker `id` and wait until it has exited. */
  async kill(id: number): Promise<void> {
    this.dropProbe(id);
    const child = this.member(id).child;
    this.member(id).child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  /** Start a killed broker again and wait until it answers. */
  async restart(id: number): Promise<void> {
    const m = this.member(id);
    if (m.child !== undefined) throw new Error(`broker ${id} is still running`);
    if (this.spawnOptions === undefined) throw new Error("cluster was not started by this bench");
    this.spawn(m, this.spawnOptions);
    await this.waitReady(id);
  }

  /** --secure: ACLs allowing the bench user everything on every topic, group and the cluster, created by the super user (the probes). */
  private async allowBenchUser(): Promise<void> {
    const principal = `User:${BENCH_USER}`;
    const acls = (["topic", "group", "cluster"] as const).map((resourceType) => ({
      principal,
      resourceType,
      patternType: "literal" as const,
      name: resourceType === "cluster" ? "rlog-cluster" : "*",
      operation: "all" as const,
      permission: "allow" as const,
    }));
    let last: unknown;
    const ok = await waitUntil(READY_MS_MAX, 100, async () => {
      // Only the controller leader answers: ask each broker in turn.
      for (const b of this.brokers) {
        try {
          await probeOnce(b.url, "createAcls", { op: "createAcls", acls }, 5_000, this.clientTls);
          return true;
        } catch (err) {
          last = err;
        }
      }
      return false;
    });
    if (!ok) throw new Error(`could not create the bench user's ACLs: ${last instanceof Error ? last.message : String(last)}`);
  }

  /** Wait until broker `id` answers metadata and knows a controller. */
  async waitReady(id: number): Promise<void> {
    const url = this.urlOf(id);
    const ok = await waitUntil(READY_MS_MAX, 50, async () => {
      if (!this.isRunning(id)) throw new Error(`broker ${id} exited while starting:\n${this.logTail(id)}`);
      try {
        const md = await probeOnce(url, "metadata", { op: "metadata" }, 1_000, this.clientTls);
        return md.controllerId !== 0;
      } catch {
        return false;
      }
    });
    if (!ok) throw new Error(`broker ${id} not ready within ${READY_MS_MAX} ms:\n${this.logTail(id)}`);
  }

  /** Process ids of the brokers this run started, in broker id order (undefined for one not running). */
  pids(): (number | undefined)[] {
    return this.members.map((m) => (this.isRunning(m.id) ? m.child?.pid : undefined));
  }

  /** clusterStatus from broker `url` over a pooled probe. */
  private async statusFrom(url: string, timeoutMs = 2_000): Promise<ClusterStatusResult | undefined> {
    let probe = this.probes.get(url);
    if (probe === undefined) {
      probe = WireProbe.connect(url, 1_000, this.clientTls);
      this.probes.set(url, probe);
    }
    try {
      return await (await probe).request("clusterStatus", { op: "clusterStatus" }, timeoutMs);
    } catch {
      // Down or restarting: drop the probe; the caller works with the brokers that answered.
      this.probes.delete(url);
      void probe.then((p) => p.close(), () => undefined);
      return undefined;
    }
  }

  private dropProbe(id: number): void {
    const url = this.urlOf(id);
    void this.probes.get(url)?.then((p) => p.close(), () => undefined);
    this.probes.delete(url);
  }

  /** Close the pooled probes. */
  private closeProbes(): void {
    for (const p of this.probes.values()) void p.then((x) => x.close(), () => undefined);
    this.probes.clear();
  }

  /**
   * Each partition as its leader sees it (with replica progress), from the
   * clusterStatus of every broker that answers; a partition no broker leads
   * comes back with leader 0 and no replicas.
   */
  async partitionStatus(topic: string): Promise<PartitionStatus[]> {
    return (await this.partitionStatusWhere((t) => t === topic)).sort((a, b) => a.partition - b.partition);
  }

  /**
   * partitionStatus of every partition whose topic `wanted` accepts, in no
   * particular order; `timeoutMs` bounds each broker's answer (large clusters
   * take a while to describe).
   */
  async partitionStatusWhere(wanted: (topic: string) => boolean, timeoutMs = 2_000): Promise<PartitionStatus[]> {
    const answers = await Promise.all(
      this.brokers.filter((b) => this.isRunning(b.id)).map((b) => this.statusFrom(b.url, timeoutMs)),
    );
    const best = new Map<string, PartitionStatus>();
    for (const a of answers) {
      for (const p of a?.partitions ?? []) {
        if (!wanted(p.topic)) continue;
        const key = `${p.topic}\u0000${p.partition}`;
        const prev = best.get(key);
        const leads = p.replicas.length > 0;
        const prevLeads = prev !== undefined && prev.replicas.length > 0;
        if (prev === undefined || (leads && (!prevLeads || p.term > prev.term))) best.set(key, p);
      }
    }
    return [...best.values()];
  }

  /** Sum of the partition terms of `topic` as their leaders report them: it grows by one per election. */
  async termSum(topic: string): Promise<number> {
    const parts = await this.partitionStatus(topic);
    return parts.reduce((s, p) => s + p.term, 0);
  }

  /** The last lines of a local broker's log (for error messages). */
  logTail(id: number, lines = 25): string {
    try {
      return readFileSync(this.member(id).logFile, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /**
   * End every broker this run started, copy their logs if asked to, and
   * remove the temporary directory.
   * With profiling flags the brokers get SIGTERM, a second SIGTERM a second
   * later (the broker exits at once then, and node writes the profile), and
   * SIGKILL after 10 s.
   */
  async stop(): Promise<void> {
    this.closeProbes();
    if (this.dir === undefined) return;
    await Promise.all(
      this.members.map(async (m) => {
        const child = m.child;
        m.child = undefined;
        if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once("exit", resolve));
        if (this.gracefulStop) {
          // The broker exits at once on a second signal; node writes the profile on any exit but SIGKILL.
          child.kill("SIGTERM");
          const again = setTimeout(() => child.kill("SIGTERM"), 1_000);
          const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
          await exited;
          clearTimeout(again);
          clearTimeout(kill);
        } else {
          child.kill("SIGKILL");
          await exited;
        }
      }),
    );
    await sleep(0);
    const keep = this.spawnOptions?.keepLogsDir;
    if (keep !== undefined) {
      mkdirSync(keep, { recursive: true });
      for (const m of this.members) copyFileSync(m.logFile, join(keep, `broker-${m.id}.log`));
    }
    releaseDir(this.dir);
  }
}

/** The certificates of a TLS bench cluster (cli/security/certificates.ts, with openssl): a CA and one per broker. */
async function benchCertificates(dir: string, ids: readonly number[]): Promise<{ ca: CertificateFiles; caFile: string; brokers: Map<number, { certFile: string; keyFile: string }> }> {
  const ca = await makeCertificateAuthority(dir, "ca", "rlog bench CA");
  const brokers = new Map<number, { certFile: string; keyFile: string }>();
  for (const id of ids) brokers.set(id, await makeBrokerCertificate(ca, dir, `broker-${id}`));
  return { ca, caFile: ca.certFile, brokers };
}

/** --secure: the bench user's login and users file, and the probes' client certificate (the super user). */
async function benchSecurity(
  dir: string,
  ca: CertificateFiles,
): Promise<{ usersFile: string; login: { username: string; password: string }; probeCert: Buffer; probeKey: Buffer }> {
  const password = randomBytes(18).toString("base64url");
  const usersFile = join(dir, "scram-users.json");
  const credential = await scramCredential(password, randomBytes(SCRAM_SALT_BYTES_DEFAULT));
  writeFileSync(usersFile, JSON.stringify([storedUserJson(BENCH_USER, credential)]), { mode: 0o600 });
  const probe = await makeClientCertificate(ca, dir, BENCH_ADMIN, BENCH_ADMIN);
  return { usersFile, login: { username: BENCH_USER, password }, probeCert: readFileSync(probe.certFile), probeKey: readFileSync(probe.keyFile) };
}
