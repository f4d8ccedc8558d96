/**
 * A fake rlog cluster for the client tests: several brokers on 127.0.0.1
 * (port 0) speaking the real wire protocol (frames.ts: decodeRequest
 * validates every request the SDK sends), sharing one FakeState.
 *
 * A broker that does not lead a partition answers NOT_LEADER with a hint
 * (or without one, when `hints` is off); one that is not the controller
 * answers NOT_CONTROLLER. Tests shape the traffic with interceptors
 * (answer an error, delay, hang, close, or write and lose the response),
 * move leaders, drop connections, and read the request log.
 */
import { WebSocketServer, WebSocket, type RawData } from "ws";
import { RlogError } from "../../broker/protocol/errors.js";
import { decodeRequest, encodeError, encodeResult } from "../../broker/protocol/frames.js";
import { DEFAULT_LIMITS, type Limits } from "../../broker/protocol/limits.js";
import type { Request } from "../../broker/protocol/ops.js";
import { PROTOCOL_VERSION } from "../../broker/protocol/version.js";
import { FakeState, type FakePartition } from "./fake-state.js";

/** What an interceptor may do with a request. */
export type Interception =
  /** Answer this error instead of handling the request. */
  | { readonly kind: "error"; readonly error: RlogError }
  /** Handle the request after a delay. */
  | { readonly kind: "delay"; readonly delayMs: number }
  /** Never answer. */
  | { readonly kind: "hang" }
  /** Close the connection without handling the request. */
  | { readonly kind: "close" }
  /** Handle the request (the write happens), then close the connection instead of answering. */
  | { readonly kind: "lose-response" };

/** A request as an interceptor sees it. */
export interface SeenRequest {
  readonly brokerId: number;
  readonly request: Request;
}

/** Returns what to do with a request, or undefined to handle it normally. */
export type Interceptor = (seen: SeenRequest) => Interception | undefined;

/** Options of FakeCluster.start. */
export interface FakeClusterOptions {
  readonly brokers?: number;
  /** Limits announced in the handshake and enforced on requests. */
  readonly limits?: Partial<Limits>;
}

interface Conn {
  readonly ws: WebSocket;
  handshaken: boolean;
  inflight: number;
}

/** One fake broker: a WebSocket listener with an id. */
class FakeBroker {
  readonly conns = new Set<Conn>();
  constructor(
    readonly brokerId: number,
    readonly server: WebSocketServer,
    readonly url: string,
  ) {}
}

