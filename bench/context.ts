/**
 * What every workload gets: the cluster, the options, the progress line,
 * a way to make clients, and topics unique to this run (so that a run
 * against an existing cluster never reads another run's records).
 */
import { RlogClient } from "../client/index.js";
import type { ClientOptions } from "../client/index.js";
import type { BenchCluster } from "./cluster.js";
import type { BenchOptions } from "./options.js";
import type { Progress } from "./progress.js";
import { waitUntil } from "./time.js";

/** How long a new topic may take to have a leader on every partition. */
const TOPIC_READY_MS_MAX = 30_000;

/** See the file comment. */
export class BenchContext {
  private readonly clients = new Set<RlogClient>();

  constructor(
    readonly cluster: BenchCluster,
    readonly options: BenchOptions,
    readonly progress: Progress,
    /** Suffix of this run's topic names. */
    readonly runId: string,
    /** Replication factor of every bench topic. */
    readonly replicationFactor: number,
  ) {}

  /** A new client on the cluster; closed by closeClients() if not before. */
  client(name: string, extra: Partial<ClientOptions> = {}): RlogClient {
    const tls = this.cluster.clientTls;
    const c = new RlogClient({
      brokers: this.cluster.urls,
      clientId: `rlog-bench-${name}`,
      ...(tls === undefined ? {} : { tls: { ca: tls.ca } }),
      ...(tls?.login === undefined ? {} : { sasl: { mechanism: "scram-sha-256" as const, ...tls.login } }),
      ...extra,
    });
    this.clients.add(c);
    return c;
  }

  /** Close a client made by client(). */
  async closeClient(c: RlogClient): Promise<void> {
    this.clients.delete(c);
    await c.close();
  }

  /** Close every client still open (bounded: a close that hangs is abandoned after 10 s). */
  async closeClients(): Promise<void> {
    const all = [...this.clients];
    this.clients.clear();
    await Promise.race([Promise.allSettled(all.map((c) => c.close())), new Promise((r) => setTimeout(r, 10_000).unref())]);
  }

  /** This run's name for a workload's topic. */
  topicName(workload: string): string {
    return `bench-${workload}-${this.runId}`;
  }

  /** Create a topic and wait until every partition has a leader. */
  async createTopic(name: string, partitions: number): Promise<void> {
    const c = this.client("admin");
    try {
      await c.admin().createTopic({ name, partitions, replicationFactor: this.replicationFactor });
      const ok = await waitUntil(TOPIC_READY_MS_MAX, 50, async () => {
        const status = await this.cluster.partitionStatus(name);
        return status.length === partitions && status.every((p) => p.leader !== 0 && p.replicas.length > 0);
      });
      if (!ok) throw new Error(`topic ${name}: not every partition had a leader within ${TOPIC_READY_MS_MAX} ms`);
    } finally {
      await this.closeClient(c);
    }
  }

  /** Delete a topic (best effort: used to tidy an existing cluster). */
  async deleteTopic(name: string): Promise<void> {
    const c = this.client("admin");
    try {
      await c.admin().deleteTopic(name);
    } catch {
      // Tidying only; the figures do not depend on it.
    } finally {
      await this.closeClient(c);
    }
  }
}
