/**
 * The SDK's entry point: one RlogClient per application, holding the
 * connections (one per broker) and the metadata; producers, consumers and
 * the admin share them.
 */
import { Admin } from "./admin/admin.js";
import { resolveClientOptions, type ClientOptions, type ResolvedClientOptions } from "./client-options.js";
import { Cluster } from "./cluster/cluster.js";
import { Consumer } from "./consumer/consumer.js";
import type { ConsumerOptions } from "./consumer/consumer-types.js";
import { GroupConsumer } from "./consumer/group-consumer.js";
import type { GroupConsumerOptions } from "./consumer/group-types.js";
import { ClosedError } from "./network/client-errors.js";
import { Producer } from "./producer/producer.js";
import type { ProducerOptions } from "./producer/producer-options.js";

/** A client of an rlog cluster; see the file comment. */
export class RlogClient {
  /** The settings in force (defaults filled in). */
  readonly options: ResolvedClientOptions;
  private readonly cluster: Cluster;
  /** Open producers and consumers, closed with the client; they leave the sets when closed. */
  private readonly producers = new Set<Producer>();
  private readonly consumers = new Set<Consumer | GroupConsumer>();
  private closing: Promise<void> | undefined;

  /** @throws TypeError or RangeError for bad options */
  constructor(options: ClientOptions) {
    this.options = resolveClientOptions(options);
    const o = this.options;
    this.cluster = new Cluster({
      bootstrapUrls: o.brokers,
      clientId: o.clientId,
      requestTimeoutMs: o.requestTimeoutMs,
      connectTimeoutMs: o.connectTimeoutMs,
      inflightRequestsMax: o.inflightRequestsMax,
      queuedRequestsMax: o.queuedRequestsMax,
      frameBytesMax: o.frameBytesMax,
      metadataMaxAgeMs: o.metadataMaxAgeMs,
      retry: o.retry,
      logger: o.logger,
      ...(o.tls === undefined ? {} : { tls: o.tls }),
      sasl: o.sasl,
    });
  }

  /** Connect and load the metadata now (otherwise the first request does it). Retried. */
  async connect(): Promise<void> {
    this.throwIfClosed();
    await this.cluster.retrier.run(() => this.cluster.refreshMetadata());
  }

  /** A new producer. */
  producer(options: ProducerOptions = {}): Producer {
    this.throwIfClosed();
    const p: Producer = new Producer(this.cluster, options, this.options.retry, () => this.producers.delete(p));
    this.producers.add(p);
    return p;
  }

  /**
   * A new consumer: with `groupId`, a member of that consumer group
   * (subscribe(), partitions assigned by the group's coordinator, committed
   * offsets); without, a consumer of explicitly assigned partitions (assign()).
   */
  consumer(options: GroupConsumerOptions): GroupConsumer;
  consumer(options?: ConsumerOptions): Consumer;
  consumer(options: ConsumerOptions | GroupConsumerOptions = {}): Consumer | GroupConsumer {
    this.throwIfClosed();
    if ("groupId" in options && options.groupId !== undefined) {
      const g: GroupConsumer = new GroupConsumer(this.cluster, options, () => this.consumers.delete(g));
      this.consumers.add(g);
      return g;
    }
    const c: Consumer = new Consumer(this.cluster, options, () => this.consumers.delete(c));
    this.consumers.add(c);
    return c;
  }

  /** Administrative operations (topics, leaders, cluster status). */
  admin(): Admin {
    this.throwIfClosed();
    return new Admin(this.cluster);
  }

  /**
   * Flush and close every producer (nothing accepted is lost), stop every
   * consumer, then close all connections. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.producers].map((p) => p.close()));
      await Promise.all([...this.consumers].map((c) => c.stop()));
      await this.cluster.close();
    })();
    return this.closing;
  }

  private throwIfClosed(): void {
    if (this.closing !== undefined) throw new ClosedError("client");
  }
}
