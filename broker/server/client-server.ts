/**
 * The client listener: a WebSocket server that accepts client connections,
 * enforces the connection limit, and runs one ClientSession per connection
 * (handshake, frames, dispatch to the broker's handlers; see session.ts).
 *
 * Bounds: at most connectionsMax sessions; a connection over the limit gets
 * TOO_MANY_CONNECTIONS (id 0) and close 4004; at most refusingConnectionsMax
 * such refusals in progress, past which the HTTP server's maxConnections
 * drops new TCP connections at once. HTTP requests that never upgrade are
 * cut by the HTTP server's headers/request timeouts (handshakeWaitMs).
 * Frames over frameBytesMax are refused by ws (close 1009).
 *
 * With TLS (settings.tls) the listener serves wss:// through node:https; a
 * TLS handshake must complete within handshakeWaitMs too. Client
 * certificates follow tls.clientAuth: "required" refuses a connection without
 * a valid one during the TLS handshake; "optional" accepts one without a
 * certificate but refuses (AUTHENTICATION_FAILED, close 4001) one whose
 * certificate does not verify. A verified certificate's subject CN becomes
 * the session's certificatePrincipal ("User:<CN>").
 *
 * Hostile clients (issue 13): an upgrade whose Origin is not allowed gets
 * HTTP 403 (origin-check.ts); at most connectionsPerAddressMax connections
 * per remote address, the next gets TOO_MANY_CONNECTIONS and close 4004
 * (address-limits.ts); response memory is bounded by the response budget
 * shared by all sessions (response-budget.ts); idle connections are closed
 * by their session (idle-timer.ts).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import type { Logger } from "pino";
import { WebSocketServer, type WebSocket } from "ws";
import { CloseCode } from "../protocol/close-codes.js";
import { RlogError } from "../protocol/errors.js";
import { encodeError } from "../protocol/frames.js";
import { closeSocket } from "../transport/close-socket.js";
import { resolveSettings, type ClientServerOptions, type ServerSettings } from "./server-options.js";
import { ServerCounters, type ClientServerStats } from "./server-stats.js";
import { ClientSession } from "./session.js";
import { AddressLimits } from "./address-limits.js";
import { originPolicy } from "./origin-check.js";
import { ResponseBudget } from "./response-budget.js";
import { clientListenerTlsOptions } from "../transport/tls-files.js";

/** TCP keep-alive probe delay on client sockets, so dead peers are noticed without application pings. */
const KEEP_ALIVE_DELAY_MS = 30_000;

/** The broker's client listener; see the file comment. */
export class ClientServer {
  private readonly settings: ServerSettings;
  private readonly log: Logger;
  private readonly counters = new ServerCounters();
  private readonly sessions = new Set<ClientSession>();
  private readonly addresses: AddressLimits;
  private readonly responseBudget: ResponseBudget;
  private readonly origins: ReturnType<typeof originPolicy>;
  /** Sockets being refused (bounded by refusingConnectionsMax through maxConnections). */
  private readonly refusing = new Set<Promise<void>>();
  private http: Server | undefined;
  private wss: WebSocketServer | undefined;
  private nextConnectionId = 1;
  private closing: Promise<void> | undefined;

  /** @throws RangeError when an option is out of range */
  constructor(options: ClientServerOptions) {
    this.settings = resolveSettings(options);
    this.addresses = new AddressLimits(this.settings.limits.connectionsPerAddressMax);
    this.responseBudget = new ResponseBudget(this.settings.limits);
    this.origins = originPolicy(this.settings.allowedOrigins);
    // The broker may hand in its own component child; add ours only when it did not (no duplicate keys).
    const logger = options.logger;
    this.log = "component" in logger.bindings() ? logger : logger.child({ component: "client-listener" });
  }

