/**
 * One client connection: handshake, frame checks, dispatch to the broker's
 * handlers, responses, and the per-connection bounds.
 *
 * Life cycle: `handshake` (only a handshake frame is allowed, within
 * handshakeWaitMs) -> [`authenticating` (only `authenticate`, within
 * handshakeWaitMs) -> `failing` (a failed authentication waits
 * failureDelayMs for its answer, frames ignored)] -> `open` (requests) ->
 * `closing` (decided to close or closed: later frames are ignored, handlers
 * are never called again, every running request's signal is aborted and its
 * outcome discarded).
 *
 * Authentication (docs/PROTOCOL.md, "Authentication"): with mechanism
 * "scram" and no verified TLS client certificate, the handshake result
 * asks for SCRAM-SHA-256 and the session answers two `authenticate`
 * requests itself (broker/security/scram-server.ts). Any other request
 * first gets AUTHENTICATION_FAILED ("authenticate first") and close 4001; a
 * wrong proof, an unknown user or a bad message get AUTHENTICATION_FAILED
 * after failureDelayMs, then close 4001. The principal handed to handlers is
 * "User:<name>", the certificate's principal, or "User:ANONYMOUS" when
 * authentication is off.
 *
 * Rules (docs/PROTOCOL.md):
 * - binary frames only: a text frame gets INVALID_REQUEST with id 0, close 4000;
 * - before the handshake, anything but a valid handshake gets INVALID_REQUEST
 *   with id 0, close 4000; an unsupported version gets UNSUPPORTED_VERSION
 *   (with the handshake's id and { versionMin, versionMax }), close 4003;
 *   no handshake within handshakeWaitMs: close 4002;
 * - after it, a frame that fails decodeRequest is answered with its error;
 *   when no id could be read (id 0) the connection is closed 4000;
 * - a request reusing the id of one still awaiting its response is a
 *   protocol violation (responses could not be matched): id-0 error, close 4000;
 * - a second handshake is answered INVALID_REQUEST (the connection stays);
 * - with inflightRequestsMax handlers running, a request gets TOO_MANY_REQUESTS;
 * - responses go out as handlers settle, in any order (pipelining);
 * - response memory is held against the connection's and the broker's
 *   response budgets (response-budget.ts): a fetch reserves through
 *   ctx.reserveResponseBytes before it reads; a request's frame is held
 *   while its handler runs; while the connection's budget is spent, or the
 *   broker's and this connection holds part of it, the socket is not read
 *   (TCP pushes back on the client);
 *   a connection whose unsent responses do not move is closed 1008;
 * - after the handshake, a connection with nothing running or unsent and
 *   no frame for connectionIdleMs is closed 4009 (idle-timer.ts).
 *
 * Handlers are called synchronously, in frame order, as frames arrive: a
 * handler that needs per-connection order (produce) must take its place
 * (e.g. in its partition's append queue) before its first await.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { WebSocket, type RawData } from "ws";
import { CloseCode } from "../protocol/close-codes.js";
import { RlogError } from "../protocol/errors.js";
import { decodeRequest, encodeError, encodeResult, type DecodedRequest } from "../protocol/frames.js";
import type { OpName, Request, SessionOp } from "../protocol/ops.js";
import { SCRAM_NONCE_BYTES, SCRAM_SHA_256 } from "../protocol/scram.js";
import { ScramServerExchange } from "../security/scram-server.js";
import { PROTOCOL_VERSION, PROTOCOL_VERSION_MIN } from "../protocol/version.js";
import { closeSocket, frameBytes } from "../transport/close-socket.js";
import type { RequestContext } from "./handlers.js";
import { InflightRequests, type InflightRequest } from "./inflight.js";
import { encodeHandlerResult, internalError } from "./response-frames.js";
import type { ServerSettings } from "./server-options.js";
import type { ServerCounters } from "./server-stats.js";
import { ANONYMOUS_PRINCIPAL } from "../protocol/acls.js";
import { hopTrace } from "../protocol/hop-trace.js";
import { IdleTimer } from "./idle-timer.js";
import type { ConnectionBudget, ResponseBudget, Stall } from "./response-budget.js";

/**
 * Close code for a client that does not read its responses (RFC 6455 1008,
 * policy violation). Not yet in protocol/close-codes.ts: the client sees it
 * as an ordinary close with this code and reason.
 */
