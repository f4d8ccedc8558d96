/**
 * Real broker processes with a LinkProxy on every directed peer link, so the
 * nemesis can kill, pause, partition (symmetric or one way) and heal them.
 *
 * A killed broker's client and peer ports are held by the harness until the
 * restart (a listener that drops every connection at once, as a dead host's
 * RST would), and the restarted broker must answer with this cluster's
 * broker list. Without that, another test process on the machine whose
 * port block coincides (blocks are chosen by pid modulo 200,
 * cluster-harness.ts) took both ports of broker 5 during a 5 s kill of a
 * 10-minute run: the broker's restart failed with EADDRINUSE, the harness's
 * wait for the client port was answered by the stranger, clients were told
 * UNKNOWN_TOPIC, and the run ended unconverged with broker 5's replicas
 * "divergent" (short).
 *
 * With the disk-full fault on, each broker's data directory is a tmpfs of
 * its own (CHAOS_DISK_BYTES; test/storage/tmpfs.ts), which fillDisk() fills
 * to the last byte with a ballast file and freeDisk() empties again. The
 * brokers then run with a smaller free-space gate and reserve
 * (CHAOS_DISK_STORAGE) so that the tmpfs stays small. unmountDisks() must
 * run after the brokers stopped and their logs were read (run-chaos.ts).
 */
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createServer, type Server } from "node:net";
import { SeededRandom } from "../../broker/raft/random.js";
import { Tmpfs } from "../storage/tmpfs.js";
import { TestCluster, freeBrokerPorts } from "../broker/cluster-harness.js";
import { WireClient } from "../broker/wire-client.js";
import { LinkProxy } from "./link-proxy.js";

/** Size of each broker's tmpfs with the disk-full fault: far above what a 10-minute run writes (tens of MiB), small enough to fill in well under a second. */
export const CHAOS_DISK_BYTES = 192 * 1024 * 1024;
/** Broker storage settings with the disk-full fault: the gate and the reserve scaled to the small tmpfs, the gate read often. */
export const CHAOS_DISK_STORAGE = { diskFreeMinBytes: 16 * 1024 * 1024, diskReserveBytes: 16 * 1024 * 1024, diskCheckIntervalMs: 200 } as const;
/** How long freeDisk() waits for the broker to say it has space again. */
const DISK_BACK_MS_MAX = 10_000;
const FULL_LINE = "data directory full: no new records here, handing leadership away";
const BACK_LINE = "data directory has space again: taking records and leadership again";

export class ChaosCluster {
  private readonly paused = new Set<number>();
  /** Brokers whose tmpfs is filled now, with how many full and space-again log lines their log held before. */
  private readonly filled = new Map<number, { full: number; back: number }>();
  private readonly down = new Set<number>();
  private stopping: Promise<void> | undefined;
  /** Listeners holding a killed broker's ports until its restart. */
  private readonly portHolds = new Map<number, Server[]>();

  private constructor(
    readonly brokers: TestCluster,
    private readonly proxies: readonly LinkProxy[],
    private readonly ports: readonly { readonly client: number; readonly peer: number }[],
    /** Each broker's tmpfs (by id - 1) with the disk-full fault on; empty otherwise. */
    private readonly disks: readonly Tmpfs[],
  ) {}

  /** Start `size` brokers; with `disks`, each on a tmpfs of its own (the disk-full fault needs root). */
  static async start(size: number, extra: Record<string, unknown> = {}, opts: { readonly disks?: boolean } = {}): Promise<ChaosCluster> {
    const ports = await freeBrokerPorts(size);
    const proxies: LinkProxy[] = [];
    const disks: Tmpfs[] = [];
    try {
      if (opts.disks) for (let id = 1; id <= size; id++) disks.push(Tmpfs.mount(CHAOS_DISK_BYTES, `rlog-chaos-disk-${id}-`));
      for (let from = 1; from <= size; from++) {
        for (let to = 1; to <= size; to++) if (from !== to) proxies.push(await LinkProxy.start(from, to, ports[to - 1]!.peer));
      }
      const portFor = (from: number, to: number): number => proxies.find((p) => p.from === from && p.to === to)!.port;
      const storage = { ...((extra["storage"] as Record<string, unknown> | undefined) ?? {}), ...(opts.disks ? CHAOS_DISK_STORAGE : {}) };
      const brokers = await TestCluster.start({
        size,
        ports,
        peerPortFor: portFor,
        extra: { ...extra, ...(Object.keys(storage).length > 0 ? { storage } : {}) },
        dataDirFor: (id) => disks[id - 1]?.subdir("data"),
      });
      return new ChaosCluster(brokers, proxies, ports, disks);
    } catch (err) {
      await Promise.all(proxies.map((p) => p.close()));
      for (const d of disks) d.unmount();
      throw err;
    }
  }

