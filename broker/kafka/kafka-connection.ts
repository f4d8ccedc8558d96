/**
 * One Kafka-protocol connection: splits the byte stream into size-prefixed
 * requests, parses each request header, runs the API (kafka-api.ts) and
 * writes the responses in request order, as Kafka requires (a client may
 * pipeline requests; each response carries its request's correlation id).
 *
 * Bounds (docs/KAFKA.md, "Limits"):
 * - a size prefix above kafka.requestBytesMax (or below a header's size)
 *   closes the connection before the request is read;
 * - at most kafka.inflightRequestsMax requests run at once; past it, and
 *   while the connection is over its response budget (the same
 *   ResponseBudget as the WebSocket listener's, response-budget.ts), the
 *   socket is not read;
 * - a client that does not read its responses is closed once its unsent
 *   bytes have not moved for limits.sendStallMs;
 * - a connection idle for kafka.idleMs is closed.
 *
 * Bad input: an unparsable header or body closes the connection (logged at
 * info, the broker goes on); an unknown API key, or a version this broker
 * does not answer, gets a response holding UNSUPPORTED_VERSION (ApiVersions
 * gets its full v0 answer listing the versions, so the client can retry),
 * and any other API's is followed by a close, since its response shape is
 * unknown to the client. Before a required SASL login only ApiVersions,
 * SaslHandshake and SaslAuthenticate are answered; anything else closes.
 */
import type { Socket } from "node:net";
import type { Logger } from "pino";
import { ApiKey, isFlexible, PRE_AUTH_API_KEYS } from "./api-keys.js";
import { apiVersionsBody } from "./apis/api-versions.js";
import type { HandlerRequest, KafkaApi, KafkaApiContext, KafkaClusterView, KafkaConnectionAuth, KafkaRequestHeader } from "./kafka-api.js";
import { KafkaError } from "./kafka-errors.js";
import { KafkaDecodeError, KafkaReader } from "./kafka-reader.js";
import { KafkaWriter } from "./kafka-writer.js";
import type { ResultOf } from "../protocol/ops.js";
import type { ConnectionBudget, ReservationHolder, Stall } from "../server/response-budget.js";
import type { KafkaListenerSettings } from "../../config/broker-config.js";

/** Bytes of the smallest request header: api key, version, correlation id, client id length. */
const HEADER_BYTES_MIN = 10;

/** How an API runs an rlog op for a connection (the listener's validate, authorize, handle); `clientId` is the request header's. */
export type KafkaOpCall = <R extends HandlerRequest>(request: R, principal: string, signal: AbortSignal, holder: RequestHolder, clientId: string) => Promise<ResultOf<R["op"]>>;

/** A request's hold on the response budget (what its fetches reserved). */
export interface RequestHolder extends ReservationHolder {
  readonly budget: ConnectionBudget;
}

/** What a connection needs from its listener. */
export interface KafkaConnectionDeps {
  readonly connectionId: number;
  readonly socket: Socket;
  readonly log: Logger;
  readonly settings: KafkaListenerSettings;
  readonly apis: ReadonlyMap<number, KafkaApi>;
  readonly cluster: KafkaClusterView;
  readonly auth: KafkaConnectionAuth;
  readonly call: KafkaOpCall;
  /** The listener's authorization check alone: throws the refusal. */
  readonly authorize: (request: HandlerRequest, principal: string) => void;
  /** This connection's share of the listener's response budget. */
  readonly budget: (onStalled: (stall: Stall) => void) => ConnectionBudget;
  /** Called once when the connection has closed. */
  readonly onClosed: () => void;
  /** Called for each request whose API and version are answered (by API name), for metrics. */
  readonly onRequest: (api: string) => void;
}

/** A request whose response is not written yet. */
interface Pending {
  readonly header: KafkaRequestHeader;
  readonly holder: RequestHolder;
  readonly requestBytes: number;
  readonly startedMs: number;
  /** The response body once ready (null: no response); undefined while the API runs. */
  body: Uint8Array[] | null | undefined;
  /** Close the connection after this response (an answer the client cannot parse). */
  closeAfter: boolean;
}

/** See the file comment. */
export class KafkaConnection {
  private readonly log: Logger;
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private readonly queue: Pending[] = [];
  private running = 0;
  private closed = false;
  private readonly abort = new AbortController();
  private readonly budget: ConnectionBudget;
  private idleTimer: NodeJS.Timeout | undefined;
  private paused = false;