export const SLOW_CLIENT_CLOSE_CODE = CloseCode.SlowClient;

/** The context a handler gets, with what reserveResponseBytes needs (so no closure is made per request). */
interface SessionRequestContext extends RequestContext {
  readonly budget: ConnectionBudget;
  readonly inflight: InflightRequest;
}

/** RequestContext.reserveResponseBytes: the request's reservation against its connection's budget. */
function reserveForRequest(this: SessionRequestContext, bytes: number, waitMs: number): boolean | Promise<boolean> {
  return this.budget.reserve(bytes, waitMs, this.inflight, this.signal);
}

/** A handler as the session calls it: any op's request in, any result out. */
type AnyHandler = (request: Request, ctx: RequestContext) => Promise<unknown>;

/** What a session needs from its listener. */
export interface SessionDeps {
  readonly connectionId: number;
  readonly ws: WebSocket;
  /** The per-connection logger ({ connectionId, remote }). */
  readonly log: Logger;
  readonly settings: ServerSettings;
  readonly counters: ServerCounters;
  /** The broker's response budget (one per listener). */
  readonly responseBudget: ResponseBudget;
  /** Called once, when the socket has closed. */
  readonly onClosed: (session: ClientSession) => void;
  /**
   * The principal of a verified TLS client certificate ("User:<subject>"),
   * set by the listener when there is one: the connection is then
   * authenticated as it, without SCRAM.
   */
  readonly certificatePrincipal?: string;
}

type Phase = "handshake" | "authenticating" | "failing" | "open" | "closing";

/** One client connection; see the file comment. */
export class ClientSession {
  /** Unique per connection on this listener. */
  readonly connectionId: number;
  /** Resolves when the socket has closed. */
  readonly closed: Promise<void>;
  private phase: Phase = "handshake";
  private clientId = "";
  private log: Logger;
  private handshakeTimer: NodeJS.Timeout | undefined;
  /** Who the connection is, once the handshake (and authentication) are done. */
  private principal = ANONYMOUS_PRINCIPAL;
  /** The SCRAM exchange in progress (phase authenticating). */
  private scram: ScramServerExchange | undefined;
  /** Fires the delayed answer of a failed authentication (phase failing). */
  private failTimer: NodeJS.Timeout | undefined;
  private readonly inflight: InflightRequests;
  private readonly openedMs = performance.now();
  private requestsServed = 0;
  private resolveClosed: () => void = () => undefined;
  private readonly budget: ConnectionBudget;
  private readonly idle: IdleTimer;
  /** True while the socket is paused for the response budgets (pauseIfOverBudget). */
  private readingPaused = false;
  /** The ws send callback of every frame: release its bytes, resume reading once all are written. */
  private readonly onFrameWritten: () => void;

  constructor(private readonly deps: SessionDeps) {
    this.connectionId = deps.connectionId;
    this.log = deps.log;
    this.inflight = new InflightRequests(deps.settings.limits.inflightRequestsMax);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    const { ws, settings } = deps;
    this.budget = deps.responseBudget.connection((stall) => this.onSendStalled(stall));
    this.onFrameWritten = () => {
      this.budget.onWritten();
      this.resumeIfUnderBudget();
    };
    this.idle = new IdleTimer(
      settings.limits.connectionIdleMs,
      () => this.inflight.runningCount > 0 || this.budget.unsentBytes > 0,
      (idleMs) => {
        this.deps.counters.connectionsIdleClosed++;
        this.closeWith(CloseCode.IdleTimeout, `idle for ${idleMs} ms (connectionIdleMs)`, "info");
      },
    );
    ws.on("message", (data, isBinary) => this.onFrame(data, isBinary));
    ws.on("error", (err) => this.onSocketError(err));
    ws.on("close", (code, reason) => this.onSocketClose(code, reason));
    this.handshakeTimer = setTimeout(() => {
      this.deps.counters.protocolViolations++;
      this.closeWith(CloseCode.HandshakeTimeout, `no handshake within ${settings.handshakeWaitMs} ms`, "info");
    }, settings.handshakeWaitMs);
    this.log.debug(deps.certificatePrincipal === undefined ? {} : { certificatePrincipal: deps.certificatePrincipal }, "connection opened");
  }

