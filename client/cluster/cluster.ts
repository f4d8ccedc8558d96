/**
 * The cluster as the SDK sees it: one connection per broker, the metadata
 * cache, and request routing with retries.
 *
 * Four kinds of target: a partition's leader (produce, fetch, listOffsets,
 * transferLeader), the controller (createTopic, deleteTopic,
 * rebalanceLeaders), a group's coordinator (the leader of the group's
 * partition of the offsets topic, computed from the metadata like the
 * broker does: murmur2(group) mod its partition count; group operations)
 * and any broker (metadata, listTopics, describeTopic, clusterStatus,
 * initProducerId). Each has a single-attempt form (the producer and the
 * group consumer drive their own retry order) and a retried form built on
 * the one Retrier.
 *
 * After a retriable error the routing state is corrected before the next
 * attempt (`on*Error`): a leader or controller hint in the error is applied
 * directly (and, for NOT_LEADER / NOT_CONTROLLER / NOT_COORDINATOR naming
 * another broker, the retry goes out without backoff); otherwise the metadata is marked stale
 * and the next attempt refreshes it first. A partition hint whose term is
 * older than the cached one (a lagging broker naming a deposed leader) is
 * not applied: it counts as no hint. UNKNOWN_TOPIC and
 * UNKNOWN_PARTITION get one refresh: the second one in the same call
 * surfaces (the topic really is not there).
 */
import type { ClientTlsOptions } from "../client-options.js";
import { ErrorCode, RlogError } from "../../broker/protocol/errors.js";
import { coordinatorPartition, OFFSETS_TOPIC } from "../../broker/protocol/group-routing.js";
import type { Limits } from "../../broker/protocol/limits.js";
import { CLIENT_DEFAULTS } from "../../broker/protocol/defaults.js";
import type { RequestOf, ResultOf } from "../../broker/protocol/ops.js";
import type { TopicMetadata } from "../../broker/protocol/results.js";
import type { Logger } from "../logger.js";
import { brokerNotAvailable, ClosedError } from "../network/client-errors.js";
import { Connection, type RequestOp, type RequestOptions } from "../network/connection.js";
import { Retrier, type RetryAction } from "../retry/retrier.js";
import { isRetriableError, type RetryOptions } from "../retry/retry-options.js";
import { pause } from "../util/sleep.js";
import { MetadataCache } from "./metadata-cache.js";
import type { ScramLogin } from "../network/scram-login.js";

/** Settings of the cluster layer (filled in by RlogClient). */
export interface ClusterOptions {
  readonly bootstrapUrls: readonly string[];
  readonly clientId: string;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly inflightRequestsMax: number;
  readonly queuedRequestsMax: number;
  readonly frameBytesMax: number;
  /** Metadata older than this is refreshed before partitionCount answers; default CLIENT_DEFAULTS.metadataMaxAgeMs. */
  readonly metadataMaxAgeMs?: number;
  readonly retry: RetryOptions;
  readonly logger: Logger;
  /** SCRAM credentials for brokers that ask for them. */
  readonly sasl?: ScramLogin | undefined;
  /** Jitter source in [0, 1); Math.random by default. */
  readonly random?: () => number;
  /** TLS settings of every wss:// connection. */
  readonly tls?: ClientTlsOptions;
}

/** A partition of a topic. */
export interface TopicPartitionRef {
  readonly topic: string;
  readonly partition: number;
}

/** Routing state of one logical call across its attempts. */
export class CallState {
  /** The broker the last attempt went to (0 before any). */
  brokerId = 0;
  /** UNKNOWN_TOPIC / UNKNOWN_PARTITION errors seen; the refresh after the first asks the controller leader, the second surfaces. */
  unknownCount = 0;
}

/** Options of a retried request. */
export interface RoutedRequestOptions {
  /** Per-attempt timeout (capped by what is left of the total timeout). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Connections, metadata and routing; see the file comment. */
export class Cluster {
  /** The one retrier of this client. */
  readonly retrier: Retrier;
  /** The metadata cache. */
  readonly cache = new MetadataCache();
  private readonly pool = new Map<string, Connection>();
  private stale = true;
  /** performance.now() when the metadata was last loaded. */
  private loadedAtMs = Number.NEGATIVE_INFINITY;
  /**
   * A topic or partition was missing: ask the controller leader for the next
   * metadata. It is the authority on what exists (createTopic and alterTopic
   * answer once it has applied the change), while another broker may not have
   * applied the change yet, so a topic created a moment ago is not reported
   * unknown because two lagging brokers answered in turn.
   */
  private askController = false;
  private refreshing: Promise<string> | undefined;
  private closed = false;
  private nextCandidate = 0;
  /** performance.now() of the last metadata poll of waitForLeaderChange. */
  private lastLeaderPollMs = Number.NEGATIVE_INFINITY;