  /** Bind and start accepting connections. Resolves to the bound port (useful with port 0). */
  async start(): Promise<{ port: number }> {
    if (this.http !== undefined || this.closing !== undefined) throw new Error("client listener already started");
    const { host, port, limits, handshakeWaitMs, refusingConnectionsMax } = this.settings;
    const notWebSocket = (_req: IncomingMessage, res: import("node:http").ServerResponse): void => {
      res.writeHead(426, { "content-type": "text/plain", connection: "close" }).end("rlog speaks WebSocket only\n");
    };
    const timeouts = { headersTimeout: handshakeWaitMs, requestTimeout: handshakeWaitMs };
    const tls = this.settings.tls;
    const http: Server =
      tls === undefined
        ? createServer(timeouts, notWebSocket)
        : // A TLS handshake that never completes is cut like an HTTP upgrade that never comes.
          createTlsServer({ ...timeouts, ...clientListenerTlsOptions(tls, handshakeWaitMs) }, notWebSocket);
    if (tls !== undefined) {
      // Logged at info on the 1st, 2nd, 4th, 8th, ... failure (as dropped connections are): a flood cannot flood the log.
      let failed = 0;
      http.on("tlsClientError", (err: Error & { code?: string }, socket: TLSSocket) => {
        this.counters.connectionsRefused++;
        failed++;
        const level = (failed & (failed - 1)) === 0 ? "info" : "debug";
        this.log[level]({ remote: `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`, code: err.code, err: err.message, failed }, "TLS handshake failed");
      });
    }
    // Counts upgraded sockets too: a hard cap on TCP connections, whatever happens above.
    http.maxConnections = limits.connectionsMax + refusingConnectionsMax;
    this.http = http;
    const wss = new WebSocketServer({
      server: http,
      maxPayload: limits.frameBytesMax,
      perMessageDeflate: false,
      clientTracking: false,
      // A refused Origin gets 403 Forbidden before any frame (ws writes it and destroys the socket).
      verifyClient: (info, done) => (this.checkOrigin(info.req) ? done(true) : done(false, 403, "Forbidden")),
    });
    this.wss = wss;
    wss.on("connection", (ws, req) => this.onConnection(ws, req));
    // ws re-emits the HTTP server's errors here; without a listener they would crash the process.
    wss.on("error", (err) => this.log.warn({ err: err.message }, "client listener error"));
    await new Promise<void>((resolve, reject) => {
      http.once("error", reject);
      http.listen(port, host, () => {
        http.off("error", reject);
        resolve();
      });
    });
    // Past connectionsMax + refusingConnectionsMax the HTTP server drops TCP connections itself.
    // Logged at info on the 1st, 2nd, 4th, 8th, ... drop so a flood cannot flood the log too.
    let dropped = 0;
    http.on("drop", (data?: { remoteAddress?: string; remotePort?: number }) => {
      this.counters.connectionsRefused++;
      dropped++;
      const level = (dropped & (dropped - 1)) === 0 ? "info" : "debug";
      this.log[level]({ remote: `${data?.remoteAddress ?? "?"}:${data?.remotePort ?? "?"}`, maxConnections: http.maxConnections, dropped }, "TCP connection dropped: over maxConnections");
    });
    http.on("clientError", (err: Error & { code?: string }, socket) => {
      this.log.debug({ code: err.code, err: err.message }, "bad HTTP request before upgrade");
      socket.destroy();
    });
    const bound = (http.address() as AddressInfo).port;
    this.log.info({ host, port: bound, tls: tls !== undefined, clientAuth: tls?.clientAuth ?? "none", connectionsMax: limits.connectionsMax, frameBytesMax: limits.frameBytesMax }, "client listener started");
    return { port: bound };
  }

  /**
   * Stop accepting, close every connection with GoingAway (1001), wait for
   * the sockets to close (each at most about closeWaitMs) and for running
   * handlers to settle (at most closeWaitMs more; their signals are aborted).
   * Idempotent; safe before start().
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  /** A snapshot of the counters. */
  /** The per-broker key for unknown users' fake SCRAM salts (the Kafka listener shares it, so both answer an unknown name alike). */
  get fakeSaltKey(): Uint8Array {
    return this.settings.authentication.fakeSaltKey;
  }

  stats(): ClientServerStats {
    return this.counters.snapshot(this.responseBudget);
  }

  private async shutDown(): Promise<void> {
    const http = this.http;
    const httpClosed = http === undefined ? Promise.resolve() : new Promise<void>((resolve) => http.close(() => resolve()));
    const sessions = [...this.sessions];
    if (sessions.length > 0) this.log.info({ connections: sessions.length }, "closing client connections");
    await Promise.all([...sessions.map((s) => s.close(CloseCode.GoingAway, "broker shutting down")), ...this.refusing]);
    await this.waitForHandlers(sessions);
    this.wss?.close();
    this.responseBudget.stop();
    // Connections that never upgraded (idle or half-sent HTTP requests).
    http?.closeAllConnections();
    await httpClosed;
    this.log.info("client listener closed");
  }