  /** The verified client certificate's principal ("User:<CN>"), or undefined: see SessionDeps.certificatePrincipal. */
  get certificatePrincipal(): string | undefined {
    return this.deps.certificatePrincipal;
  }

  /** Handlers of this connection still running. */
  get requestsRunning(): number {
    return this.inflight.runningCount;
  }

  /** Resolves once no handler of this connection is running. */
  drained(): Promise<void> {
    return this.inflight.drained();
  }

  /** Close the connection (e.g. GoingAway on shutdown); resolves when the socket has closed. */
  close(code: number, reason: string): Promise<void> {
    this.closeWith(code, reason, "debug");
    return this.closed;
  }

  // ---- frames in ----------------------------------------------------------

  private onFrame(data: RawData, isBinary: boolean): void {
    hopTrace?.("session.in");
    if (this.phase === "closing" || this.phase === "failing") return;
    this.idle.touch();
    if (!isBinary) {
      this.violation("text frame", new RlogError("INVALID_REQUEST", "binary frames only: text frames are not part of the protocol"));
      return;
    }
    const bytes = frameBytes(data);
    const decoded = decodeRequest(bytes, this.deps.settings.limits);
    if (this.phase === "handshake") {
      this.onFirstFrame(decoded);
      return;
    }
    if (this.phase === "authenticating") {
      this.onAuthenticateFrame(decoded);
      return;
    }
    if (decoded.id !== 0 && this.inflight.isAwaiting(decoded.id)) {
      this.violation(
        "duplicate request id",
        new RlogError("INVALID_REQUEST", `request id ${decoded.id} is already awaiting its response; ids must be unique among outstanding requests`, { field: "id" }),
      );
      return;
    }
    if (!decoded.ok) {
      if (decoded.id === 0) {
        this.violation("undecodable frame", decoded.error);
        return;
      }
      if (decoded.error.is("INTERNAL_ERROR")) this.log.error({ id: decoded.id, err: decoded.error }, "request decoder failed");
      this.sendError(decoded.id, decoded.error);
      this.logRequest(decoded.id, undefined, undefined, decoded.error);
      return;
    }
    const { id, request } = decoded;
    if (request.op === "handshake") {
      this.sendError(id, new RlogError("INVALID_REQUEST", "handshake already done on this connection", { field: "op" }));
      return;
    }
    if (request.op === "authenticate") {
      const why = this.deps.settings.authentication.mechanism === "none" ? "this broker does not ask for authentication" : `already authenticated as ${this.principal}`;
      this.sendError(id, new RlogError("INVALID_REQUEST", why, { field: "op" }));
      return;
    }
    if (!this.inflight.hasRoom()) {
      const { inflightRequestsMax } = this.deps.settings.limits;
      this.sendError(id, new RlogError("TOO_MANY_REQUESTS", `${inflightRequestsMax} requests already in flight on this connection (inflightRequestsMax)`));
      this.logRequest(id, request.op, undefined, undefined, "too many requests");
      return;
    }
    const refusal = this.deps.settings.authorize?.(this.principal, request);
    if (refusal !== undefined) {
      this.deps.counters.authorizationFailures++;
      this.log.info({ id, op: request.op, principal: this.principal, code: refusal.codeName, reason: refusal.message }, "request refused");
      this.sendError(id, refusal);
      return;
    }
    this.dispatch(id, request, bytes.byteLength);
  }