/** The fake cluster; see the file comment. */
export class FakeCluster {
  readonly state: FakeState;
  /** Every request handled, in arrival order (handshakes included). */
  readonly log: SeenRequest[] = [];
  /** Most requests one connection had outstanding at once. */
  maxInflightSeen = 0;
  /** Whether NOT_LEADER / NOT_CONTROLLER carry a leader hint. */
  hints = true;
  /** Topics a broker leaves out of its metadata answers (one that has not applied their creation yet). */
  readonly laggingTopics = new Map<number, ReadonlySet<string>>();
  /**
   * Refuse handshakes with this error, then close: with the handshake's id
   * (like UNSUPPORTED_VERSION) or with id 0 (like TOO_MANY_CONNECTIONS).
   */
  refuseHandshake: { readonly error: RlogError; readonly idZero: boolean } | undefined;
  readonly limits: Limits;
  private readonly interceptors = new Set<Interceptor>();
  private readonly brokers: FakeBroker[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(limits: Limits, brokers: { id: number; server: WebSocketServer; url: string }[]) {
    this.limits = limits;
    for (const b of brokers) this.brokers.push(new FakeBroker(b.id, b.server, b.url));
    this.state = new FakeState(
      brokers.map((b) => b.id),
      (id) => this.broker(id).url,
    );
    for (const b of this.brokers) b.server.on("connection", (ws) => this.onConnection(b, ws));
  }

  /** Start `brokers` fake brokers (default 3) on 127.0.0.1, port 0. */
  static async start(options: FakeClusterOptions = {}): Promise<FakeCluster> {
    const n = options.brokers ?? 3;
    const started = await Promise.all(
      Array.from({ length: n }, (_, i) => {
        return new Promise<{ id: number; server: WebSocketServer; url: string }>((resolve, reject) => {
          const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
          server.once("error", reject);
          server.once("listening", () => {
            const addr = server.address();
            const port = typeof addr === "object" && addr !== null ? addr.port : 0;
            resolve({ id: i + 1, server, url: `ws://127.0.0.1:${port}` });
          });
        });
      }),
    );
    return new FakeCluster({ ...DEFAULT_LIMITS, ...options.limits }, started);
  }

  /** Client URLs of every broker, by broker id order. */
  get urls(): string[] {
    return this.brokers.map((b) => b.url);
  }

  /** Add an interceptor; returns a function that removes it. */
  intercept(fn: Interceptor): () => void {
    this.interceptors.add(fn);
    return () => this.interceptors.delete(fn);
  }

  /** Requests of one op in the log. */
  requests<O extends Request["op"]>(op: O): (SeenRequest & { readonly request: Extract<Request, { op: O }> })[] {
    return this.log.filter((s) => s.request.op === op) as (SeenRequest & { readonly request: Extract<Request, { op: O }> })[];
  }

  /** Close every client connection (of one broker, or all). */
  dropConnections(brokerId?: number): void {
    for (const b of this.brokers) {
      if (brokerId !== undefined && b.brokerId !== brokerId) continue;
      for (const c of b.conns) c.ws.terminate();
    }
  }

  /** Open client connections (of one broker, or all). */
  connectionCount(brokerId?: number): number {
    let n = 0;
    for (const b of this.brokers) if (brokerId === undefined || b.brokerId === brokerId) n += b.conns.size;
    return n;
  }

  /** Stop every broker and close every connection. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const parts of this.state.topics.values()) for (const p of parts) for (const w of [...p.waiters]) w();
    await Promise.all(
      this.brokers.map(
        (b) =>
          new Promise<void>((resolve) => {
            for (const c of b.conns) c.ws.terminate();
            b.server.close(() => resolve());
          }),
      ),
    );
  }

  private broker(id: number): FakeBroker {
    const b = this.brokers.find((x) => x.brokerId === id);
    if (b === undefined) throw new Error(`no fake broker ${id}`);
    return b;
  }

  private onConnection(broker: FakeBroker, ws: WebSocket): void {
    const conn: Conn = { ws, handshaken: false, inflight: 0 };
    broker.conns.add(conn);
    ws.on("close", () => broker.conns.delete(conn));
    ws.on("error", () => ws.terminate());
    ws.on("message", (data: RawData) => this.onFrame(broker, conn, data as Buffer));
  }

  private onFrame(broker: FakeBroker, conn: Conn, data: Buffer): void {
    const decoded = decodeRequest(data, this.limits);
    if (!decoded.ok) {
      this.send(conn, encodeError(decoded.id, decoded.error));
      if (decoded.id === 0) conn.ws.close(4000, "bad frame");
      return;
    }
    const { id, request } = decoded;
    this.log.push({ brokerId: broker.brokerId, request });
    if (!conn.handshaken) {
      if (request.op !== "handshake") {
        this.send(conn, encodeError(0, new RlogError("INVALID_REQUEST", "handshake first")));
        conn.ws.close(4000, "handshake first");
        return;
      }
      if (this.refuseHandshake !== undefined) {
        this.send(conn, encodeError(this.refuseHandshake.idZero ? 0 : id, this.refuseHandshake.error));
        conn.ws.close(4004, "refused");
        return;
      }
      conn.handshaken = true;
      this.send(conn, encodeResult<"handshake">(id, { brokerId: broker.brokerId, version: PROTOCOL_VERSION, limits: this.limits }));
      return;
    }
    if (conn.inflight >= this.limits.inflightRequestsMax) {
      this.send(conn, encodeError(id, new RlogError("TOO_MANY_REQUESTS", "too many requests in flight")));
      return;
    }
    conn.inflight++;
    this.maxInflightSeen = Math.max(this.maxInflightSeen, conn.inflight);
    let action: Interception | undefined;
    for (const fn of this.interceptors) {
      action = fn({ brokerId: broker.brokerId, request });
      if (action !== undefined) break;
    }
    const answer = (bytes: Uint8Array): void => {
      conn.inflight--;
      this.send(conn, bytes);
    };
    const handle = (): Promise<Uint8Array> =>
      this.handle(broker.brokerId, request).then(
        (result) => encodeResult(id, result as never),
        (err: unknown) => encodeError(id, err instanceof RlogError ? err : new RlogError("INTERNAL_ERROR", String(err))),
      );
    switch (action?.kind) {
      case undefined:
        void handle().then(answer);
        return;
      case "error":
        answer(encodeError(id, action.error));
        return;
      case "hang":
        return;
      case "close":
        conn.ws.terminate();
        return;
      case "lose-response":
        void handle().then(() => conn.ws.terminate());
        return;
      case "delay": {
        const t = setTimeout(() => {
          this.timers.delete(t);
          void handle().then(answer);
        }, action.delayMs);
        this.timers.add(t);
        return;
      }
    }
  }

  private send(conn: Conn, bytes: Uint8Array): void {
    if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(bytes);
  }

  private leaderOf(brokerId: number, topic: string, partition: number): FakePartition {
    const p = this.state.partition(topic, partition);
    if (p.leader === 0) throw new RlogError("LEADER_NOT_AVAILABLE", `${topic}/${partition} has no leader`);
    if (p.leader !== brokerId) {
      throw new RlogError("NOT_LEADER", `${topic}/${partition} is led by ${p.leader}`, this.hints ? { leader: this.state.hint(p.leader) } : undefined);
    }
    return p;
  }

  private requireController(brokerId: number): void {
    const c = this.state.controllerId;
    if (c !== brokerId) throw new RlogError("NOT_CONTROLLER", `the controller is ${c}`, this.hints ? { leader: this.state.hint(c) } : undefined);
  }

  private async handle(brokerId: number, req: Request): Promise<unknown> {
    const s = this.state;
    switch (req.op) {
      case "metadata": {
        const md = s.metadata();
        const lagging = this.laggingTopics.get(brokerId);
        return lagging === undefined ? md : { ...md, topics: md.topics.filter((t) => !lagging.has(t.name)) };
      }
      case "createTopic":
        this.requireController(brokerId);
        return { topic: s.createTopic(req.name, req.partitions, req.replicationFactor) };
      case "alterTopic":
        this.requireController(brokerId);
        return { topic: req.partitions === undefined ? s.describe(req.name) : s.addPartitions(req.name, req.partitions) };
      case "deleteTopic":
        this.requireController(brokerId);
        if (!s.topics.delete(req.name)) throw new RlogError("UNKNOWN_TOPIC", `no topic ${req.name}`);
        return {};
      case "describeTopic":
        return { topic: s.describe(req.name) };
      case "listTopics":
        return { topics: [...s.topics.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, parts]) => ({ name, partitions: parts.length, replicationFactor: parts[0]?.replicas.length ?? 1, internal: false })) };
      case "produce":
        return this.leaderOf(brokerId, req.topic, req.partition).produce(req);
      case "fetch":
        return this.fetch(brokerId, this.leaderOf(brokerId, req.topic, req.partition), req);
      case "listOffsets":
        return this.leaderOf(brokerId, req.topic, req.partition).listOffsets(req);
      case "initProducerId":
        return { producerId: s.newProducerId(), producerEpoch: 0 };
      case "transferLeader": {
        const p = this.leaderOf(brokerId, req.topic, req.partition);
        const to = req.toBrokerId ?? p.replicas.find((r) => r !== p.leader) ?? p.leader;
        s.moveLeader(req.topic, req.partition, to);
        return { leader: p.leader, term: p.term };
      }
      case "rebalanceLeaders": {
        this.requireController(brokerId);
        const moves = [];
        for (const parts of s.topics.values()) {
          for (const p of parts) {
            const preferred = p.replicas[0] as number;
            if (p.leader !== preferred && (req.topic === undefined || req.topic === p.topic)) {
              moves.push({ topic: p.topic, partition: p.partition, fromBrokerId: p.leader, toBrokerId: preferred });
              s.moveLeader(p.topic, p.partition, preferred);
            }
          }
        }
        return { moves };
      }
      case "clusterStatus":
        return {
          brokers: s.brokerIds.map((id) => ({ brokerId: id, clientUrl: this.broker(id).url, reachable: true })),
          controller: { leader: s.controllerId, term: 1 },
          partitions: [...s.topics.values()].flat().map((p) => ({
            topic: p.topic,
            partition: p.partition,
            leader: p.leader,
            term: p.term,
            preferredLeader: p.replicas[0] ?? 0,
            highWatermark: p.endOffset,
            logStartOffset: p.logStartOffset,
            replicas: p.replicas.map((r) => ({ brokerId: r, matchIndex: 0, lagEntries: 0, reachable: true })),
          })),
        };
      default:
        throw new RlogError("UNKNOWN_OPERATION", `fake broker does not do ${req.op}`);
    }
  }

  /**
   * Long poll: answer at once when there is data, else when some arrives or
   * maxWaitMs passes; NOT_LEADER if the leadership moved meanwhile.
   */
  private fetch(brokerId: number, p: FakePartition, req: Extract<Request, { op: "fetch" }>): Promise<unknown> {
    const now = p.read(req);
    if (now !== undefined || req.maxWaitMs === 0) return Promise.resolve(now ?? p.empty());
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.timers.delete(timer);
        p.waiters.delete(done);
        try {
          this.leaderOf(brokerId, req.topic, req.partition);
          resolve(p.read(req) ?? p.empty());
        } catch (err) {
          reject(err);
        }
      };
      const timer = setTimeout(done, req.maxWaitMs);
      this.timers.add(timer);
      p.waiters.add(done);
    });
  }
}
