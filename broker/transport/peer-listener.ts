/**
 * The peer listener: accepts connections from other brokers, requires a
 * hello with the cluster secret as the first frame, then delivers the Raft
 * messages of every later frame. Refusals send an error frame (so the
 * dialer can log the code) and close with a CloseCode and a reason.
 *
 * With TLS (options.tls) the listener serves wss:// and requires a client
 * certificate that chains to tls.caFile (mutual TLS, checked in the TLS
 * handshake), and a hello is accepted only when that certificate is valid for
 * the host of the broker id the hello claims (peer-certificate.ts).
 */
import { createServer as createTlsServer, type Server as TlsServer } from "node:https";
import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { PeerCertificate } from "node:tls";
import { WebSocketServer, type WebSocket, type RawData } from "ws";
import type { Message } from "../raft/messages.js";
import type { NodeId } from "../raft/types.js";
import { CloseCode } from "../protocol/close-codes.js";
import { RlogError } from "../protocol/errors.js";
import { decodePeerFrame, encodePeerError, encodePeerHelloOk, type LeaderAnnouncement, type PeerHello } from "../protocol/peer-frames.js";
import { PROTOCOL_VERSION, PROTOCOL_VERSION_MIN } from "../protocol/version.js";
import { closeSocket, frameBytes } from "./close-socket.js";
import type { PeerLimits } from "./peer-limits.js";
import type { PeerLogger } from "./peer-logger.js";
import { otherCluster, type PeerIdentityHooks } from "./peer-identity.js";
import { secretMatches } from "./secret.js";
import { peerCertificateMismatch, verifiedPeerCertificate } from "./peer-certificate.js";
import type { TlsMaterial } from "./tls-files.js";
import { hopTrace } from "../protocol/hop-trace.js";

/** Settings of a listener. */
export interface PeerListenerOptions {
  readonly selfId: NodeId;
  /** Interface to bind, e.g. "127.0.0.1". */
  readonly host: string;
  /** Port to bind; 0 picks a free one (see the port listen() resolves to). */
  readonly port: number;
  readonly secret: string;
  readonly limits: PeerLimits;
  readonly logger: PeerLogger;
  /** Receives every well-formed message addressed to this broker by the authenticated sender. */
  readonly deliver: (from: NodeId, group: string, msg: Message) => void;
  /** Which broker ids may connect (the configured peers); any id when absent. */
  readonly isPeer?: (id: NodeId) => boolean;
  /** Leader announcements from an authenticated peer (only those naming the peer itself as leader). */
  readonly deliverLeaders?: (from: NodeId, announcements: readonly LeaderAnnouncement[]) => void;
  /** Data-directory identities exchanged in hellos (none: nothing told, nothing checked). */
  readonly identity?: PeerIdentityHooks;
  /** Liveness signals of the authenticated peers (peer-liveness.ts): hello accepted, any frame, connection closed. */
  readonly liveness?: PeerLivenessSignals;
  /** Mutual TLS (see the file comment); plain ws:// when absent. */
  readonly tls?: PeerListenerTls;
}

/** The TLS side of a peer listener. */
export interface PeerListenerTls {
  /** This broker's certificate and key, and the CA peers' certificates must chain to (required). */
  readonly material: TlsMaterial;
  /** The host `brokers` lists for a broker id (undefined: unknown id): a dialer's certificate must be valid for it. */
  readonly peerHost: (id: NodeId) => string | undefined;
}

/** What the listener tells a liveness tracker about each authenticated peer. */
export interface PeerLivenessSignals {
  /** A hello from `peer` was accepted (it may have restarted). */
  readonly connected: (peer: NodeId) => void;
  /** Any frame from `peer` (heartbeat frames included). */
  readonly heard: (peer: NodeId) => void;
  /** `peer`'s current inbound connection closed. */
  readonly closed: (peer: NodeId) => void;
}

/** Counters of a listener since it started. */
export interface PeerListenerStats {
  /** Open inbound connections, authenticated or not. */
  connections: number;
  /** Hellos accepted. */
  accepted: number;
  /** Connections refused: wrong secret, version, limits, self-connections. */
  refused: number;
  /** Frames that failed to decode or came out of order (each closes its connection). */
  badFrames: number;
  receivedFrames: number;
  receivedMessages: number;
  /** Messages whose from/to did not match the connection's broker and this broker. */
  droppedMisaddressed: number;
}

