/**
 * One WebSocket connection to one broker: connect and handshake on first
 * use, pipelined requests matched by id, per-request timeouts, and bounded
 * concurrency.
 *
 * - The handshake is the first frame; it names PROTOCOL_VERSION and learns
 *   the broker's limits (frame size, in-flight bound, ...). When the broker
 *   asks for SCRAM-SHA-256, the login (scram-login.ts) runs next, within
 *   connectTimeoutMs; without credentials, or when refused, opening fails
 *   with AUTHENTICATION_FAILED (not retriable).
 * - At most min(inflightRequestsMax option, broker's inflightRequestsMax)
 *   requests are outstanding; further requests wait in a local FIFO of at
 *   most `queuedRequestsMax` (the caller's promise is the back-pressure).
 *   Beyond that bound a request fails at once with TOO_MANY_REQUESTS
 *   (retriable: the retrier's backoff slows the caller down).
 * - A request that times out (TIMEOUT) or is aborted is answered at once, but
 *   its id and slot stay reserved until the broker answers it or the
 *   connection closes: the broker still counts it, and ids must not be
 *   reused while outstanding. When half the slots are held that way the
 *   broker is not answering, and the connection is closed.
 * - When the socket closes, every outstanding and waiting request fails with
 *   BROKER_NOT_AVAILABLE (retriable; the retrier resends), or with the error
 *   the broker sent with id 0 just before closing (e.g. TOO_MANY_CONNECTIONS).
 *   The next request reconnects; that is how a connection the broker closed
 *   as idle (IdleTimeout, 4008, after connectionIdleMs) comes back.
 * - The socket itself is socket.ts (ws in Node; the page's WebSocket in the
 *   browser build, socket-browser.ts).
 */
import { CloseCode } from "../../broker/protocol/close-codes.js";
import { RlogError } from "../../broker/protocol/errors.js";
import { decodeResponse, encodeRequest } from "../../broker/protocol/frames.js";
import { DEFAULT_LIMITS, FIXED_LIMITS, type Limits } from "../../broker/protocol/limits.js";
import type { OpName, Request, RequestOf, ResultOf } from "../../broker/protocol/ops.js";
import type { HandshakeResult } from "../../broker/protocol/results.js";
import { PROTOCOL_VERSION } from "../../broker/protocol/version.js";
import type { Logger } from "../logger.js";
import type { ClientTlsOptions } from "../client-options.js";
import { brokerNotAvailable, ClosedError, requestTimeout } from "./client-errors.js";
import { readHandshake } from "./handshake.js";
import { SASL_MECHANISM, type ScramLogin } from "./scram-login.js";
import { openSocket, type ClientSocket } from "./socket.js";
import { hopTrace } from "../../broker/protocol/hop-trace.js";

/** How long close() waits for the broker's close frame before cutting the socket (the broker's closeWaitMs is the same). */
const CLOSE_WAIT_MS = 1_000;

/** Settings of one connection. */
export interface ConnectionOptions {
  /** The broker's client listener, e.g. "ws://127.0.0.1:9092". */
  readonly url: string;
  /** Sent in the handshake, for broker logs. */
  readonly clientId: string;
  /** Default time a request may take, queueing included, in ms. */
  readonly requestTimeoutMs: number;
  /** Time to open the socket and complete the handshake, in ms. */
  readonly connectTimeoutMs: number;
  /** Client-side cap on outstanding requests; the broker's own limit caps it further. */
  readonly inflightRequestsMax: number;
  /** Most requests waiting locally for a slot (or for the connection to open). */
  readonly queuedRequestsMax: number;
  /** Largest response frame accepted (the socket's maxPayload). */
  readonly frameBytesMax: number;
  readonly logger: Logger;
  /** TLS settings for a wss:// url. */
  readonly tls?: ClientTlsOptions;
  /** SCRAM credentials, shared by the client's connections; none when absent. */
  readonly sasl?: ScramLogin;
}

/** Per-request settings. */
export interface RequestOptions {
  /** Overrides requestTimeoutMs for this request (e.g. a long poll adds its wait). */
  readonly timeoutMs?: number;
  /** Stop waiting for the answer when aborted; the abort reason is thrown. */
  readonly signal?: AbortSignal;
}

/** Every op except the handshake, which the connection sends itself. */
export type RequestOp = Exclude<OpName, "handshake" | "authenticate">;

type WireMap = Readonly<Record<string, unknown>>;

/** One request from the caller's view. */
interface Call {
  readonly request: Request;
  /** waiting: not yet sent (opening or no free slot); sent: outstanding; done: answered to the caller. */
  state: "waiting" | "sent" | "done";
  readonly resolve: (result: WireMap) => void;
  readonly reject: (err: unknown) => void;
  readonly cleanup: () => void;
}

