/**
 * Cluster administration. Topic creation and deletion and the leader
 * rebalance go to the controller (following NOT_CONTROLLER hints);
 * transferLeader and listOffsets go to the partition's leader; the rest to
 * any broker. Every call is retried on retriable errors like any request.
 *
 * createTopic and deleteTopic are not naturally idempotent: when an earlier
 * attempt's outcome is unknown (TIMEOUT, lost connection) and a retry then
 * gets TOPIC_ALREADY_EXISTS (create) or UNKNOWN_TOPIC (delete), the earlier
 * attempt is taken to have succeeded.
 */
import { OffsetSpec } from "../../broker/protocol/enums.js";
import { ErrorCode, RlogError } from "../../broker/protocol/errors.js";
import type { TopicConfig } from "../../broker/protocol/requests.js";
import type {
  ClusterStatusResult,
  LeaderMove,
  ListOffsetsResult,
  TopicDescription,
  TopicSummary,
  TransferLeaderResult,
} from "../../broker/protocol/results.js";
import { CallState, type Cluster, type TopicPartitionRef } from "../cluster/cluster.js";
import { isRetriableError } from "../retry/retry-options.js";

/** What createTopic takes. */
export interface CreateTopicOptions {
  readonly name: string;
  /** Number of partitions, 1 .. partitionsMax. */
  readonly partitions: number;
  /** Replicas per partition, 1 .. replicationFactorMax and at most the number of brokers. */
  readonly replicationFactor: number;
  /** Settings to override; the broker's defaults fill in the rest. */
  readonly config?: Partial<TopicConfig>;
}

/** What transferLeader takes. */
export interface TransferLeaderOptions extends TopicPartitionRef {
  /** Target broker; the most preferred caught-up replica when absent. */
  readonly toBrokerId?: number;
  /** How long the broker waits for the transfer to finish. */
  readonly timeoutMs?: number;
}

/** Which offset listOffsets resolves. */
export type OffsetQuery = "earliest" | "latest" | { readonly timestampMs: number };

/** Administrative operations; see the file comment. Create with `client.admin()`. */
export class Admin {
  /** Use `client.admin()`. */
  constructor(private readonly cluster: Cluster) {}

  /** Create a topic; resolves with its placement (leaders may still be electing: 0). */
  async createTopic(options: CreateTopicOptions): Promise<TopicDescription> {
    const { name, partitions, replicationFactor, config } = options;
    const request = { op: "createTopic" as const, name, partitions, replicationFactor, ...(config === undefined ? {} : { config }) };
    let ambiguous = false;
    const state = new CallState();
    const r = await this.cluster.retrier.run(
      async (ctx) => {
        try {
          return (await this.cluster.attemptController<"createTopic">(request, state, { timeoutMs: Math.min(this.cluster.options.requestTimeoutMs, ctx.remainingMs) })).topic;
        } catch (err) {
          if (ambiguous && err instanceof RlogError && err.code === ErrorCode.TOPIC_ALREADY_EXISTS) return this.describeTopic(name);
          if (isAmbiguous(err)) ambiguous = true;
          throw err;
        }
      },
      { onRetriable: (err) => this.cluster.onControllerError(err, state) },
    );
    this.cluster.cache.putTopic(r);
    return r;
  }

  /** Delete a topic and all its records. */
  async deleteTopic(name: string): Promise<void> {
    let ambiguous = false;
    const state = new CallState();
    await this.cluster.retrier.run(
      async (ctx) => {
        try {
          await this.cluster.attemptController<"deleteTopic">({ op: "deleteTopic", name }, state, { timeoutMs: Math.min(this.cluster.options.requestTimeoutMs, ctx.remainingMs) });
        } catch (err) {
          if (ambiguous && err instanceof RlogError && err.code === ErrorCode.UNKNOWN_TOPIC) return;
          if (isAmbiguous(err)) ambiguous = true;
          throw err;
        }
      },
      { onRetriable: (err) => this.cluster.onControllerError(err, state) },
    );
    this.cluster.cache.removeTopic(name);
  }

  /** Names and sizes of all topics, sorted by name. */
  async listTopics(options: { readonly includeInternal?: boolean } = {}): Promise<TopicSummary[]> {
    const includeInternal = options.includeInternal ?? false;
    return [...(await this.cluster.anyRequest<"listTopics">({ op: "listTopics", includeInternal })).topics];
  }

  /** A topic's settings and partition assignment. */
  async describeTopic(name: string): Promise<TopicDescription> {
    return (await this.cluster.anyRequest<"describeTopic">({ op: "describeTopic", name })).topic;
  }

  /** Brokers, controller, and per partition its leader, offsets and replica lag. */
  clusterStatus(): Promise<ClusterStatusResult> {
    return this.cluster.anyRequest<"clusterStatus">({ op: "clusterStatus" });
  }

  /** Move a partition's leadership; resolves once the new leader holds it. */
  async transferLeader(options: TransferLeaderOptions): Promise<TransferLeaderResult> {
    const { topic, partition, toBrokerId, timeoutMs } = options;
    const request = {
      op: "transferLeader" as const,
      topic,
      partition,
      ...(toBrokerId === undefined ? {} : { toBrokerId }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    };
    const waitMs = (timeoutMs ?? this.cluster.options.requestTimeoutMs) + this.cluster.options.requestTimeoutMs;
    const r = await this.cluster.leaderRequest<"transferLeader">({ topic, partition }, request, { timeoutMs: waitMs });
    this.cluster.cache.setLeader(topic, partition, r.leader, r.term);
    return r;
  }

  /** Start moving every partition's leadership (or one topic's) back to its preferred replica. */
  async rebalanceLeaders(options: { readonly topic?: string } = {}): Promise<LeaderMove[]> {
    const request = options.topic === undefined ? { op: "rebalanceLeaders" as const } : { op: "rebalanceLeaders" as const, topic: options.topic };
    const r = await this.cluster.controllerRequest<"rebalanceLeaders">(request);
    this.cluster.markStale();
    return [...r.moves];
  }

  /** Resolve an offset of a partition: earliest (log start), latest (high watermark) or the first at or after a time. */
  listOffsets(tp: TopicPartitionRef, query: OffsetQuery): Promise<ListOffsetsResult> {
    const { topic, partition } = tp;
    const request =
      typeof query === "object"
        ? { op: "listOffsets" as const, topic, partition, spec: OffsetSpec.Timestamp, timestampMs: query.timestampMs }
        : { op: "listOffsets" as const, topic, partition, spec: query === "earliest" ? OffsetSpec.Earliest : OffsetSpec.Latest };
    return this.cluster.leaderRequest<"listOffsets">(tp, request);
  }
}

/** Whether a failed attempt may still have taken effect. */
function isAmbiguous(err: unknown): boolean {
  return isRetriableError(err) && (err.code === ErrorCode.TIMEOUT || err.code === ErrorCode.BROKER_NOT_AVAILABLE);
}