  private onFirstFrame(decoded: DecodedRequest): void {
    if (!decoded.ok) {
      const { error } = decoded;
      const details = error.details?.field === undefined ? undefined : { field: error.details.field };
      this.violation("bad first frame", new RlogError("INVALID_REQUEST", `first request must be a valid handshake: ${error.codeName}: ${error.message}`, details));
      return;
    }
    const { id, request } = decoded;
    if (request.op !== "handshake") {
      this.violation("request before handshake", new RlogError("INVALID_REQUEST", `first request must be handshake, got ${request.op}`, { field: "op" }));
      return;
    }
    if (request.version < PROTOCOL_VERSION_MIN || request.version > PROTOCOL_VERSION) {
      const error = new RlogError("UNSUPPORTED_VERSION", `protocol version ${request.version} not spoken; this broker speaks ${PROTOCOL_VERSION_MIN} .. ${PROTOCOL_VERSION}`, {
        versionMin: PROTOCOL_VERSION_MIN,
        versionMax: PROTOCOL_VERSION,
      });
      this.deps.counters.protocolViolations++;
      this.sendError(id, error);
      this.closeWith(CloseCode.UnsupportedVersion, error.message, "info", { clientId: request.clientId, version: request.version });
      return;
    }
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.clientId = request.clientId;
    this.log = this.log.child({ clientId: request.clientId });
    this.idle.start();
    const { brokerId, limits, authentication, handshakeWaitMs } = this.deps.settings;
    const certificate = this.deps.certificatePrincipal;
    const mustAuthenticate = authentication.mechanism === "scram" && certificate === undefined;
    this.principal = certificate ?? ANONYMOUS_PRINCIPAL;
    if (mustAuthenticate) {
      this.phase = "authenticating";
      this.handshakeTimer = setTimeout(() => {
        this.deps.counters.authenticationFailures++;
        this.closeWith(CloseCode.AuthenticationFailed, `no authentication within ${handshakeWaitMs} ms`, "info");
      }, handshakeWaitMs);
    } else {
      this.phase = "open";
    }
    const mechanisms = mustAuthenticate ? [SCRAM_SHA_256] : [];
    this.send(encodeResult<"handshake">(id, { brokerId, version: request.version, limits, authentication: { mechanisms } }), id);
    this.log.debug({ version: request.version, mechanisms, principal: mustAuthenticate ? undefined : this.principal }, "handshake done");
  }

  // ---- authentication -----------------------------------------------------

  /** A frame while authenticating: only `authenticate` is allowed. */
  private onAuthenticateFrame(decoded: DecodedRequest): void {
    if (!decoded.ok) {
      if (decoded.id === 0) {
        this.violation("undecodable frame", decoded.error);
        return;
      }
      this.failAuthentication(decoded.id, `bad authenticate request: ${decoded.error.message}`, undefined);
      return;
    }
    const { id, request } = decoded;
    if (request.op !== "authenticate") {
      this.deps.counters.authenticationFailures++;
      const error = new RlogError("AUTHENTICATION_FAILED", `authenticate first: this broker needs ${SCRAM_SHA_256} before ${request.op}`);
      this.sendError(id, error);
      this.closeWith(CloseCode.AuthenticationFailed, "request before authentication", "info", { op: request.op });
      return;
    }
    const first = this.scram === undefined;
    const { authentication } = this.deps.settings;
    const scram = (this.scram ??= new ScramServerExchange({
      lookup: authentication.lookupUser,
      serverNonce: () => randomBytes(SCRAM_NONCE_BYTES).toString("base64"),
      fakeSaltKey: authentication.fakeSaltKey,
    }));
    if (first) {
      const step = scram.onClientFirst(request.message);
      if (!step.ok) this.failAuthentication(id, step.reason, step.username);
      else this.send(encodeResult<"authenticate">(id, { message: step.message }), id);
      return;
    }
    const done = scram.onClientFinal(request.message);
    if (!done.ok) {
      this.failAuthentication(id, done.reason, done.username, scram.userKnown);
      return;
    }
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.scram = undefined;
    this.principal = `User:${done.username}`;
    this.phase = "open";
    this.log = this.log.child({ principal: this.principal });
    this.send(encodeResult<"authenticate">(id, { message: done.message, principal: this.principal }), id);
    this.log.debug({ user: done.username, mechanism: SCRAM_SHA_256 }, "authenticated");
  }