  constructor(readonly options: ClusterOptions) {
    this.retrier = new Retrier(options.retry, options.random);
  }

  /** The logger of this client. */
  get logger(): Logger {
    return this.options.logger;
  }

  /** Whether close() was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Mark the metadata stale: the next routed attempt refreshes it first. */
  markStale(): void {
    this.stale = true;
  }

  /** The connection to a broker URL (one per URL, created on first use). */
  connectionTo(url: string): Connection {
    this.throwIfClosed();
    let conn = this.pool.get(url);
    if (conn === undefined) {
      const o = this.options;
      conn = new Connection({
        url,
        clientId: o.clientId,
        requestTimeoutMs: o.requestTimeoutMs,
        connectTimeoutMs: o.connectTimeoutMs,
        inflightRequestsMax: o.inflightRequestsMax,
        queuedRequestsMax: o.queuedRequestsMax,
        frameBytesMax: o.frameBytesMax,
        logger: o.logger,
        ...(o.tls === undefined ? {} : { tls: o.tls }),
        ...(o.sasl === undefined ? {} : { sasl: o.sasl }),
      });
      this.pool.set(url, conn);
    }
    return conn;
  }

  /**
   * A connected broker: an open connection if there is one (other than the
   * brokers in `avoid`, those that just failed or did not know, when there is
   * a choice), else the bootstrap and known brokers in turn (starting at a
   * rotating position), the avoided ones last.
   * @throws the last connection error when none could be reached
   */
  async anyConnection(avoid: string | ReadonlySet<string> = new Set()): Promise<Connection> {
    this.throwIfClosed();
    const avoided = typeof avoid === "string" ? new Set([avoid]) : avoid;
    for (const conn of this.pool.values()) if (conn.isReady && !avoided.has(conn.url)) return conn;
    const known = [...new Set([...this.options.bootstrapUrls, ...this.cache.brokerUrls()])];
    const start = this.nextCandidate++ % known.length;
    const rotated = [...known.slice(start), ...known.slice(0, start)];
    const urls = [...rotated.filter((u) => !avoided.has(u)), ...rotated.filter((u) => avoided.has(u))];
    let last: unknown = brokerNotAvailable(urls.join(", "), "no broker to connect to");
    for (const url of urls) {
      const conn = this.connectionTo(url);
      try {
        await conn.connect();
        return conn;
      } catch (err) {
        if (!isRetriableError(err)) throw err;
        this.logger.debug({ url, code: err.codeName }, "broker not reachable, trying the next");
        last = err;
      }
    }
    throw last;
  }

  /** The limits the brokers enforce (from a handshake), connecting if needed. */
  limits(): Promise<Limits> {
    return this.retrier.run(async () => {
      const conn = await this.anyConnection();
      const limits = conn.limits;
      if (limits === undefined) throw brokerNotAvailable(conn.url, "connection lost after the handshake");
      return limits;
    });
  }