  /** Whether the brokers' data directories are tmpfs mounts (the disk-full fault can run). */
  get hasDisks(): boolean {
    return this.disks.length > 0;
  }

  /**
   * Flip `flips` random bytes (positions and masks from `seed`) anywhere in
   * the data file of broker `id`, which must be killed: a damaged disk.
   * Returns the positions flipped.
   */
  corruptData(id: number, flips: number, seed: number): number[] {
    if (!this.down.has(id)) throw new Error(`broker ${id} must be killed before its data is damaged`);
    const file = join(this.brokers.member(id).dataDir, "data.mdb");
    const bytes = readFileSync(file);
    const r = new SeededRandom(seed);
    const at: number[] = [];
    for (let k = 0; k < flips && bytes.length > 0; k++) {
      const p = r.int(bytes.length);
      bytes[p]! ^= 1 + r.int(255);
      at.push(p);
    }
    writeFileSync(file, bytes);
    return at.sort((a, b) => a - b);
  }

  /**
   * After a corrupt fault: wait until every partition has a leader that sees
   * all its replicas reachable and none recovering (a data file set aside) or
   * repairing (a cut log behind its promise), so the next fault meets a whole
   * cluster, as disks fail one at a time. A broker that kept a replica closed
   * (its DAMAGED marker: damage found while running) is restarted once, which
   * sets its directory aside. Returns what it saw when it gave up, or
   * undefined once whole.
   */
  async waitRepaired(target: number, timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    let restarted = false;
    let seen = "no answer yet";
    while (Date.now() < deadline) {
      seen = (await this.unrepaired()) ?? "";
      if (seen === "") return undefined;
      if (!restarted && Date.now() > deadline - timeoutMs / 2 && existsSync(join(this.brokers.member(target).dataDir, "DAMAGED"))) {
        restarted = true;
        await this.kill(target);
        await this.restart(target);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    return seen;
  }

  /** What is not whole yet (undefined when everything is), as the partitions' leaders see it. */
  private async unrepaired(): Promise<string | undefined> {
    const views = await Promise.all(
      this.ids.map(async (id) => {
        const c = await WireClient.connect(this.brokers.url(id)).catch(() => undefined);
        if (!c) return undefined;
        try {
          return await c.request("clusterStatus", { op: "clusterStatus" }, 2_000);
        } catch {
          return undefined;
        } finally {
          c.close();
        }
      }),
    );
    const byPartition = new Map<string, { term: number; problems: string[] }>();
    const names = new Set<string>();
    for (const v of views) {
      for (const p of v?.partitions ?? []) {
        const key = `${p.topic}/${p.partition}`;
        names.add(key);
        if (p.replicas.length === 0) continue;
        const problems = p.replicas.flatMap((r) => (!r.reachable ? [`${r.brokerId} unreachable`] : r.recovering ? [`${r.brokerId} recovering`] : r.repairing ? [`${r.brokerId} repairing`] : []));
        const had = byPartition.get(key);
        if (!had || p.term > had.term) byPartition.set(key, { term: p.term, problems });
      }
    }
    if (names.size === 0) return "no broker answered";
    const out: string[] = [];
    for (const n of names) {
      const led = byPartition.get(n);
      if (!led) out.push(`${n}: no leader`);
      else if (led.problems.length > 0) out.push(`${n}: ${led.problems.join(", ")}`);
    }
    return out.length === 0 ? undefined : out.slice(0, 6).join("; ");
  }

  /** Fill broker `id`'s tmpfs to the last byte; returns the ballast's size. */
  fillDisk(id: number): number {
    const disk = this.disks[id - 1];
    if (!disk) throw new Error("the disk-full fault needs the brokers on tmpfs (ChaosCluster.start with disks)");
    if (this.filled.has(id)) return 0;
    this.filled.set(id, { full: this.countLines(id, FULL_LINE), back: this.countLines(id, BACK_LINE) });
    return disk.fill();
  }

  /**
   * Remove broker `id`'s ballast, and wait (at most DISK_BACK_MS_MAX) until
   * the broker has said it has space again, when it had said its disk was full.
   */
  async freeDisk(id: number): Promise<void> {
    const before = this.filled.get(id);
    if (!before) return;
    this.disks[id - 1]!.free();
    this.filled.delete(id);
    if (this.countLines(id, FULL_LINE) === before.full || !this.brokers.isRunning(id)) return;
    const deadline = Date.now() + DISK_BACK_MS_MAX;
    while (this.countLines(id, BACK_LINE) === before.back && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  /** After stop(): copy the data directories into the cluster's directory (when kept), then unmount every tmpfs. Idempotent. */
  unmountDisks(keepCopy: boolean): void {
    for (const [i, d] of this.disks.entries()) {
      if (keepCopy) {
        try {
          cpSync(join(d.dir, "data"), join(this.brokers.dir, `data-${i + 1}`), { recursive: true });
        } catch {
          // nothing to copy
        }
      }
      d.unmount();
    }
  }

  private countLines(id: number, msg: string): number {
    let text: string;
    try {
      text = readFileSync(this.brokers.member(id).logFile, "utf8");
    } catch {
      return 0;
    }
    let n = 0;
    for (let at = text.indexOf(`"msg":"${msg}"`); at >= 0; at = text.indexOf(`"msg":"${msg}"`, at + 1)) n++;
    return n;
  }

  get ids(): number[] {
    return this.brokers.members.map((m) => m.id);
  }

  urls(): string[] {
    return this.brokers.urls();
  }

  /** Brokers neither killed nor paused now. */
  healthy(): number[] {
    return this.ids.filter((id) => !this.down.has(id) && !this.paused.has(id));
  }

  async kill(id: number): Promise<void> {
    this.down.add(id);
    this.paused.delete(id);
    await this.brokers.kill(id);
    if (!this.portHolds.has(id)) {
      const p = this.ports[id - 1]!;
      this.portHolds.set(id, await holdPorts([p.client, p.peer]));
    }
  }

  /** Restart a killed broker; throws when what answers on its port is not this cluster's broker. */
  async restart(id: number): Promise<void> {
    if (!this.down.has(id)) return;
    await releasePorts(this.portHolds.get(id) ?? []);
    this.portHolds.delete(id);
    await this.brokers.restart(id);
    const expected = this.ids.map((x) => this.brokers.url(x)).sort();
    const c = await WireClient.connect(this.brokers.url(id));
    try {
      const md = await c.request("metadata", { op: "metadata", topics: [] }, 5_000);
      const answered = md.brokers.map((b) => b.clientUrl).sort();
      if (answered.join(" ") !== expected.join(" ") || !this.brokers.isRunning(id)) {
        throw new Error(`broker ${id} did not come back: ${this.brokers.url(id)} is answered by a broker of another cluster (${answered.join(" ")}); its log:\n${this.brokers.logTail(id)}`);
      }
    } finally {
      c.close();
    }
    this.down.delete(id);
  }

  pause(id: number): void {
    if (this.down.has(id)) return;
    this.paused.add(id);
    this.brokers.pause(id);
  }

  resume(id: number): void {
    if (!this.paused.delete(id)) return;
    this.brokers.resume(id);
  }

  /** Cut traffic from every broker in `from` to every broker in `to`. */
  cut(from: readonly number[], to: readonly number[]): void {
    for (const p of this.proxies) if (from.includes(p.from) && to.includes(p.to)) p.setCut(true);
  }

  /** Cut both ways between the two sides. */
  partition(side: readonly number[], other: readonly number[]): void {
    this.cut(side, other);
    this.cut(other, side);
  }

  /** Heal every link. */
  healLinks(): void {
    for (const p of this.proxies) p.setCut(false);
  }

  /** Undo every fault: heal links, free filled disks, resume paused brokers, restart killed ones. */
  async healAll(): Promise<void> {
    this.healLinks();
    for (const id of [...this.filled.keys()]) await this.freeDisk(id);
    for (const id of [...this.paused]) this.resume(id);
    for (const id of [...this.down]) await this.restart(id);
  }

  /** The faults in force now ("broker 3 killed", "2->1 cut"), empty when none. */
  activeFaults(): string[] {
    return [
      ...[...this.down].map((id) => `broker ${id} killed`),
      ...[...this.paused].map((id) => `broker ${id} paused`),
      ...[...this.filled.keys()].map((id) => `broker ${id} disk full`),
      ...this.cutLinks().map((l) => `${l} cut`),
    ];
  }

  /** Directed links cut now, as "from->to". */
  cutLinks(): string[] {
    return this.proxies.filter((p) => p.cut).map((p) => `${p.from}->${p.to}`);
  }

  logTail(id: number, lines?: number): string {
    return this.brokers.logTail(id, lines);
  }

  /** End every broker and proxy, once (later calls wait for the first); keep the directory (logs, data) when asked. */
  stop(keepDir = false): Promise<void> {
    this.stopping ??= (async () => {
      for (const id of [...this.paused]) this.resume(id);
      await Promise.all([...this.portHolds.values()].map(releasePorts));
      this.portHolds.clear();
      await this.brokers.stopAll(keepDir);
      await Promise.all(this.proxies.map((p) => p.close()));
    })();
    return this.stopping;
  }
}

/** Listen on each port (where still free) and drop every connection at once. */
async function holdPorts(ports: readonly number[]): Promise<Server[]> {
  const held: Server[] = [];
  for (const port of ports) {
    const server = createServer((socket) => socket.destroy());
    const ok = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => resolve(true));
    });
    if (ok) held.push(server);
  }
  return held;
}

async function releasePorts(held: readonly Server[]): Promise<void> {
  await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
}