/** A connection to one broker; see the file comment. */
export class Connection {
  private socket: ClientSocket | undefined;
  private opening: Promise<HandshakeResult> | undefined;
  private failOpening: ((err: RlogError) => void) | undefined;
  private handshake: HandshakeResult | undefined;
  /** Sent requests by id. A call whose state is "done" was abandoned (timed out or aborted). */
  private readonly outstanding = new Map<number, Call>();
  private abandonedCount = 0;
  /** FIFO of calls not yet sent, at most queuedRequestsMax. */
  private readonly waiting: Call[] = [];
  private nextId = 1;
  /** The id-0 error the broker sent before closing, to report instead of a bare close. */
  private refusal: RlogError | undefined;
  private closedByUser = false;
  /** The last socket error before the connection opened: what a refused TLS handshake or dial reports. */
  private dialError: (Error & { code?: string }) | undefined;

  constructor(private readonly options: ConnectionOptions) {}

  /** The broker's URL. */
  get url(): string {
    return this.options.url;
  }

  /** Whether the socket is open and the handshake done. */
  get isReady(): boolean {
    return this.handshake !== undefined;
  }

  /** The broker's id, once a handshake has completed. */
  get brokerId(): number | undefined {
    return this.handshake?.brokerId;
  }

  /** The broker's limits, once a handshake has completed. */
  get limits(): Limits | undefined {
    return this.handshake?.limits;
  }

  /** Requests sent and not yet answered by the broker (abandoned ones included). */
  get outstandingCount(): number {
    return this.outstanding.size;
  }

  /** Open the connection (if needed) and return the handshake result. */
  connect(): Promise<HandshakeResult> {
    if (this.closedByUser) return Promise.reject(new ClosedError("connection"));
    if (this.handshake !== undefined) return Promise.resolve(this.handshake);
    return this.open();
  }

  /**
   * Send one request and wait for its result.
   * @throws RlogError with the broker's code, TIMEOUT, BROKER_NOT_AVAILABLE or TOO_MANY_REQUESTS
   */
  request<O extends RequestOp>(request: RequestOf<O>, options: RequestOptions = {}): Promise<ResultOf<O>> {
    if (this.closedByUser) return Promise.reject(new ClosedError("connection"));
    if (this.waiting.length >= this.options.queuedRequestsMax) {
      return Promise.reject(new RlogError("TOO_MANY_REQUESTS", `${this.url}: ${this.waiting.length} requests already wait for a slot`));
    }
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs;
    const signal = options.signal;
    return new Promise<ResultOf<O>>((resolve, reject) => {
      const onAbort = (): void => this.giveUp(call, signal?.reason);
      const timer = setTimeout(() => this.giveUp(call, requestTimeout(this.url, request.op, timeoutMs)), timeoutMs);
      const call: Call = {
        request: request as Request,
        state: "waiting",
        resolve: (result) => resolve(result as unknown as ResultOf<O>),
        reject,
        cleanup: () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
        },
      };
      if (signal?.aborted) {
        call.cleanup();
        reject(signal.reason);
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(call);
      this.pump();
    });
  }

  /** Close the connection; outstanding and waiting requests fail with ClosedError. Idempotent. */
  async close(): Promise<void> {
    this.closedByUser = true;
    const err = new ClosedError("connection");
    this.failWaiting(err);
    this.failOutstanding(err);
    const ws = this.socket;
    if (ws === undefined || ws.isClosed) return;
    const cut = setTimeout(() => ws.terminate(), CLOSE_WAIT_MS);
    if (ws.isConnecting) ws.terminate();
    else ws.close(CloseCode.Normal, "client closed");
    await ws.closed;
    clearTimeout(cut);
  }

  private slotsMax(): number {
    return Math.max(1, Math.min(this.options.inflightRequestsMax, this.handshake?.limits.inflightRequestsMax ?? 1));
  }

  /** Send waiting calls while slots are free; open the connection first if needed. */
  private pump(): void {
    if (this.waiting.length === 0 || this.closedByUser) return;
    if (this.handshake === undefined) {
      void this.open().catch(() => undefined); // open() fails the waiting calls itself
      return;
    }
    while (this.waiting.length > 0 && this.outstanding.size < this.slotsMax()) {
      const call = this.waiting.shift() as Call;
      this.send(call);
    }
  }

  private open(): Promise<HandshakeResult> {
    if (this.opening === undefined) {
      this.opening = this.connectAndHandshake().then(
        (hs) => {
          this.opening = undefined;
          this.pump();
          return hs;
        },
        (err: unknown) => {
          this.opening = undefined;
          this.failWaiting(err);
          throw err;
        },
      );
    }
    return this.opening;
  }