  constructor(private readonly deps: KafkaConnectionDeps) {
    this.log = deps.log;
    this.budget = deps.budget((stall) => {
      this.log.info({ unsentBytes: stall.unsentBytes, stalledMs: Math.round(stall.stalledMs) }, "kafka client does not read its responses; closing");
      this.close();
    });
    const s = deps.socket;
    s.on("data", (d: Buffer) => this.onData(d));
    s.on("error", (err) => this.log.debug({ err }, "kafka connection error"));
    s.on("close", () => this.onSocketClosed());
    this.armIdle();
  }

  /** Close the connection (idempotent). */
  close(): void {
    if (this.closed) return;
    this.deps.socket.destroy();
    this.onSocketClosed();
  }

  private onSocketClosed(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.abort.abort(new Error("connection closed"));
    this.budget.close();
    this.deps.onClosed();
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    if (this.closed) return;
    this.idleTimer = setTimeout(() => {
      if (this.queue.length > 0) return this.armIdle();
      this.log.debug({ idleMs: this.deps.settings.idleMs }, "kafka connection idle; closing");
      this.close();
    }, this.deps.settings.idleMs);
    this.idleTimer.unref();
  }

  // ---- frames in ------------------------------------------------------------

  private onData(data: Buffer): void {
    if (this.closed) return;
    this.chunks.push(data);
    this.buffered += data.byteLength;
    this.drainFrames();
  }

  private drainFrames(): void {
    while (!this.closed && !this.blocked() && this.buffered >= 4) {
      const head = this.peek(4);
      const size = head.readInt32BE(0);
      if (size < HEADER_BYTES_MIN || size > this.deps.settings.requestBytesMax) {
        this.log.info({ size, requestBytesMax: this.deps.settings.requestBytesMax }, "kafka request size out of bounds; closing");
        this.close();
        return;
      }
      if (this.buffered < 4 + size) return;
      const frame = this.take(4 + size).subarray(4);
      this.onRequest(frame);
    }
    this.updatePause();
  }

  /** The first n buffered bytes (joined when split across chunks), without consuming them. */
  private peek(n: number): Buffer {
    if (this.chunks[0]!.byteLength >= n) return this.chunks[0]!;
    const joined = Buffer.concat(this.chunks);
    this.chunks.length = 0;
    this.chunks.push(joined);
    return joined;
  }

