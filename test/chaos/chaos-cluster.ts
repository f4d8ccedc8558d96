/**
 * Real broker processes with a LinkProxy on every directed peer link, so the
 * nemesis can kill, pause, partition (symmetric or one way) and heal them.
 */
import { TestCluster, freeBrokerPorts } from "../broker/cluster-harness.js";
import { LinkProxy } from "./link-proxy.js";

export class ChaosCluster {
  private readonly paused = new Set<number>();
  private readonly down = new Set<number>();
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly brokers: TestCluster,
    private readonly proxies: readonly LinkProxy[],
  ) {}

  static async start(size: number, extra: Record<string, unknown> = {}): Promise<ChaosCluster> {
    const ports = await freeBrokerPorts(size);
    const proxies: LinkProxy[] = [];
    try {
      for (let from = 1; from <= size; from++) {
        for (let to = 1; to <= size; to++) if (from !== to) proxies.push(await LinkProxy.start(from, to, ports[to - 1]!.peer));
      }
      const portFor = (from: number, to: number): number => proxies.find((p) => p.from === from && p.to === to)!.port;
      const brokers = await TestCluster.start({ size, ports, peerPortFor: portFor, extra });
      return new ChaosCluster(brokers, proxies);
    } catch (err) {
      await Promise.all(proxies.map((p) => p.close()));
      throw err;
    }
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
  }

  async restart(id: number): Promise<void> {
    if (!this.down.has(id)) return;
    await this.brokers.restart(id);
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

  /** Undo every fault: heal links, resume paused brokers, restart killed ones. */
  async healAll(): Promise<void> {
    this.healLinks();
    for (const id of [...this.paused]) this.resume(id);
    for (const id of [...this.down]) await this.restart(id);
  }

  /** The faults in force now ("broker 3 killed", "2->1 cut"), empty when none. */
  activeFaults(): string[] {
    return [...[...this.down].map((id) => `broker ${id} killed`), ...[...this.paused].map((id) => `broker ${id} paused`), ...this.cutLinks().map((l) => `${l} cut`)];
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
      await this.brokers.stopAll(keepDir);
      await Promise.all(this.proxies.map((p) => p.close()));
    })();
    return this.stopping;
  }
}
