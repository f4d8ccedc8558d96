/**
 * The peer listener: accepts connections from other brokers, requires the
 * challenge-and-response hello first (peerHello, our peerChallenge, their
 * peerProof: peer-auth.ts), then delivers the Raft messages of every later
 * frame. Refusals send an error frame (so the dialer can log the code) and
 * close with a CloseCode and a reason. Failed hellos are throttled per
 * remote address (peer-auth-throttle.ts). A message the broker refuses as
 * impossible from a correct peer closes that peer's connection (PeerFault),
 * never the process.
 *
 * With TLS (options.tls) the listener serves wss:// and requires a client
 * certificate that chains to tls.caFile (mutual TLS, checked in the TLS
 * handshake), and a hello is accepted only when that certificate is valid for
 * the host of the broker id the hello claims (peer-certificate.ts).
 */
import { createServer as createTlsServer, type Server as TlsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { PeerCertificate } from "node:tls";
import { WebSocketServer, type WebSocket, type RawData } from "ws";
import type { Message } from "../raft/messages.js";
import type { NodeId } from "../raft/types.js";
import { CloseCode } from "../protocol/close-codes.js";
import { RlogError } from "../protocol/errors.js";
import { decodePeerFrame, encodePeerChallenge, encodePeerError, encodePeerHelloOk, type LeaderAnnouncement, type PeerHello } from "../protocol/peer-frames.js";
import { PROTOCOL_VERSION, PROTOCOL_VERSION_MIN } from "../protocol/version.js";
import { closeSocket, frameBytes } from "./close-socket.js";
import type { PeerLimits } from "./peer-limits.js";
import type { PeerLogger } from "./peer-logger.js";
import { otherCluster, type PeerIdentityHooks } from "./peer-identity.js";
import { peerCertificateMismatch, verifiedPeerCertificate } from "./peer-certificate.js";
import type { TlsMaterial } from "./tls-files.js";
import { derivePeerKey, listenerProof, newPeerNonce, verifyDialerProof, type PeerKey, type PeerTranscript } from "./peer-auth.js";
import { PeerAuthThrottle } from "./peer-auth-throttle.js";
import { hopTrace } from "../protocol/hop-trace.js";

/** Settings of a listener. */
export interface PeerListenerOptions {
  readonly selfId: NodeId;
  /** Interface to bind, e.g. "127.0.0.1". */
  readonly host: string;
  /** Port to bind; 0 picks a free one (see the port listen() resolves to). */
  readonly port: number;
  /** The cluster secret; only a key derived from it is kept (peer-auth.ts). */
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
  /**
   * One more check of a peer whose proof checked out, before it is
   * accepted: e.g. that its TLS client certificate names `claimedId`. An
   * error refuses the hello (its code goes back to the dialer, the
   * connection closes with AuthenticationFailed, and it counts as a failed
   * attempt of the address); undefined accepts.
   */
  readonly verifyPeer?: (claimedId: NodeId, socket: Socket) => RlogError | undefined;
  /** Clock for the failed-hello throttle (ms); Date.now by default. */
  readonly nowMs?: () => number;
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
  /** Connections refused: failed proofs, version, limits, self-connections, throttled addresses. */
  refused: number;
  /** Hellos whose proof was missing or wrong, or that verifyPeer refused (each also counts in refused). */
  authFailures: number;
  /** Hellos refused unheard because their address was still waiting after a failure (each also counts in refused). */
  authThrottled: number;
  /** Authenticated connections closed because the peer sent a message the broker refused (PeerFault). */
  peerFaults: number;
  /** Frames that failed to decode or came out of order (each closes its connection). */
  badFrames: number;
  receivedFrames: number;
  receivedMessages: number;
  /** Messages whose from/to did not match the connection's broker and this broker. */
  droppedMisaddressed: number;
}

/** A hello answered with our challenge, waiting for the dialer's proof. */
interface PendingHello {
  readonly id: number;
  readonly hello: PeerHello;
  readonly transcript: PeerTranscript;
}

interface Inbound {
  readonly ws: WebSocket;
  /** The remote address (throttling and logs). */
  readonly remote: string;
  /** The TCP (or TLS) socket under the WebSocket, for verifyPeer. */
  readonly socket: Socket;
  /** Set once the hello is answered with a challenge, until the proof arrives. */
  pending: PendingHello | undefined;
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
  private readonly key: PeerKey;
  private readonly throttle: PeerAuthThrottle;
  private readonly nowMs: () => number;
  /** Counters; read-only for callers. */
  readonly stats: PeerListenerStats = {
    connections: 0,
    accepted: 0,
    refused: 0,
    authFailures: 0,
    authThrottled: 0,
    peerFaults: 0,
    badFrames: 0,
    receivedFrames: 0,
    receivedMessages: 0,
    droppedMisaddressed: 0,
  };

  constructor(private readonly options: PeerListenerOptions) {
    this.key = derivePeerKey(options.secret);
    this.throttle = new PeerAuthThrottle(options.limits);
    this.nowMs = options.nowMs ?? Date.now;
  }

  /** Bind and start accepting. Resolves to the bound port. */
  async listen(): Promise<number> {
    if (this.server !== undefined || this.closed) throw new Error("peer listener already started");
    const { host, port, limits, tls } = this.options;
    if (tls !== undefined) return this.listenTls(tls);
    const server = new WebSocketServer({ host, port, maxPayload: limits.frameBytesMax, perMessageDeflate: false, clientTracking: false });
    this.server = server;
    server.on("connection", (ws, req) => this.onConnection(ws, req.socket));
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
    server.on("connection", (ws, req) => this.onConnection(ws, req.socket));
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

  /**
   * Close the authenticated connection of `peer` (if any) because the broker
   * refused a message it sent: logged at warn, counted in peerFaults. The
   * peer redials; a correct peer then goes on as after any lost connection.
   */
  disconnect(peer: NodeId, reason: string): void {
    const conn = this.byBroker.get(peer);
    if (conn === undefined || conn.closing) return;
    this.stats.peerFaults++;
    this.options.logger.warn({ peer, remote: conn.remote, reason }, "peer connection closed: it sent a message this broker refused");
    this.refuse(conn, CloseCode.PeerFault, truncateReason(reason));
  }

  private onConnection(ws: WebSocket, socket: Socket): void {
    const remote = socket.remoteAddress ?? "unknown";
    const certificate = this.options.tls === undefined ? undefined : verifiedPeerCertificate(socket);
    const conn: Inbound = { ws, remote, socket, pending: undefined, brokerId: undefined, closing: false, helloTimer: undefined, certificate };
    this.inbound.add(conn);
    this.stats.connections = this.inbound.size;
    ws.on("error", (err) => this.options.logger.warn({ err: err.message, peer: conn.brokerId, remote }, "peer connection error"));
    ws.on("close", (code) => this.onClose(conn, code));
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

  private onClose(conn: Inbound, code: number): void {
    clearTimeout(conn.helloTimer);
    if (conn.pending !== undefined && code === CloseCode.AuthenticationFailed && !conn.closing && !this.closed) {
      // The dialer refused our proof: its secret differs. A failed attempt. (A dialer that closes for
      // another reason, e.g. its broker shutting down mid-hello, is not counted: no throttling of real brokers.)
      this.stats.refused++;
      this.stats.authFailures++;
      const waitMs = this.throttle.failed(conn.remote, this.nowMs());
      this.options.logger.warn({ remote: conn.remote, claimedBrokerId: conn.pending.hello.brokerId, waitMs }, "peer closed the connection after our challenge, without a proof (a different secret?)");
    }
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
      // From an authenticated peer this is a bug or a hostile peer (raft-message-check.ts): say so.
      if (conn.brokerId !== undefined) this.options.logger.warn({ peer: conn.brokerId, remote: conn.remote, err: decoded.error.message }, "peer sent a frame that failed its checks: closing that peer connection");
      this.refuse(conn, CloseCode.BadFrame, decoded.error.message, { id: 0, error: decoded.error });
      return;
    }
    const frame = decoded.value;
    if (conn.brokerId === undefined) {
      if (conn.pending !== undefined) {
        if (frame.kind !== "proof" || frame.id !== conn.pending.id) {
          this.stats.badFrames++;
          this.refuse(conn, CloseCode.BadFrame, `expected peerProof for hello ${conn.pending.id}, got ${frame.kind}`);
          return;
        }
        this.onProof(conn, conn.pending, frame.proof);
        return;
      }
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
      if (own.length > 0) this.guarded(conn, () => this.options.deliverLeaders?.(conn.brokerId!, own));
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
      if (conn.closing) return; // a message of this frame made the broker close the connection: drop the rest
      if (env.msg.from !== from || env.msg.to !== self) {
        this.stats.droppedMisaddressed++;
        continue;
      }
      this.stats.receivedMessages++;
      if (!this.guarded(conn, () => this.options.deliver(from, env.group, env.msg))) return;
    }
  }

  /**
   * Run a delivery; if it throws, the message (or what it led to) is the
   * peer's fault as far as this connection goes: log it with the error,
   * count it, close the connection, and keep the process. The receiving
   * layers (GroupRunner.step) catch what they can attribute themselves;
   * this is the last line, so that nothing a peer sends can reach the
   * process's uncaught-exception path. False when it threw.
   */
  private guarded(conn: Inbound, deliver: () => void): boolean {
    try {
      deliver();
      return true;
    } catch (err) {
      this.stats.peerFaults++;
      this.options.logger.warn({ peer: conn.brokerId, remote: conn.remote, err }, "delivering a peer's message threw: closing that peer connection");
      this.refuse(conn, CloseCode.PeerFault, "a message of this connection could not be handled");
      return false;
    }
  }

  private onHello(conn: Inbound, id: number, hello: PeerHello): void {
    const { logger, selfId } = this.options;
    const remote = conn.remote;
    if (hello.version < PROTOCOL_VERSION_MIN || hello.version > PROTOCOL_VERSION) {
      this.stats.refused++;
      const error = new RlogError("UNSUPPORTED_VERSION", `peer protocol version ${hello.version} not in [${PROTOCOL_VERSION_MIN}, ${PROTOCOL_VERSION}]`, {
        versionMin: PROTOCOL_VERSION_MIN,
        versionMax: PROTOCOL_VERSION,
      });
      this.refuse(conn, CloseCode.UnsupportedVersion, error.message, { id, error });
      return;
    }
    const waitMs = this.throttle.waitMs(remote, this.nowMs());
    if (waitMs > 0) {
      this.stats.refused++;
      this.stats.authThrottled++;
      logger.warn({ remote, claimedBrokerId: hello.brokerId, waitMs }, "peer hello refused: its address failed to authenticate recently");
      const message = `too many failed peer hellos from ${remote}; try again in ${waitMs} ms`;
      this.refuse(conn, CloseCode.AuthenticationFailed, "authentication failed: throttled", { id, error: new RlogError("AUTHENTICATION_FAILED", message) });
      return;
    }
    if (hello.nonce.byteLength === 0) {
      // A broker from before challenge and response (it sent the secret itself), or a stranger.
      this.authFailed(conn, id, hello.brokerId, "peer hello without a nonce: this broker requires challenge-and-response peer authentication");
      return;
    }
    const brokerId = hello.brokerId as NodeId;
    if (brokerId === selfId) {
      this.stats.refused++;
      this.refuse(conn, CloseCode.WrongPeer, `peerHello from this broker's own id ${selfId}`);
      return;
    }
    if (hello.to !== selfId) {
      this.stats.refused++;
      logger.warn({ remote, claimedBrokerId: brokerId, to: hello.to }, "peer refused: it dialed another broker's id");
      this.refuse(conn, CloseCode.WrongPeer, `expected broker ${hello.to}, reached ${selfId}`);
      return;
    }
    if (this.options.isPeer !== undefined && !this.options.isPeer(brokerId)) {
      // Another cluster sharing the secret (two local clusters on one machine), or a mistyped brokerId.
      this.stats.refused++;
      logger.warn({ remote, claimedBrokerId: brokerId }, "peer refused: not a broker of this cluster's config");
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
    // Both ids and both fresh nonces go into what each side proves (peer-auth.ts).
    const transcript: PeerTranscript = { version: hello.version, dialerId: brokerId, listenerId: selfId, dialerNonce: hello.nonce, listenerNonce: newPeerNonce() };
    conn.pending = { id, hello, transcript };
    conn.ws.send(encodePeerChallenge(id, { brokerId: selfId, nonce: transcript.listenerNonce, proof: listenerProof(this.key, transcript) }));
  }

  /** The dialer's proof arrived: check it (constant time), then the optional checks, then accept. */
  private onProof(conn: Inbound, pending: PendingHello, proof: Uint8Array): void {
    conn.pending = undefined;
    const { id, hello, transcript } = pending;
    const { logger, selfId } = this.options;
    if (!verifyDialerProof(this.key, transcript, proof)) {
      this.authFailed(conn, id, hello.brokerId, "wrong proof of the cluster secret");
      return;
    }
    const brokerId = hello.brokerId as NodeId;
    const refusal = this.options.verifyPeer?.(brokerId, conn.socket);
    if (refusal !== undefined) {
      this.authFailed(conn, id, brokerId, refusal.message, refusal);
      return;
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
    this.throttle.succeeded(conn.remote);
    clearTimeout(conn.helloTimer);
    conn.helloTimer = undefined;
    conn.brokerId = brokerId;
    this.stats.accepted++;
    // One inbound connection per peer: a reconnecting peer replaces its stale connection.
    const older = this.byBroker.get(brokerId);
    this.byBroker.set(brokerId, conn);
    if (older !== undefined) this.refuse(older, CloseCode.Replaced, "replaced by a newer connection from the same broker");
    conn.ws.send(encodePeerHelloOk(id, selfId, local));
    logger.info({ peer: brokerId, remote: conn.remote }, "peer connected (inbound)");
    this.options.liveness?.connected(brokerId);
  }

  /** Refuse a hello that failed to authenticate: warn, count, throttle the address, answer AUTHENTICATION_FAILED. */
  private authFailed(conn: Inbound, id: number, claimedBrokerId: number, message: string, error?: RlogError): void {
    this.stats.refused++;
    this.stats.authFailures++;
    const waitMs = this.throttle.failed(conn.remote, this.nowMs());
    this.options.logger.warn({ remote: conn.remote, claimedBrokerId, waitMs, reason: message }, "peer hello failed to authenticate");
    const refusal = error ?? new RlogError("AUTHENTICATION_FAILED", message);
    this.refuse(conn, CloseCode.AuthenticationFailed, truncateReason(`authentication failed: ${message}`), { id, error: refusal });
  }
}

/** A close reason fits in 123 bytes (RFC 6455); reasons here are ASCII. */
function truncateReason(reason: string): string {
  return reason.length <= 120 ? reason : `${reason.slice(0, 117)}...`;
}