  /** Answer AUTHENTICATION_FAILED after failureDelayMs, then close 4001; frames are ignored meanwhile. */
  private failAuthentication(id: number, reason: string, user: string | undefined, userKnown?: boolean): void {
    this.phase = "failing";
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.scram = undefined;
    this.deps.counters.authenticationFailures++;
    // The reason the client sees never tells an unknown user from a wrong password; the log may.
    this.log.info({ user, userKnown, reason, mechanism: SCRAM_SHA_256 }, "authentication failed");
    this.failTimer = setTimeout(() => {
      this.failTimer = undefined;
      if (this.phase !== "failing") return;
      this.sendError(id, new RlogError("AUTHENTICATION_FAILED", reason));
      this.closeWith(CloseCode.AuthenticationFailed, "authentication failed", "debug");
    }, this.deps.settings.authentication.failureDelayMs);
  }

  // ---- dispatch -----------------------------------------------------------

  private dispatch(id: number, request: Exclude<Request, { op: SessionOp }>, frameBytesCount: number): void {
    const { handlers, requestTimeoutMs } = this.deps.settings;
    const handler = handlers[request.op] as AnyHandler | undefined;
    if (typeof handler !== "function") {
      this.sendError(id, new RlogError("UNKNOWN_OPERATION", `${request.op} is not supported by this broker`, { field: "op" }));
      this.logRequest(id, request.op, undefined, undefined, "no handler");
      return;
    }
    const inflight = this.inflight.begin(id, request.op, performance.now());
    this.deps.counters.requestsInflight++;
    // The request's frame (a produce's batch lives in it) is held while its handler runs.
    inflight.requestBytes = frameBytesCount;
    this.budget.holdRequest(frameBytesCount);
    this.pauseIfOverBudget();
    inflight.timer = setTimeout(() => this.onRequestTimeout(inflight), requestTimeoutMs);
    const ctx: SessionRequestContext = {
      connectionId: this.connectionId,
      clientId: this.clientId,
      signal: inflight.controller.signal,
      budget: this.budget,
      inflight,
      reserveResponseBytes: reserveForRequest,
      principal: this.principal,
    };
    let outcome: Promise<unknown>;
    try {
      outcome = Promise.resolve(handler.call(handlers, request, ctx));
    } catch (err) {
      outcome = Promise.reject(err);
    }
    outcome.then(
      (result) => this.onHandlerResult(inflight, result),
      (err: unknown) => this.onHandlerError(inflight, err),
    );
  }

  private settle(inflight: InflightRequest): boolean {
    this.inflight.finish(inflight);
    this.deps.counters.requestsInflight--;
    this.budget.releaseRequest(inflight.requestBytes);
    inflight.requestBytes = 0;
    this.resumeIfUnderBudget();
    this.idle.touch();
    return this.inflight.answer(inflight);
  }

  /** Take the response bytes `inflight` reserved (its response will hold its real size instead). */
  private takeReserved(inflight: InflightRequest): number {
    const reserved = inflight.reservedBytes;
    inflight.reservedBytes = 0;
    return reserved;
  }