  private async waitForHandlers(sessions: readonly ClientSession[]): Promise<void> {
    const { closeWaitMs } = this.settings;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), closeWaitMs)));
    const drained = Promise.all(sessions.map((s) => s.drained())).then(() => false);
    const late = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    if (late) {
      const running = sessions.reduce((n, s) => n + s.requestsRunning, 0);
      this.log.warn({ running, closeWaitMs }, "handlers still running after close; their results will be dropped");
    }
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const connectionId = this.nextConnectionId++;
    const remote = `${req.socket.remoteAddress ?? "?"}:${req.socket.remotePort ?? "?"}`;
    const log = this.log.child({ connectionId, remote });
    const { connectionsMax } = this.settings.limits;
    if (this.closing !== undefined) {
      this.refuse(ws, log, CloseCode.GoingAway, new RlogError("SHUTTING_DOWN", "broker shutting down"));
      return;
    }
    if (this.sessions.size >= connectionsMax) {
      this.refuse(ws, log, CloseCode.TooManyConnections, new RlogError("TOO_MANY_CONNECTIONS", `broker is at connectionsMax ${connectionsMax}`));
      return;
    }
    const certificate: CertificateCheck = this.settings.tls === undefined ? {} : certificatePrincipal(req.socket as TLSSocket);
    if (certificate.refusal !== undefined) {
      this.counters.authenticationFailures++;
      this.refuse(ws, log, CloseCode.AuthenticationFailed, new RlogError("AUTHENTICATION_FAILED", certificate.refusal));
      return;
    }
    const address = AddressLimits.keyOf(req.socket.remoteAddress);
    if (!this.addresses.tryOpen(address)) {
      this.counters.addressLimitRefused++;
      const { connectionsPerAddressMax } = this.settings.limits;
      this.refuse(ws, log, CloseCode.TooManyConnections, new RlogError("TOO_MANY_CONNECTIONS", `${address} already has connectionsPerAddressMax ${connectionsPerAddressMax} connections`));
      return;
    }
    req.socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
    const session = new ClientSession({
      ...(certificate.principal === undefined ? {} : { certificatePrincipal: certificate.principal }),
      connectionId,
      ws,
      log,
      settings: this.settings,
      counters: this.counters,
      responseBudget: this.responseBudget,
      onClosed: (s) => {
        this.sessions.delete(s);
        this.addresses.close(address);
        this.counters.connections = this.sessions.size;
      },
    });
    this.sessions.add(session);
    this.counters.connections = this.sessions.size;
    this.counters.connectionsAccepted++;
  }

  /** Whether an upgrade's Origin is allowed (origin-check.ts); a refusal is counted and logged at info. */
  private checkOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (this.origins.allows(origin)) return true;
    this.counters.originsRefused++;
    this.log.info({ origin, remote: `${req.socket.remoteAddress ?? "?"}:${req.socket.remotePort ?? "?"}` }, "WebSocket upgrade refused: Origin not in allowedOrigins (HTTP 403)");
    return false;
  }

  /** Send an id-0 error frame and close; the socket is cut after closeWaitMs if the client ignores the close. */
  private refuse(ws: WebSocket, log: Logger, code: number, error: RlogError): void {
    this.counters.connectionsRefused++;
    this.counters.countError(error);
    log.info({ closeCode: code, code: error.codeName }, `connection refused: ${error.message}`);
    ws.on("error", (err) => log.debug({ err: err.message }, "refused connection error"));
    ws.on("message", () => undefined);
    ws.send(encodeError(0, error));
    const done = closeSocket(ws, code, error.message, this.settings.closeWaitMs).then(() => {
      this.refusing.delete(done);
    });
    this.refusing.add(done);
  }
}

/** What a connection's client certificate says: a principal, a refusal, or nothing (none presented, or no TLS). */
export interface CertificateCheck {
  readonly principal?: string;
  readonly refusal?: string;
}

/**
 * The principal of a TLS connection's client certificate: "User:<subject CN>"
 * when one was presented and verified against tls.caFile; no principal when
 * none was presented; a refusal when one was presented and did not verify
 * (only reachable with clientAuth "optional": "required" refuses it in the
 * TLS handshake), or when a verified one has no single CN to name.
 */
export function certificatePrincipal(socket: TLSSocket): CertificateCheck {
  const cert = socket.getPeerCertificate();
  const presented = cert !== null && typeof cert === "object" && Object.keys(cert).length > 0;
  if (!presented) return {};
  if (!socket.authorized) return { refusal: `client certificate not accepted: ${String(socket.authorizationError ?? "not verified")}` };
  const cn: unknown = cert.subject?.CN;
  if (typeof cn !== "string" || cn === "") return { refusal: "client certificate has no single subject CN to take as the principal" };
  return { principal: `User:${cn}` };
}