interface Inbound {
  readonly ws: WebSocket;
  /** Set once the hello is accepted. */
  brokerId: NodeId | undefined;
  /** Set once we decided to close it; later frames are ignored. */
  closing: boolean;
  helloTimer: NodeJS.Timeout | undefined;
  /** With TLS: the certificate the dialer presented and the handshake verified. */
  readonly certificate: PeerCertificate | undefined;
}

/** Accepts and authenticates peer connections; see the file comment. */
export class PeerListener {
  private server: WebSocketServer | undefined;
  /** With TLS: the HTTPS server under `server` (ws does not close a server it was handed). */
  private tlsServer: TlsServer | undefined;
  private readonly inbound = new Set<Inbound>();
  private readonly byBroker = new Map<NodeId, Inbound>();
  private closed = false;
  /** Counters; read-only for callers. */
  readonly stats: PeerListenerStats = {
    connections: 0,
    accepted: 0,
    refused: 0,
    badFrames: 0,
    receivedFrames: 0,
    receivedMessages: 0,
    droppedMisaddressed: 0,
  };

  constructor(private readonly options: PeerListenerOptions) {}

  /** Bind and start accepting. Resolves to the bound port. */
  async listen(): Promise<number> {
    if (this.server !== undefined || this.closed) throw new Error("peer listener already started");
    const { host, port, limits, tls } = this.options;
    if (tls !== undefined) return this.listenTls(tls);
    const server = new WebSocketServer({ host, port, maxPayload: limits.frameBytesMax, perMessageDeflate: false, clientTracking: false });
    this.server = server;
    server.on("connection", (ws, req) => this.onConnection(ws, req));
    await new Promise<void>((resolve, reject) => {
      server.once("listening", resolve);
      server.once("error", reject);
    });
    server.on("error", (err) => this.options.logger.warn({ err: err.message }, "peer listener error"));
    return (server.address() as AddressInfo).port;
  }

  /** listen() with mutual TLS: an HTTPS server that requires a CA-signed client certificate, ws on top. */
  private async listenTls(tls: PeerListenerTls): Promise<number> {
    const { host, port, limits, logger } = this.options;
    const { cert, key, ca } = tls.material;
    if (ca === undefined) throw new Error("peer TLS needs tls.caFile: brokers verify each other's certificates against it");
    const https = createTlsServer({ cert, key, ca, requestCert: true, rejectUnauthorized: true, handshakeTimeout: limits.helloWaitMs });
    // Warned on the 1st, 2nd, 4th, 8th, ... failure: a flood of bad handshakes cannot flood the log.
    let failed = 0;
    https.on("tlsClientError", (err: Error & { code?: string }, socket) => {
      this.stats.refused++;
      failed++;
      const remote = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
      if ((failed & (failed - 1)) === 0) logger.warn({ remote, code: err.code, err: err.message, failed }, "peer refused: TLS handshake failed");
    });
    https.on("request", (_req, res) => res.writeHead(426, { connection: "close" }).end());
    this.tlsServer = https;
    const server = new WebSocketServer({ server: https, maxPayload: limits.frameBytesMax, perMessageDeflate: false, clientTracking: false });
    this.server = server;
    server.on("connection", (ws, req) => this.onConnection(ws, req));
    server.on("error", (err) => logger.warn({ err: err.message }, "peer listener error"));
    await new Promise<void>((resolve, reject) => {
      https.once("error", reject);
      https.listen(port, host, () => {
        https.off("error", reject);
        resolve();
      });
    });
    https.on("error", (err) => logger.warn({ err: err.message }, "peer listener error"));
    return (https.address() as AddressInfo).port;
  }