  private onHandlerResult(inflight: InflightRequest, result: unknown): void {
    const { id, op } = inflight;
    const reserved = this.takeReserved(inflight);
    if (!this.settle(inflight)) {
      this.budget.release(reserved);
      this.logRequest(id, op, inflight.startedMs, undefined, "result discarded: already answered or connection closed");
      return;
    }
    const encoded = encodeHandlerResult(id, result, this.deps.settings.limits.frameBytesMax);
    if (!encoded.ok) {
      this.budget.release(reserved);
      this.log.error({ id, op, problem: encoded.problem }, "handler result cannot be sent; answering INTERNAL_ERROR");
      const error = internalError(op, this.connectionId, id);
      this.sendError(id, error);
      this.logRequest(id, op, inflight.startedMs, error);
      return;
    }
    this.send(encoded.frame, id, reserved);
    this.logRequest(id, op, inflight.startedMs);
  }

  private onHandlerError(inflight: InflightRequest, err: unknown): void {
    const { id, op } = inflight;
    this.budget.release(this.takeReserved(inflight));
    if (!this.settle(inflight)) {
      // Usually the abort of a long poll after a close or TIMEOUT: expected, not a bug.
      this.logRequest(id, op, inflight.startedMs, err instanceof RlogError ? err : undefined, "error discarded: already answered or connection closed");
      return;
    }
    let error: RlogError;
    if (err instanceof RlogError) {
      error = err;
    } else {
      // Any other exception is a bug in the broker: log it with its stack, keep serving.
      this.log.error({ id, op, err }, "handler threw; answering INTERNAL_ERROR");
      error = internalError(op, this.connectionId, id);
    }
    this.sendError(id, error);
    this.logRequest(id, op, inflight.startedMs, error);
  }

  private onRequestTimeout(inflight: InflightRequest): void {
    inflight.timer = undefined;
    if (!this.inflight.answer(inflight)) return;
    const { requestTimeoutMs } = this.deps.settings;
    const error = new RlogError("TIMEOUT", `${inflight.op} did not complete within ${requestTimeoutMs} ms; it may still complete`);
    inflight.controller.abort(error);
    this.log.warn({ id: inflight.id, op: inflight.op, requestTimeoutMs }, "handler overran requestTimeoutMs; answered TIMEOUT");
    this.sendError(inflight.id, error);
  }

  // ---- frames out ---------------------------------------------------------

  private sendError(id: number, error: RlogError): void {
    this.deps.counters.countError(error);
    this.send(encodeError(id, error), id);
  }

  /**
   * Send one frame (nothing once closing), holding its bytes against the
   * response budgets until ws has written it (`reservedBytes` of them were
   * reserved by the handler); close the connection if the client is not reading.
   */
  private send(frame: Uint8Array, id: number, reservedBytes = 0): void {
    if (this.phase === "closing" || this.deps.ws.readyState !== WebSocket.OPEN) {
      this.budget.release(reservedBytes);
      return;
    }
    this.deps.ws.send(frame, this.onFrameWritten);
    this.budget.sent(frame.byteLength, reservedBytes);
    this.pauseIfOverBudget();
    hopTrace?.("session.out");
    if (id !== 0) {
      this.requestsServed++;
      this.deps.counters.requestsServed++;
    }
    const unsentBytes = this.deps.ws.bufferedAmount;
    const { sendBufferBytesMax } = this.deps.settings;
    if (unsentBytes > sendBufferBytesMax) {
      this.deps.counters.slowClientsClosed++;
      this.closeWith(SLOW_CLIENT_CLOSE_CODE, `client not reading: ${unsentBytes} bytes unsent exceed sendBufferBytesMax ${sendBufferBytesMax}`, "warn", {
        unsentBytes,
      });
    }
  }

  // ---- reading paused -----------------------------------------------------

  /**
   * Stop reading the socket while this connection is over its response
   * budget, or the broker is over its own and this connection holds part of
   * it (ConnectionBudget.readingBlocked): TCP pushes back on the client.
   * Frames ws has already read are still handled.
   */
  private pauseIfOverBudget(): void {
    if (this.readingPaused || this.phase === "closing" || !this.budget.readingBlocked) return;
    this.readingPaused = true;
    this.deps.ws.pause();
  }