  private take(n: number): Buffer {
    const first = this.peek(n);
    const out = first.subarray(0, n);
    if (first.byteLength === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }

  private blocked(): boolean {
    return this.running >= this.deps.settings.inflightRequestsMax || this.budget.readingBlocked;
  }

  private updatePause(): void {
    const block = !this.closed && this.blocked();
    if (block && !this.paused) {
      this.paused = true;
      this.deps.socket.pause();
    } else if (!block && this.paused) {
      this.paused = false;
      this.deps.socket.resume();
      // Requests already buffered wait for no more data.
      queueMicrotask(() => this.drainFrames());
    }
  }

  // ---- requests ---------------------------------------------------------------

  private onRequest(frame: Buffer): void {
    this.armIdle();
    const r = new KafkaReader(frame);
    let header: KafkaRequestHeader;
    try {
      const apiKey = r.int16("api_key");
      const apiVersion = r.int16("api_version");
      const correlationId = r.int32("correlation_id");
      const clientId = r.nullableString("client_id");
      header = { apiKey, apiVersion, correlationId, clientId };
      // Tagged fields end a flexible header; an unsupported version is answered without reading further.
      const known = this.deps.apis.get(apiKey);
      if (known !== undefined && apiVersion >= known.minVersion && apiVersion <= known.maxVersion && isFlexible(apiKey, apiVersion)) r.skipTaggedFields("request header tagged fields");
    } catch (err) {
      this.log.info({ err: (err as Error).message }, "kafka request header does not parse; closing");
      this.close();
      return;
    }
    const api = this.deps.apis.get(header.apiKey);
    const holder: RequestHolder = { reservedBytes: 0, budget: this.budget };
    const pending: Pending = { header, holder, requestBytes: frame.byteLength, startedMs: performance.now(), body: undefined, closeAfter: false };
    this.queue.push(pending);
    if (this.deps.auth.required && this.deps.auth.principal === undefined && !PRE_AUTH_API_KEYS.has(header.apiKey)) {
      this.log.info({ apiKey: header.apiKey, clientId: header.clientId }, "kafka request before SASL authentication; closing");
      this.close();
      return;
    }
    if (api === undefined || header.apiVersion < api.minVersion || header.apiVersion > api.maxVersion) {
      this.answerUnsupported(pending, api);
      return;
    }
    this.running++;
    this.deps.onRequest(api.name);
    this.budget.holdRequest(frame.byteLength);
    const ctx: KafkaApiContext = {
      header,
      connectionId: this.deps.connectionId,
      signal: this.abort.signal,
      cluster: this.deps.cluster,
      auth: this.deps.auth,
      log: this.log,
      authorize: (request: HandlerRequest) => this.deps.authorize(request, this.deps.auth.principal ?? "User:ANONYMOUS"),
      closeAfterResponse: () => {
        pending.closeAfter = true;
      },
      call: <R extends HandlerRequest>(request: R, signal?: AbortSignal) =>
        this.deps.call<R>(request, this.deps.auth.principal ?? "User:ANONYMOUS", signal === undefined ? this.abort.signal : AbortSignal.any([this.abort.signal, signal]), holder, (header.clientId ?? "kafka").slice(0, this.deps.cluster.limits.stringLengthMax)),
      keepReserved: (keptBytes: number) => {
        const extra = holder.reservedBytes - Math.max(0, keptBytes);
        if (extra <= 0) return;
        holder.reservedBytes -= extra;
        this.budget.release(extra);
      },
    };
    let outcome: Promise<KafkaWriter | null>;
    try {
      outcome = Promise.resolve(api.handle(header.apiVersion, r, ctx));
    } catch (err) {
      outcome = Promise.reject(err);
    }
    outcome.then(
      (w) => this.settle(pending, w === null ? null : w.finish()),
      (err: unknown) => {
        if (err instanceof KafkaDecodeError) this.log.info({ api: api.name, version: header.apiVersion, err: err.message }, "kafka request body does not parse; closing");
        else this.log.error({ api: api.name, version: header.apiVersion, err }, "kafka API failed; closing the connection");
        this.settle(pending, undefined);
        this.close();
      },
    );
    this.updatePause();
  }

  private answerUnsupported(pending: Pending, api: KafkaApi | undefined): void {
    const { apiKey, apiVersion } = pending.header;
    if (apiKey === ApiKey.ApiVersions) {
      // Kafka's rule: answer in v0 with the versions we know, keep the connection.
      pending.body = apiVersionsBody(0, KafkaError.UNSUPPORTED_VERSION, [...this.deps.apis.values()]).finish();
    } else {
      this.log.info({ apiKey, apiVersion, api: api?.name, versions: api === undefined ? undefined : `${api.minVersion}-${api.maxVersion}` }, "kafka API or version not supported; answering UNSUPPORTED_VERSION and closing");
      pending.body = new KafkaWriter().int16(KafkaError.UNSUPPORTED_VERSION).finish();
      pending.closeAfter = true;
    }
    this.flush();
  }

  /** A request's API finished: `body` to answer, null to answer nothing (acks 0), undefined when it failed. */
  private settle(pending: Pending, body: Uint8Array[] | null | undefined): void {
    this.running--;
    this.budget.releaseRequest(pending.requestBytes);
    if (body === undefined || body === null) {
      this.budget.release(pending.holder.reservedBytes);
      pending.holder.reservedBytes = 0;
    }
    if (body === undefined) return;
    pending.body = body;
    this.flush();
    this.updatePause();
    if (!this.paused) this.drainFrames();
  }

  // ---- responses out ----------------------------------------------------------

  /** Write every response at the head of the queue that is ready, in request order. */
  private flush(): void {
    while (!this.closed && this.queue.length > 0 && this.queue[0]!.body !== undefined) {
      const p = this.queue.shift()!;
      const body = p.body;
      if (body === null || body === undefined) continue; // acks 0: Kafka sends no response
      let size = 4; // correlation id (response header v0; flexible APIs other than ApiVersions would add tagged fields)
      for (const c of body) size += c.byteLength;
      const head = Buffer.allocUnsafe(8);
      head.writeInt32BE(size, 0);
      head.writeInt32BE(p.header.correlationId, 4);
      const s = this.deps.socket;
      const reserved = p.holder.reservedBytes;
      p.holder.reservedBytes = 0;
      this.budget.sent(size + 4, reserved);
      s.cork();
      s.write(head);
      for (let i = 0; i < body.length; i++) s.write(body[i]!, i === body.length - 1 ? this.budget.onWritten : undefined);
      if (body.length === 0) s.write(Buffer.alloc(0), this.budget.onWritten);
      s.uncork();
      this.log.debug({ api: p.header.apiKey, version: p.header.apiVersion, correlationId: p.header.correlationId, bytes: size + 4, ms: Math.round(performance.now() - p.startedMs) }, "kafka request answered");
      if (p.closeAfter) {
        this.deps.socket.end();
        this.onSocketClosed();
        return;
      }
    }
  }
}