  /** Close every connection (GoingAway) and the listening socket. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const waits = [...this.inbound].map((c) => {
      c.closing = true;
      clearTimeout(c.helloTimer);
      return closeSocket(c.ws, CloseCode.GoingAway, "broker shutting down", this.options.limits.closeWaitMs);
    });
    await Promise.all(waits);
    const server = this.server;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
    const https = this.tlsServer;
    if (https !== undefined) {
      const closed = new Promise<void>((resolve) => https.close(() => resolve()));
      https.closeAllConnections(); // TLS sockets that never upgraded
      await closed;
    }
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const certificate = this.options.tls === undefined ? undefined : verifiedPeerCertificate(req.socket);
    const conn: Inbound = { ws, brokerId: undefined, closing: false, helloTimer: undefined, certificate };
    this.inbound.add(conn);
    this.stats.connections = this.inbound.size;
    ws.on("error", (err) => this.options.logger.warn({ err: err.message, peer: conn.brokerId }, "peer connection error"));
    ws.on("close", () => this.onClose(conn));
    if (this.closed) {
      this.refuse(conn, CloseCode.GoingAway, "broker shutting down");
      return;
    }
    if (this.inbound.size > this.options.limits.connectionsMax) {
      this.stats.refused++;
      this.refuse(conn, CloseCode.TooManyConnections, `more than ${this.options.limits.connectionsMax} peer connections`);
      return;
    }
    ws.on("message", (data, isBinary) => this.onFrame(conn, data, isBinary));
    conn.helloTimer = setTimeout(() => {
      this.stats.refused++;
      this.refuse(conn, CloseCode.HandshakeTimeout, `no peerHello within ${this.options.limits.helloWaitMs} ms`);
    }, this.options.limits.helloWaitMs);
  }

  private onClose(conn: Inbound): void {
    clearTimeout(conn.helloTimer);
    this.inbound.delete(conn);
    this.stats.connections = this.inbound.size;
    if (conn.brokerId !== undefined && this.byBroker.get(conn.brokerId) === conn) {
      this.byBroker.delete(conn.brokerId);
      if (!this.closed) this.options.liveness?.closed(conn.brokerId);
    }
  }

  /** Close a connection with a code and reason, after an error frame when one is given. */
  private refuse(conn: Inbound, code: number, reason: string, error?: { id: number; error: RlogError }): void {
    if (conn.closing) return;
    conn.closing = true;
    clearTimeout(conn.helloTimer);
    if (error !== undefined) conn.ws.send(encodePeerError(error.id, error.error));
    // A peer that ignores the close frame is cut off after closeWaitMs: refused sockets never pile up.
    void closeSocket(conn.ws, code, reason, this.options.limits.closeWaitMs);
  }

  private onFrame(conn: Inbound, data: RawData, isBinary: boolean): void {
    hopTrace?.("peer.in");
    if (conn.closing) return;
    if (!isBinary) {
      this.stats.badFrames++;
      this.refuse(conn, CloseCode.BadFrame, "binary frames only");
      return;
    }
    const decoded = decodePeerFrame(frameBytes(data), this.options.limits.frameBytesMax);
    if (!decoded.ok) {
      this.stats.badFrames++;
      this.refuse(conn, CloseCode.BadFrame, decoded.error.message, { id: 0, error: decoded.error });
      return;
    }
    const frame = decoded.value;
    if (conn.brokerId === undefined) {
      if (frame.kind !== "hello") {
        this.stats.badFrames++;
        this.refuse(conn, CloseCode.BadFrame, `expected peerHello first, got ${frame.kind}`);
        return;
      }
      this.onHello(conn, frame.id, frame.hello);
      return;
    }
    this.options.liveness?.heard(conn.brokerId);
    if (frame.kind === "leaders") {
      this.stats.receivedFrames++;
      // A broker speaks only for its own leaderships.
      const own = frame.announcements.filter((a) => a.leader === conn.brokerId);
      this.stats.droppedMisaddressed += frame.announcements.length - own.length;
      if (own.length > 0) this.options.deliverLeaders?.(conn.brokerId, own);
      return;
    }
    if (frame.kind !== "raft") {
      this.stats.badFrames++;
      this.refuse(conn, CloseCode.BadFrame, `unexpected ${frame.kind} frame`);
      return;
    }
    const from = conn.brokerId;
    const self = this.options.selfId;
    this.stats.receivedFrames++;
    for (const env of frame.envelopes) {
      if (env.msg.from !== from || env.msg.to !== self) {
        this.stats.droppedMisaddressed++;
        continue;
      }
      this.stats.receivedMessages++;
      this.options.deliver(from, env.group, env.msg);
    }
  }