  private connectAndHandshake(): Promise<HandshakeResult> {
    const { url, connectTimeoutMs, frameBytesMax, logger } = this.options;
    return new Promise<HandshakeResult>((resolve, reject) => {
      // The socket's events fire only after openSocket has returned, so `ws` is set when they run.
      let ws: ClientSocket | undefined;
      const fail = (err: RlogError): void => {
        clearTimeout(timer);
        this.failOpening = undefined;
        reject(err);
      };
      const timer = setTimeout(() => {
        fail(brokerNotAvailable(url, `no handshake within ${connectTimeoutMs} ms`));
        ws?.terminate();
      }, connectTimeoutMs);
      const onOpen = (ws: ClientSocket): void => {
        const hello: Call = {
          request: { op: "handshake", version: PROTOCOL_VERSION, clientId: this.options.clientId },
          state: "waiting",
          resolve: (map) => {
            const hs = readHandshake(map);
            this.authenticate(hs).then(
              (principal) => {
                if (this.socket !== ws) return; // closed meanwhile: onClose failed the opening
                clearTimeout(timer);
                this.failOpening = undefined;
                this.handshake = hs;
                logger.debug({ url, brokerId: hs.brokerId, principal }, "connected");
                resolve(hs);
              },
              (err: unknown) => {
                fail(err instanceof RlogError ? err : brokerNotAvailable(url, String(err)));
                ws.close(CloseCode.Normal, "authentication failed");
              },
            );
          },
          reject: (err) => {
            fail(err instanceof RlogError ? err : brokerNotAvailable(url, String(err)));
            ws.close(CloseCode.Normal, "handshake failed");
          },
          cleanup: () => undefined,
        };
        this.send(hello);
      };
      try {
        ws = openSocket(url, { frameBytesMax, connectTimeoutMs, ...(this.options.tls === undefined ? {} : { tls: this.options.tls }) }, {
          onOpen: () => onOpen(ws as ClientSocket),
          onMessage: (bytes) => this.onMessage(ws as ClientSocket, bytes),
          onClose: (code, reason) => this.onClose(ws as ClientSocket, code, reason),
          // A socket error is always followed by "close", which fails the requests; keep its text for the log.
          onError: (err) => {
            logger.debug({ url, err: err.message }, "socket error");
            if (this.handshake === undefined) this.dialError = err;
          },
        });
      } catch (err) {
        clearTimeout(timer);
        reject(brokerNotAvailable(url, `cannot connect: ${err instanceof Error ? err.message : String(err)}`));
        return;
      }
      this.socket = ws;
      this.failOpening = fail;
    });
  }

  /**
   * The SASL exchange the broker asks for in its handshake result, if any.
   * @returns the connection's principal, or undefined when the broker asks for none
   */
  private async authenticate(hs: HandshakeResult): Promise<string | undefined> {
    const mechanisms = hs.authentication?.mechanisms ?? [];
    if (mechanisms.length === 0) return undefined;
    const { sasl, url } = this.options;
    if (!mechanisms.includes(SASL_MECHANISM)) {
      throw new RlogError("AUTHENTICATION_FAILED", `${url}: the broker asks for ${mechanisms.join(", ")}; this client speaks ${SASL_MECHANISM} only`);
    }
    if (sasl === undefined) {
      throw new RlogError(
        "AUTHENTICATION_FAILED",
        `${url}: the broker requires ${SASL_MECHANISM} authentication; give the client sasl: { mechanism: "scram-sha-256", username, password } (rlog-cli: --username and --password, or RLOG_USERNAME and RLOG_PASSWORD)`,
      );
    }
    return sasl.login(
      (message) =>
        new Promise((resolve, reject) => {
          this.send({ request: { op: "authenticate", mechanism: SASL_MECHANISM, message }, state: "waiting", resolve, reject, cleanup: () => undefined });
        }),
      url,
    );
  }

  private send(call: Call): void {
    const ws = this.socket;
    const id = this.allocateId();
    let frame: Uint8Array;
    try {
      frame = encodeRequest(id, call.request, this.handshake?.limits.frameBytesMax ?? DEFAULT_LIMITS.frameBytesMax);
    } catch (err) {
      this.settle(call, undefined, err);
      return;
    }
    if (ws === undefined) {
      this.settle(call, undefined, brokerNotAvailable(this.url, "not connected"));
      return;
    }
    call.state = "sent";
    this.outstanding.set(id, call);
    // A failed write means the socket is closing; its "close" event fails this call.
    hopTrace?.("client.out");
    ws.send(frame);
  }