  /** Read again once that no longer holds (a frame written, a handler settled). */
  private resumeIfUnderBudget(): void {
    if (!this.readingPaused || this.phase === "closing" || this.budget.readingBlocked) return;
    this.readingPaused = false;
    this.deps.ws.resume();
  }

  // ---- closing ------------------------------------------------------------

  /** The client has not taken its responses for sendStallMs (or sendStallPressureMs): cut it, freeing what it holds. */
  private onSendStalled(stall: Stall): void {
    if (this.phase === "closing") return;
    this.deps.counters.slowClientsClosed++;
    const bound = stall.underPressure ? "sendStallPressureMs, while fetches wait for the response budget" : "sendStallMs";
    this.closeWith(SLOW_CLIENT_CLOSE_CODE, `client not reading: ${stall.unsentBytes} bytes unsent for ${stall.stalledMs} ms (${bound})`, "warn", { ...stall });
    // The close frame would queue behind the unread bytes: cut the socket now, so its memory goes at once.
    this.deps.ws.terminate();
  }

  /** A protocol violation: id-0 error frame, close 4000. */
  private violation(what: string, error: RlogError): void {
    this.deps.counters.protocolViolations++;
    this.closeWith(CloseCode.BadFrame, `${what}: ${error.message}`, "warn", { code: error.codeName }, error);
  }

  /**
   * Decide to close: from now on nothing is dispatched or sent (but the
   * optional id-0 error frame), running requests are aborted, and the
   * socket is cut if the client does not complete the close in closeWaitMs.
   */
  private closeWith(code: number, reason: string, level: "debug" | "info" | "warn", fields: object = {}, error?: RlogError): void {
    if (this.phase === "closing") return;
    const { ws, settings, counters } = this.deps;
    if (error !== undefined && ws.readyState === WebSocket.OPEN) {
      counters.countError(error);
      ws.send(encodeError(0, error));
    }
    this.enterClosing();
    this.log[level]({ ...fields, closeCode: code, reason }, "closing connection");
    void closeSocket(ws, code, reason, settings.closeWaitMs);
  }

  private enterClosing(): void {
    if (this.phase === "closing") return;
    this.phase = "closing";
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    clearTimeout(this.failTimer);
    this.failTimer = undefined;
    this.idle.stop();
    this.inflight.abortAll(new RlogError("SHUTTING_DOWN", "connection closed"));
  }

  private onSocketError(err: Error & { code?: string }): void {
    // ws reports frames it refuses (1009 over maxPayload, bad opcodes, invalid UTF-8) here and closes the socket itself.
    const wsCode = typeof err.code === "string" && err.code.startsWith("WS_ERR_");
    if (wsCode && this.phase !== "closing") this.deps.counters.protocolViolations++;
    if (wsCode) this.log.warn({ code: err.code, err: err.message }, "client broke the WebSocket protocol; ws closes the connection");
    else this.log.debug({ code: err.code, err: err.message }, "connection error");
    this.enterClosing();
  }

  private onSocketClose(code: number, reason: Buffer): void {
    this.enterClosing();
    this.budget.close();
    this.log.debug(
      { closeCode: code, reason: reason.toString("utf8"), requestsServed: this.requestsServed, durationMs: Math.round(performance.now() - this.openedMs) },
      "connection closed",
    );
    this.deps.onClosed(this);
    this.resolveClosed();
  }

  private logRequest(id: number, op: OpName | undefined, startedMs: number | undefined, error?: RlogError, note?: string): void {
    if (!this.log.isLevelEnabled("debug")) return;
    const ms = startedMs === undefined ? undefined : Math.round((performance.now() - startedMs) * 1000) / 1000;
    this.log.debug({ id, op, ms, error: error?.codeName, note }, "request");
  }
}