  /**
   * Refresh the metadata now (one attempt; concurrent callers share it).
   * @param avoid brokers that just failed or did not know: asked only when no other answers
   * @returns the URL of the broker that answered
   */
  refreshMetadata(avoid?: string | ReadonlySet<string>): Promise<string> {
    this.refreshing ??= this.fetchMetadata(avoid).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async fetchMetadata(avoid: string | ReadonlySet<string> | undefined): Promise<string> {
    this.stale = false; // errors seen while this runs mark it stale again
    try {
      const conn = (this.askController ? await this.controllerConnection() : undefined) ?? (await this.anyConnection(avoid));
      this.askController = false;
      const md = await conn.request<"metadata">({ op: "metadata" });
      this.throwIfClosed();
      this.cache.apply(md);
      this.loadedAtMs = performance.now();
      this.prunePool();
      return conn.url;
    } catch (err) {
      this.stale = true;
      throw err;
    }
  }

  /** A connection to the controller leader the metadata names, or undefined when none is known or it cannot be reached. */
  private async controllerConnection(): Promise<Connection | undefined> {
    const url = this.cache.urlOf(this.cache.controllerId);
    if (url === undefined) return undefined;
    const conn = this.connectionTo(url);
    try {
      await conn.connect();
      return conn;
    } catch (err) {
      if (!isRetriableError(err)) throw err;
      return undefined;
    }
  }

  /** Close connections to URLs that are neither bootstrap nor in the metadata (keeps the pool bounded). */
  private prunePool(): void {
    const keep = new Set([...this.options.bootstrapUrls, ...this.cache.brokerUrls()]);
    for (const [url, conn] of this.pool) {
      if (!keep.has(url)) {
        this.pool.delete(url);
        void conn.close();
      }
    }
  }

  /** Refresh the metadata if it is stale or was never loaded. */
  async ensureMetadata(): Promise<void> {
    if (this.stale || !this.cache.isLoaded) await this.refreshMetadata();
  }

  /**
   * A topic's partition count: from the cache when it is fresh (not stale,
   * loaded within metadataMaxAgeMs), else as topicMetadata after a refresh.
   */
  async partitionCount(topic: string): Promise<number> {
    const maxAgeMs = this.options.metadataMaxAgeMs ?? CLIENT_DEFAULTS.metadataMaxAgeMs;
    if (!this.stale && performance.now() - this.loadedAtMs >= maxAgeMs) await this.refreshMetadata().catch(() => undefined); // a failure marks it stale: topicMetadata retries
    const cached = this.stale ? undefined : this.cache.partitionCount(topic);
    return cached ?? (await this.topicMetadata(topic)).partitions.length;
  }

  /** A topic's metadata, refreshing once when it is missing; retried. */
  topicMetadata(topic: string): Promise<TopicMetadata> {
    const state = new CallState();
    return this.retrier.run(
      async () => {
        await this.ensureMetadata();
        const t = this.cache.topic(topic);
        if (t === undefined) throw unknownTopic(topic);
        return t;
      },
      { onRetriable: (err) => this.onAnyError(err, state) },
    );
  }

  // ------------------------------------------------------------ leader

  /** One attempt of a request to a partition's leader. */
  async attemptLeader<O extends RequestOp>(tp: TopicPartitionRef, request: RequestOf<O>, state: CallState, options: RequestOptions = {}): Promise<ResultOf<O>> {
    await this.ensureMetadata();
    const leader = this.cache.leaderOf(tp.topic, tp.partition);
    if (leader === undefined) {
      if (this.cache.partitionCount(tp.topic) === undefined) throw unknownTopic(tp.topic);
      throw new RlogError("UNKNOWN_PARTITION", `topic ${tp.topic} has no partition ${tp.partition}`);
    }
    state.brokerId = leader;
    if (leader === 0) throw new RlogError("LEADER_NOT_AVAILABLE", `${tp.topic}/${tp.partition} has no leader right now`);
    return this.connectionToBroker(leader).request<O>(request, options);
  }

  /** Correct routing after a failed leader attempt; see the file comment. */
  onLeaderError(err: RlogError, tp: TopicPartitionRef, state: CallState): RetryAction {
    if (err.code === ErrorCode.NOT_LEADER || err.code === ErrorCode.LEADER_TRANSFER_IN_PROGRESS) {
      const hint = err.details?.leader;
      // A stale hint (older term than the cache's) is not followed: refresh the metadata instead, as without a hint.
      if (hint !== undefined && hint.brokerId > 0 && (hint.url !== undefined || this.cache.urlOf(hint.brokerId) !== undefined) && this.cache.applyLeaderHint(tp.topic, tp.partition, hint)) {
        return err.code === ErrorCode.NOT_LEADER && hint.brokerId !== state.brokerId ? "now" : "backoff";
      }
    }
    return this.onAnyError(err, state);
  }

  /**
   * The pause before retrying a request to `tp`'s leader after broker
   * `failedBrokerId` could not serve it (awaitsNewLeader: connection lost,
   * NOT_LEADER without a usable hint, LEADER_NOT_AVAILABLE, TIMEOUT): at most
   * `delayMs`, but only until the metadata names a leader other than that
   * broker. Meanwhile the metadata is refreshed from the other brokers every
   * retry.leaderPollIntervalMs (once per interval for the whole client,
   * however many callers wait), so the retry follows an election within
   * about that interval of the brokers knowing its winner. A broker whose
   * answer still names no other leader is asked last in the next polls, so a
   * broker that has not heard of the election yet cannot hold the client.
   * @returns whether the metadata names another leader (else the pause ran out, or `signal` aborted: it never throws)
   */
  async waitForLeaderChange(tp: TopicPartitionRef, failedBrokerId: number, delayMs: number, signal?: AbortSignal): Promise<boolean> {
    const deadlineMs = performance.now() + delayMs;
    const failedUrl = this.cache.urlOf(failedBrokerId);
    const avoid = new Set<string>(failedUrl === undefined ? [] : [failedUrl]);
    for (;;) {
      const leader = this.cache.leaderOf(tp.topic, tp.partition);
      if (leader !== undefined && leader !== 0 && leader !== failedBrokerId) return true;
      const leftMs = deadlineMs - performance.now();
      if (leftMs <= 0 || signal?.aborted === true || this.closed) return false;
      const dueMs = this.lastLeaderPollMs + this.options.retry.leaderPollIntervalMs;
      const nowMs = performance.now();
      if (nowMs < dueMs) {
        await pause(Math.min(dueMs - nowMs, leftMs), signal);
        continue;
      }
      this.lastLeaderPollMs = nowMs;
      try {
        const answered = await this.refreshMetadata(avoid);
        const now = this.cache.leaderOf(tp.topic, tp.partition);
        if (now === undefined || now === 0 || now === failedBrokerId) avoid.add(answered);
      } catch (err) {
        // No broker answered this time: the cache stays as it was and the next poll (or the retry itself) tries again.
        this.logger.debug({ topic: tp.topic, partition: tp.partition, err: err instanceof Error ? err.message : String(err) }, "metadata poll failed");
      }
    }
  }

  /** A request to a partition's leader, retried. */
  leaderRequest<O extends RequestOp>(tp: TopicPartitionRef, request: RequestOf<O>, options: RoutedRequestOptions = {}): Promise<ResultOf<O>> {
    const state = new CallState();
    return this.retrier.run((ctx) => this.attemptLeader<O>(tp, request, state, this.attemptOptions(options, ctx.remainingMs)), {
      onRetriable: (err) => this.onLeaderError(err, tp, state),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  }

  // ------------------------------------------------------------ controller

  /** One attempt of a request to the controller (any broker while the controller is unknown). */
  async attemptController<O extends RequestOp>(request: RequestOf<O>, state: CallState, options: RequestOptions = {}): Promise<ResultOf<O>> {
    await this.ensureMetadata();
    const controller = this.cache.controllerId;
    state.brokerId = controller;
    const conn = controller > 0 ? this.connectionToBroker(controller) : await this.anyConnection();
    return conn.request<O>(request, options);
  }

  /** Correct routing after a failed controller attempt. */
  onControllerError(err: RlogError, state: CallState): RetryAction {
    if (err.code === ErrorCode.NOT_CONTROLLER) {
      const hint = err.details?.leader;
      if (hint !== undefined && hint.brokerId > 0 && (hint.url !== undefined || this.cache.urlOf(hint.brokerId) !== undefined)) {
        this.cache.applyControllerHint(hint);
        return hint.brokerId !== state.brokerId ? "now" : "backoff";
      }
    }
    return this.onAnyError(err, state);
  }

  /** A request to the controller, retried. */
  controllerRequest<O extends RequestOp>(request: RequestOf<O>, options: RoutedRequestOptions = {}): Promise<ResultOf<O>> {
    const state = new CallState();
    return this.retrier.run((ctx) => this.attemptController<O>(request, state, this.attemptOptions(options, ctx.remainingMs)), {
      onRetriable: (err) => this.onControllerError(err, state),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  }

  // ------------------------------------------------------------ coordinator

  /** The offsets-topic partition of a group, from the metadata; COORDINATOR_NOT_AVAILABLE while the topic is not there yet. */
  async coordinatorPartition(group: string): Promise<TopicPartitionRef> {
    await this.ensureMetadata();
    const count = this.cache.partitionCount(OFFSETS_TOPIC);
    if (count === undefined || count === 0) {
      this.markStale();
      throw new RlogError("COORDINATOR_NOT_AVAILABLE", `the ${OFFSETS_TOPIC} topic is not in the metadata yet`);
    }
    return { topic: OFFSETS_TOPIC, partition: coordinatorPartition(group, count) };
  }

  /** One attempt of a request to a group's coordinator. */
  async attemptCoordinator<O extends RequestOp>(group: string, request: RequestOf<O>, state: CallState, options: RequestOptions = {}): Promise<ResultOf<O>> {
    const tp = await this.coordinatorPartition(group);
    const leader = this.cache.leaderOf(tp.topic, tp.partition) ?? 0;
    state.brokerId = leader;
    if (leader === 0) throw new RlogError("COORDINATOR_NOT_AVAILABLE", `group ${group}'s coordinator (${tp.topic}/${tp.partition}) has no leader right now`);
    return this.connectionToBroker(leader).request<O>(request, options);
  }

  /** Correct routing after a failed coordinator attempt: follow a NOT_COORDINATOR hint like a NOT_LEADER one. */
  onCoordinatorError(err: RlogError, group: string, state: CallState): RetryAction {
    if (err.code === ErrorCode.NOT_COORDINATOR) {
      const hint = err.details?.leader;
      const count = this.cache.partitionCount(OFFSETS_TOPIC);
      if (
        count !== undefined &&
        hint !== undefined &&
        hint.brokerId > 0 &&
        (hint.url !== undefined || this.cache.urlOf(hint.brokerId) !== undefined) &&
        this.cache.applyLeaderHint(OFFSETS_TOPIC, coordinatorPartition(group, count), hint)
      ) {
        return hint.brokerId !== state.brokerId ? "now" : "backoff";
      }
    }
    return this.onAnyError(err, state);
  }

  /** A request to a group's coordinator, retried. */
  coordinatorRequest<O extends RequestOp>(group: string, request: RequestOf<O>, options: RoutedRequestOptions = {}): Promise<ResultOf<O>> {
    const state = new CallState();
    return this.retrier.run((ctx) => this.attemptCoordinator<O>(group, request, state, this.attemptOptions(options, ctx.remainingMs)), {
      onRetriable: (err) => this.onCoordinatorError(err, group, state),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  }

  // ------------------------------------------------------------ any broker

  /** A request any broker can answer, retried (after a retriable error, on another broker when there is one). */
  anyRequest<O extends RequestOp>(request: RequestOf<O>, options: RoutedRequestOptions = {}): Promise<ResultOf<O>> {
    const state = new CallState();
    let lastUrl: string | undefined;
    return this.retrier.run(
      async (ctx) => {
        const conn = await this.anyConnection(lastUrl);
        lastUrl = conn.url;
        return conn.request<O>(request, this.attemptOptions(options, ctx.remainingMs));
      },
      { onRetriable: (err) => this.onAnyError(err, state), ...(options.signal === undefined ? {} : { signal: options.signal }) },
    );
  }

  /** Routing correction shared by every target: refresh next time, and stop on a second unknown topic. */
  onAnyError(err: RlogError, state: CallState): RetryAction {
    if (err.code === ErrorCode.UNKNOWN_TOPIC || err.code === ErrorCode.UNKNOWN_PARTITION) {
      state.unknownCount++;
      if (state.unknownCount >= 2) throw err;
      this.askController = true;
    }
    if (err.code !== ErrorCode.NOT_ENOUGH_REPLICAS && err.code !== ErrorCode.TOO_MANY_REQUESTS) this.markStale();
    return "backoff";
  }

  // ------------------------------------------------------------ lifecycle

  /** Close every connection. Requests in flight fail with ClosedError. */
  async close(): Promise<void> {
    this.closed = true;
    const conns = [...this.pool.values()];
    this.pool.clear();
    await Promise.all(conns.map((c) => c.close()));
  }

  private connectionToBroker(brokerId: number): Connection {
    const url = this.cache.urlOf(brokerId);
    if (url === undefined) {
      this.markStale();
      throw new RlogError("BROKER_NOT_AVAILABLE", `broker ${brokerId} is not in the metadata`);
    }
    return this.connectionTo(url);
  }

  private attemptOptions(options: RoutedRequestOptions, remainingMs: number): RequestOptions {
    const timeoutMs = Math.min(options.timeoutMs ?? this.options.requestTimeoutMs, remainingMs);
    return options.signal === undefined ? { timeoutMs } : { timeoutMs, signal: options.signal };
  }

  private throwIfClosed(): void {
    if (this.closed) throw new ClosedError("client");
  }
}

function unknownTopic(topic: string): RlogError {
  return new RlogError("UNKNOWN_TOPIC", `topic ${topic} is not in the cluster metadata`);
}