  private allocateId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = id >= FIXED_LIMITS.requestIdMax ? 1 : id + 1;
      if (!this.outstanding.has(id)) return id;
    }
  }

  private onMessage(ws: ClientSocket, bytes: Uint8Array | undefined): void {
    hopTrace?.("client.in");
    if (ws !== this.socket) return;
    if (bytes === undefined) {
      this.protocolViolation(ws, "text frame from broker");
      return;
    }
    const decoded = decodeResponse(bytes, this.options.frameBytesMax);
    if (decoded.id === 0) {
      if (decoded.ok) this.protocolViolation(ws, "response with id 0");
      else {
        // The broker refuses the connection (or could not read a frame) and closes it next.
        this.refusal = decoded.error;
        this.options.logger.warn({ url: this.url, code: decoded.error.codeName, message: decoded.error.message }, "broker refused the connection");
      }
      return;
    }
    const call = this.outstanding.get(decoded.id);
    if (call === undefined) {
      this.options.logger.debug({ url: this.url, id: decoded.id }, "response to no outstanding request");
      return;
    }
    this.outstanding.delete(decoded.id);
    if (call.state === "done") this.abandonedCount--;
    else if (decoded.ok) this.settle(call, withoutFrameFields(decoded.result), undefined);
    else this.settle(call, undefined, decoded.error);
    this.pump();
  }

  private protocolViolation(ws: ClientSocket, why: string): void {
    this.refusal = new RlogError("INTERNAL_ERROR", `${this.url}: ${why}`);
    ws.close(CloseCode.BadFrame, why);
  }

  private onClose(ws: ClientSocket, code: number, reason: string): void {
    if (ws !== this.socket) return;
    this.socket = undefined;
    this.handshake = undefined;
    const dialError = this.dialError;
    this.dialError = undefined;
    const err =
      this.refusal ??
      (dialError !== undefined && this.failOpening !== undefined
        ? brokerNotAvailable(this.url, describeDialError(this.url, dialError))
        : brokerNotAvailable(this.url, `connection closed (${code}${reason === "" ? "" : ` ${reason}`})`));
    this.refusal = undefined;
    // A broker closing an idle connection is routine (the next request reconnects): debug, not info.
    if (!this.closedByUser) this.options.logger[code === CloseCode.IdleTimeout ? "debug" : "info"]({ url: this.url, code, reason }, "connection closed");
    this.failOpening?.(err);
    this.failOutstanding(err);
    this.failWaiting(err);
  }

  /** Answer a call now (timeout or abort); a sent call keeps its id and slot until the broker answers. */
  private giveUp(call: Call, err: unknown): void {
    if (call.state === "done") return;
    if (call.state === "waiting") {
      const at = this.waiting.indexOf(call);
      if (at >= 0) this.waiting.splice(at, 1);
      this.settle(call, undefined, err);
      return;
    }
    this.settle(call, undefined, err);
    this.abandonedCount++;
    if (this.abandonedCount >= Math.max(1, Math.floor(this.slotsMax() / 2))) {
      this.options.logger.warn({ url: this.url, abandoned: this.abandonedCount }, "broker is not answering; closing the connection");
      this.socket?.terminate();
    }
  }

  private settle(call: Call, result: WireMap | undefined, err: unknown): void {
    if (call.state === "done") return;
    call.state = "done";
    call.cleanup();
    if (result !== undefined) call.resolve(result);
    else call.reject(err);
  }

  private failOutstanding(err: unknown): void {
    const calls = [...this.outstanding.values()];
    this.outstanding.clear();
    this.abandonedCount = 0;
    for (const call of calls) this.settle(call, undefined, err);
  }

  private failWaiting(err: unknown): void {
    const calls = this.waiting.splice(0, this.waiting.length);
    for (const call of calls) this.settle(call, undefined, err);
  }
}

/** The result fields of a response: the frame's `id` and `ok` are not part of it. */
function withoutFrameFields(frame: WireMap): WireMap {
  const { id: _id, ok: _ok, ...result } = frame;
  return result;
}

/** Error codes of a failed TLS handshake (OpenSSL's verify results, Node's host check, TLS alerts). */
const TLS_ERROR_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

/**
 * What a dial that failed before the handshake says: a TLS failure is named
 * as one (the usual cause: the client does not trust the broker's CA, or the
 * broker wants a client certificate), anything else as "cannot connect".
 */
export function describeDialError(url: string, err: Error & { code?: string }): string {
  const code = err.code ?? "";
  if (url.startsWith("wss:") && TLS_ERROR_CODE.test(code)) {
    return `TLS handshake failed: certificate verify failed or refused: ${err.message} (${code}; is the broker's CA given as tls.ca / --tls-ca, and a client certificate where the broker requires one?)`;
  }
  return `cannot connect: ${err.message}${code === "" ? "" : ` (${code})`}`;
}