  private onHello(conn: Inbound, id: number, hello: PeerHello): void {
    const { logger, selfId, secret } = this.options;
    if (hello.version < PROTOCOL_VERSION_MIN || hello.version > PROTOCOL_VERSION) {
      this.stats.refused++;
      const error = new RlogError("UNSUPPORTED_VERSION", `peer protocol version ${hello.version} not in [${PROTOCOL_VERSION_MIN}, ${PROTOCOL_VERSION}]`, {
        versionMin: PROTOCOL_VERSION_MIN,
        versionMax: PROTOCOL_VERSION,
      });
      this.refuse(conn, CloseCode.UnsupportedVersion, error.message, { id, error });
      return;
    }
    // Checked before anything else about the hello is believed.
    if (!secretMatches(hello.secret, secret)) {
      this.stats.refused++;
      logger.warn({ claimedBrokerId: hello.brokerId }, "peer refused: wrong cluster secret");
      const message = hello.secret === "" ? "missing cluster secret" : "wrong cluster secret";
      this.refuse(conn, CloseCode.AuthenticationFailed, `authentication failed: ${message}`, { id, error: new RlogError("AUTHENTICATION_FAILED", message) });
      return;
    }
    const brokerId = hello.brokerId as NodeId;
    if (brokerId === selfId) {
      this.stats.refused++;
      this.refuse(conn, CloseCode.WrongPeer, `peerHello from this broker's own id ${selfId}`);
      return;
    }
    if (this.options.isPeer !== undefined && !this.options.isPeer(brokerId)) {
      // Another cluster sharing the secret (two local clusters on one machine), or a mistyped brokerId.
      this.stats.refused++;
      logger.warn({ claimedBrokerId: brokerId }, "peer refused: not a broker of this cluster's config");
      this.refuse(conn, CloseCode.WrongPeer, `broker ${brokerId} is not in this broker's brokers list`);
      return;
    }
    if (this.options.tls !== undefined) {
      const mismatch = peerCertificateMismatch(brokerId, this.options.tls.peerHost(brokerId), conn.certificate);
      if (mismatch !== undefined) {
        this.stats.refused++;
        logger.warn({ claimedBrokerId: brokerId, reason: mismatch }, "peer refused: certificate does not match the claimed broker id");
        this.refuse(conn, CloseCode.AuthenticationFailed, "authentication failed: certificate does not match the claimed broker id", { id, error: new RlogError("AUTHENTICATION_FAILED", mismatch) });
        return;
      }
    }
    const local = this.options.identity?.local();
    this.options.identity?.onPeer(brokerId, hello.identity);
    if (otherCluster(local, hello.identity)) {
      this.stats.refused++;
      const message = `broker ${brokerId} belongs to cluster ${hello.identity!.clusterId}, this broker to cluster ${local!.clusterId}`;
      logger.warn({ peer: brokerId, peerClusterId: hello.identity!.clusterId, clusterId: local!.clusterId }, "peer refused: its data belongs to another cluster");
      this.refuse(conn, CloseCode.WrongCluster, "data of another cluster", { id, error: new RlogError("CLUSTER_ID_MISMATCH", message) });
      return;
    }
    clearTimeout(conn.helloTimer);
    conn.helloTimer = undefined;
    conn.brokerId = brokerId;
    this.stats.accepted++;
    // One inbound connection per peer: a reconnecting peer replaces its stale connection.
    const older = this.byBroker.get(brokerId);
    this.byBroker.set(brokerId, conn);
    if (older !== undefined) this.refuse(older, CloseCode.Replaced, "replaced by a newer connection from the same broker");
    conn.ws.send(encodePeerHelloOk(id, selfId, local));
    logger.info({ peer: brokerId }, "peer connected (inbound)");
    this.options.liveness?.connected(brokerId);
  }
}
