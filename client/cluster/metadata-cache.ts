/**
 * What the client knows about the cluster: brokers and their URLs, the
 * controller, and each partition's leader. Filled from metadata responses
 * and corrected by leader hints in errors. Bounded by the cluster's own
 * size: it mirrors the last metadata response, nothing else accumulates.
 */
import type { LeaderHint } from "../../broker/protocol/errors.js";
import type { MetadataResult, PartitionMetadata, TopicMetadata } from "../../broker/protocol/results.js";

/** A partition's routing state; mutable copy owned by the cache. */
interface Route {
  partition: number;
  /** 0 when unknown (election in progress). */
  leader: number;
  replicas: readonly number[];
  /** Raft term the leader was learnt at; a response with an older term does not overwrite it. */
  term: number;
}

interface TopicRoutes {
  readonly name: string;
  readonly internal: boolean;
  readonly partitions: Route[];
}

/** The client's metadata cache; see the file comment. */
export class MetadataCache {
  private brokers = new Map<number, string>();
  private topics = new Map<string, TopicRoutes>();
  private controller = 0;
  private loaded = false;

  /** Whether a metadata response has been applied. */
  get isLoaded(): boolean {
    return this.loaded;
  }

  /** The controller's broker id, 0 when unknown. */
  get controllerId(): number {
    return this.controller;
  }

  /**
   * Replace the cache with a full metadata response (all topics). For a
   * partition whose cached term is newer than the response's (a lagging
   * broker answered), the cached leader is kept.
   */
  apply(result: MetadataResult): void {
    this.brokers = new Map(result.brokers.map((b) => [b.brokerId, b.clientUrl]));
    this.controller = result.controllerId;
    const next = new Map<string, TopicRoutes>();
    for (const t of result.topics) {
      const old = this.topics.get(t.name);
      next.set(t.name, {
        name: t.name,
        internal: t.internal,
        partitions: t.partitions.map((p) => {
          const mine = old?.partitions[p.partition];
          return mine !== undefined && mine.term > p.term ? { ...mine } : route(p);
        }),
      });
    }
    this.topics = next;
    this.loaded = true;
  }

  /** Add or replace one topic (e.g. from a createTopic result). */
  putTopic(topic: TopicMetadata): void {
    this.topics.set(topic.name, { name: topic.name, internal: topic.internal, partitions: topic.partitions.map(route) });
  }

  /** Forget a topic (after deleteTopic). */
  removeTopic(name: string): void {
    this.topics.delete(name);
  }

  /** A topic's metadata, or undefined when the cache does not know it. */
  topic(name: string): TopicMetadata | undefined {
    const t = this.topics.get(name);
    if (t === undefined) return undefined;
    return { name: t.name, internal: t.internal, partitions: t.partitions.map((p) => ({ ...p })) };
  }

  /** Number of partitions of a topic, or undefined when unknown. */
  partitionCount(name: string): number | undefined {
    return this.topics.get(name)?.partitions.length;
  }

  /** The partition's leader: a broker id, 0 when unknown, undefined when the partition is unknown. */
  leaderOf(topic: string, partition: number): number | undefined {
    return this.topics.get(topic)?.partitions[partition]?.leader;
  }

  /**
   * Follow a hint: the partition is led by `hint.brokerId` (whose URL the hint may carry).
   * A hint whose term is older than the cached one names a deposed leader (its broker lags)
   * and is ignored; one with the same or a newer term, or with none (unknown), is followed,
   * and a newer term is kept.
   * @returns whether the hint was followed (false: it was stale, nothing changed)
   */
  applyLeaderHint(topic: string, partition: number, hint: LeaderHint): boolean {
    const p = this.topics.get(topic)?.partitions[partition];
    if (p !== undefined && hint.term !== undefined && hint.term < p.term) return false;
    if (hint.url !== undefined) this.brokers.set(hint.brokerId, hint.url);
    if (p !== undefined) {
      p.leader = hint.brokerId;
      if (hint.term !== undefined) p.term = hint.term;
    }
    return true;
  }

  /** Record a partition's leader as learnt from a transferLeader result. */
  setLeader(topic: string, partition: number, leader: number, term: number): void {
    const p = this.topics.get(topic)?.partitions[partition];
    if (p !== undefined && term >= p.term) {
      p.leader = leader;
      p.term = term;
    }
  }

  /** Follow a hint naming the controller. */
  applyControllerHint(hint: LeaderHint): void {
    if (hint.url !== undefined) this.brokers.set(hint.brokerId, hint.url);
    this.controller = hint.brokerId;
  }

  /** A broker's client URL, or undefined when unknown. */
  urlOf(brokerId: number): string | undefined {
    return this.brokers.get(brokerId);
  }

  /** Every known broker URL, by broker id. */
  brokerUrls(): string[] {
    return [...this.brokers.entries()].sort((a, b) => a[0] - b[0]).map(([, url]) => url);
  }
}

function route(p: PartitionMetadata): Route {
  return { partition: p.partition, leader: p.leader, replicas: [...p.replicas], term: p.term };
}
