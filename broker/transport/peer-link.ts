/**
 * The outbound link to one peer: a bounded queue of Raft messages and one
 * WebSocket that is dialed, authenticated with a hello, and redialed with
 * capped, jittered backoff whenever it drops. A message queued on a quiet
 * link leaves at once, in the caller's turn (a leader's append then goes out
 * before its own log write starts, and a follower's answer right after its
 * write: no wait for the end of the turn on the produce path). Messages
 * queued after a frame left in the same event-loop turn wait for the end of
 * that turn and leave together, in as few frames as possible (one per
 * frameBytesTarget), which is what makes many small Raft messages cheap: a
 * busy link sends about two frames a turn, however many groups speak.
 * Leader announcements wait apart from Raft messages, one per group (a newer
 * one replaces the older), and leave first. An open link that sent nothing
 * for limits.heartbeatIntervalMs sends a heartbeat frame (a Raft frame with no
 * messages): the one liveness signal of the broker pair (peer-liveness.ts).
 */
import { WebSocket, type RawData } from "ws";
import type { Message } from "../raft/messages.js";
import type { RandomSource } from "../raft/random.js";
import type { NodeId } from "../raft/types.js";
import { CloseCode } from "../protocol/close-codes.js";
import {
  PEER_FRAME_MESSAGES_MAX,
  decodePeerFrame,
  encodePeerHello,
  encodePeerProof,
  encodePeerLeaders,
  encodePeerRaft,
  type LeaderAnnouncement,
  type PeerEnvelope,
} from "../protocol/peer-frames.js";
import { PROTOCOL_VERSION } from "../protocol/version.js";
import { Backoff } from "./backoff.js";
import { closeSocket, frameBytes } from "./close-socket.js";
import { messageBytes } from "./message-bytes.js";
import type { PeerLimits } from "./peer-limits.js";
import { otherCluster, type PeerIdentityHooks } from "./peer-identity.js";
import type { PeerLogger } from "./peer-logger.js";
import { SendQueue } from "./send-queue.js";
import type { TlsMaterial } from "./tls-files.js";
import { derivePeerKey, dialerProof, newPeerNonce, verifyListenerProof, type PeerKey, type PeerTranscript } from "./peer-auth.js";
import { hopTrace } from "../protocol/hop-trace.js";

/** Settings of a link. */
export interface PeerLinkOptions {
  readonly selfId: NodeId;
  readonly peerId: NodeId;
  /** The peer's listener, e.g. "ws://10.0.0.2:9093". */
  readonly url: string;
  /** The cluster secret; only a key derived from it is kept (peer-auth.ts). */
  readonly secret: string;
  readonly limits: PeerLimits;
  /** Reconnect jitter. */
  readonly random: RandomSource;
  readonly logger: PeerLogger;
  /** Called each time the link completes a hello (the peer may have restarted and know nothing). */
  readonly onOpen?: (peerId: NodeId) => void;
  /** Data-directory identities exchanged in hellos (none: nothing told, nothing checked). */
  readonly identity?: PeerIdentityHooks;
  /**
   * With TLS (a wss:// url): the certificate and key this broker presents, and the CA
   * the listener's certificate must chain to; it must also be valid for the url's host.
   */
  readonly tls?: TlsMaterial;
}

/** Leader announcements in one frame: about 300 bytes each at most, so a frame stays near 1 MiB. */
const ANNOUNCEMENTS_PER_FRAME_MAX = 4096;
/** Largest frame read on a dialing socket: only hello answers (helloOk or an error) come back on it. */
const HELLO_ANSWER_BYTES_MAX = 64 * 1024;

/** Counters and state of a link. */
export interface PeerLinkStats {
  readonly peerId: NodeId;
  /** Hello accepted and the socket open. */
  readonly connected: boolean;
  readonly queuedMessages: number;
  readonly queuedBytes: number;
  readonly sentMessages: number;
  readonly sentFrames: number;
  /** Oldest messages dropped because the queue was full. */
  readonly droppedQueueFull: number;
  /** Messages dropped because they alone exceed frameBytesMax. */
  readonly droppedOversized: number;
  /** Dial attempts, successful or not. */
  readonly dials: number;
  /** Dials that completed the hello. */
  readonly connects: number;
  /** Heartbeat frames sent (the link had nothing else to send). */
  readonly heartbeats: number;
}

/**
 * idle: not started. dialing: TCP/WebSocket handshake. hello: waiting for the
 * listener's challenge, then (proof sent) for its helloOk. open: sending.
 * waiting: backoff before the next dial.
 */
type LinkState = "idle" | "dialing" | "hello" | "open" | "waiting" | "closed";

/** One outbound peer connection; see the file comment. */
export class PeerLink {
  private state: LinkState = "idle";
  private ws: WebSocket | undefined;
  private readonly queue: SendQueue<PeerEnvelope>;
  private readonly backoff: Backoff;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private helloTimer: NodeJS.Timeout | undefined;
  private flushImmediate: NodeJS.Immediate | undefined;
  /** A frame left in this event-loop turn: more messages wait for the turn's end (flushImmediate). */
  private sentThisTurn = false;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** A frame left since the last heartbeat tick (then no heartbeat is needed). */
  private sentSinceHeartbeat = false;
  private heartbeats = 0;
  private helloId = 0;
  private readonly key: PeerKey;
  /** The dialer's nonce of the hello in flight; undefined once answered or before one is sent. */
  private helloNonce: Uint8Array | undefined;
  /** Our proof was sent for the hello in flight: only helloOk or an error may follow. */
  private proofSent = false;
  private sentMessages = 0;
  private sentFrames = 0;
  private droppedOversized = 0;
  private dials = 0;
  private connects = 0;
  /** Failed dials since the link was last open; only the first is logged. */
  private failures = 0;
  /** Announcements not sent yet, by group; bounded by limits.queueMessagesMax (oldest dropped). */
  private readonly announcements = new Map<string, LeaderAnnouncement>();

  constructor(private readonly options: PeerLinkOptions) {
    const { limits, random } = options;
    this.key = derivePeerKey(options.secret);
    this.queue = new SendQueue({ itemsMax: limits.queueMessagesMax, bytesMax: limits.queueBytesMax });
    this.backoff = new Backoff({ delayMsMin: limits.reconnectDelayMsMin, delayMsMax: limits.reconnectDelayMsMax, random });
  }

  /** Start dialing. */
  start(): void {
    if (this.state === "idle") this.dial();
  }

  /**
   * Queue a message. On an open link it leaves at once when no frame left in
   * this event-loop turn yet, else at the end of the turn with the others.
   */
  enqueue(group: string, msg: Message): void {
    if (this.state === "closed") return;
    const size = messageBytes(msg);
    if (size > this.options.limits.frameBytesMax) {
      this.droppedOversized++;
      return;
    }
    this.queue.push({ group, msg }, size);
    if (this.sentThisTurn) this.scheduleFlush();
    else this.flush();
  }

  /**
   * Queue leader announcements; each replaces a waiting one of the same group.
   * They are kept while the link is down and leave, before Raft messages, once it is open.
   */
  announce(announcements: readonly LeaderAnnouncement[]): void {
    if (this.state === "closed") return;
    for (const a of announcements) {
      this.announcements.delete(a.group);
      this.announcements.set(a.group, a);
      if (this.announcements.size > this.options.limits.queueMessagesMax) {
        const oldest = this.announcements.keys().next().value;
        if (oldest !== undefined) this.announcements.delete(oldest);
      }
    }
    this.scheduleFlush();
  }

  /** Counters and state. */
  stats(): PeerLinkStats {
    return {
      peerId: this.options.peerId,
      connected: this.state === "open",
      queuedMessages: this.queue.length,
      queuedBytes: this.queue.byteLength,
      sentMessages: this.sentMessages,
      sentFrames: this.sentFrames,
      droppedQueueFull: this.queue.dropped,
      droppedOversized: this.droppedOversized,
      dials: this.dials,
      connects: this.connects,
      heartbeats: this.heartbeats,
    };
  }

  /** Stop for good: drop the queue, cancel timers, close the socket. Idempotent. */
  async close(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.helloTimer);
    clearInterval(this.heartbeatTimer);
    if (this.flushImmediate !== undefined) clearImmediate(this.flushImmediate);
    this.flushImmediate = undefined;
    this.queue.clear();
    this.announcements.clear();
    const ws = this.ws;
    if (ws !== undefined) await closeSocket(ws, CloseCode.Normal, "peer link closed", this.options.limits.closeWaitMs);
  }

  private dial(): void {
    const { url, limits } = this.options;
    this.state = "dialing";
    this.dials++;
    // Only hello answers come back on this socket: a small maxPayload is plenty.
    // A zero mask key: ws then skips masking here and unmasking at the listener, the largest
    // single CPU cost of replication in the profiles (docs/PERFORMANCE.md). RFC 6455 masking
    // protects browsers' intermediaries from cache poisoning; peer links are broker-to-broker.
    const tls = this.options.tls;
    const ws = new WebSocket(url, {
      maxPayload: HELLO_ANSWER_BYTES_MAX,
      perMessageDeflate: false,
      handshakeTimeout: limits.helloWaitMs,
      generateMask: zeroMask,
      ...(tls === undefined ? {} : { cert: tls.cert, key: tls.key, ...(tls.ca === undefined ? {} : { ca: tls.ca }), rejectUnauthorized: true }),
    });
    this.ws = ws;
    ws.on("open", () => this.onOpen(ws));
    ws.on("message", (data, isBinary) => this.onFrame(ws, data, isBinary));
    ws.on("error", (err) => {
      if (this.failures++ === 0) this.options.logger.warn({ peer: this.options.peerId, url, err: err.message }, "peer link failed; redialing");
    });
    ws.on("close", (code, reason) => this.onClose(ws, code, reason.toString()));
  }

  private onOpen(ws: WebSocket): void {
    if (ws !== this.ws || this.state !== "dialing") return;
    this.state = "hello";
    const { selfId, peerId, limits } = this.options;
    const identity = this.options.identity?.local();
    this.helloNonce = newPeerNonce();
    this.proofSent = false;
    ws.send(encodePeerHello(++this.helloId, { version: PROTOCOL_VERSION, brokerId: selfId, to: peerId, nonce: this.helloNonce, ...(identity ? { identity } : {}) }));
    this.helloTimer = setTimeout(() => {
      this.options.logger.warn({ peer: this.options.peerId }, "no answer to peerHello; redialing");
      ws.terminate();
    }, limits.helloWaitMs);
  }

  private onFrame(ws: WebSocket, data: RawData, isBinary: boolean): void {
    if (ws !== this.ws || this.state !== "hello") return;
    const { peerId, logger } = this.options;
    const decoded = isBinary ? decodePeerFrame(frameBytes(data), HELLO_ANSWER_BYTES_MAX) : undefined;
    const kind = decoded?.ok === true ? decoded.value.kind : undefined;
    const expected = this.proofSent ? kind === "helloOk" || kind === "error" : kind === "challenge" || kind === "error";
    if (decoded === undefined || !decoded.ok || !expected) {
      ws.close(CloseCode.BadFrame, "expected an answer to peerHello");
      return;
    }
    const frame = decoded.value;
    if (frame.kind === "challenge") {
      this.onChallenge(ws, frame.id, frame.challenge.brokerId, frame.challenge.nonce, frame.challenge.proof);
      return;
    }
    if (frame.kind !== "helloOk" && frame.kind !== "error") return; // excluded by `expected`; narrows the type
    clearTimeout(this.helloTimer);
    if (frame.kind === "error") {
      // The listener closes the connection after this; the backoff redials (the secret may be fixed meanwhile).
      logger.warn({ peer: peerId, code: frame.error.code, error: frame.error.codeName, message: frame.error.message }, "peer refused our hello");
      if (frame.error.codeName === "CLUSTER_ID_MISMATCH") this.options.identity?.onOtherCluster?.(peerId, frame.error.message);
      return;
    }
    if (frame.brokerId !== peerId) {
      logger.warn({ peer: peerId, answeredAs: frame.brokerId, url: this.options.url }, "peer URL leads to a different broker");
      ws.close(CloseCode.WrongPeer, `expected broker ${peerId}, reached ${frame.brokerId}`);
      return;
    }
    const local = this.options.identity?.local();
    this.options.identity?.onPeer(peerId, frame.identity);
    if (otherCluster(local, frame.identity)) {
      logger.warn({ peer: peerId, peerClusterId: frame.identity!.clusterId, clusterId: local!.clusterId }, "peer's data belongs to another cluster; not sending to it");
      ws.close(CloseCode.WrongCluster, "data of another cluster");
      return;
    }
    this.state = "open";
    this.connects++;
    this.failures = 0;
    this.backoff.reset();
    logger.info({ peer: peerId }, "peer connected (outbound)");
    this.startHeartbeats(ws);
    this.options.onOpen?.(peerId);
    this.scheduleFlush();
  }

  /**
   * The listener's challenge: check that it proved the secret for this very
   * hello (our fresh nonce, its id, ours), then prove it ourselves. A
   * listener that cannot prove it is not sent our proof (it learns nothing
   * it could use elsewhere anyway: our proof covers its nonce) nor anything else.
   */
  private onChallenge(ws: WebSocket, id: number, listenerId: number, listenerNonce: Uint8Array, proof: Uint8Array): void {
    const { peerId, selfId, logger, url } = this.options;
    const nonce = this.helloNonce;
    if (id !== this.helloId || nonce === undefined) {
      ws.close(CloseCode.BadFrame, "challenge for another hello");
      return;
    }
    if (listenerId !== peerId) {
      logger.warn({ peer: peerId, answeredAs: listenerId, url }, "peer URL leads to a different broker");
      ws.close(CloseCode.WrongPeer, `expected broker ${peerId}, reached ${listenerId}`);
      return;
    }
    const transcript: PeerTranscript = { version: PROTOCOL_VERSION, dialerId: selfId, listenerId: peerId, dialerNonce: nonce, listenerNonce };
    if (!verifyListenerProof(this.key, transcript, proof)) {
      clearTimeout(this.helloTimer);
      logger.warn({ peer: peerId, url }, "peer listener failed to prove the cluster secret; not connecting to it");
      ws.close(CloseCode.AuthenticationFailed, "listener's proof of the cluster secret is wrong");
      return;
    }
    this.helloNonce = undefined;
    this.proofSent = true;
    ws.send(encodePeerProof(id, dialerProof(this.key, transcript)));
  }

  /** Send a heartbeat frame whenever a heartbeat interval passed without any frame (see the file comment). */
  private startHeartbeats(ws: WebSocket): void {
    clearInterval(this.heartbeatTimer);
    this.sentSinceHeartbeat = false;
    this.heartbeatTimer = setInterval(() => {
      if (ws !== this.ws || this.state !== "open") return;
      if (this.sentSinceHeartbeat) {
        this.sentSinceHeartbeat = false;
        return;
      }
      this.heartbeats++;
      this.sentFrames++;
      ws.send(HEARTBEAT_FRAME);
    }, this.options.limits.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.ws) return;
    this.ws = undefined;
    clearTimeout(this.helloTimer);
    clearInterval(this.heartbeatTimer);
    if (this.state === "closed") return;
    if (this.state === "open") this.options.logger.info({ peer: this.options.peerId, code, reason }, "peer link lost; redialing");
    this.state = "waiting";
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.state === "waiting") this.dial();
    }, this.backoff.next());
  }

  private scheduleFlush(): void {
    if (this.flushImmediate !== undefined || this.state !== "open" || (this.queue.length === 0 && this.announcements.size === 0)) return;
    this.armTurnEnd();
  }

  /** At the end of this event-loop turn: the link is quiet again, and what was queued meanwhile leaves. */
  private armTurnEnd(): void {
    if (this.flushImmediate !== undefined) return;
    this.flushImmediate = setImmediate(() => {
      this.flushImmediate = undefined;
      this.sentThisTurn = false;
      this.flush();
    });
  }

  /** Hand queued messages to the socket as frames while the socket is not backed up. */
  private flush(): void {
    const ws = this.ws;
    if (this.state !== "open" || ws === undefined) return;
    const framesBefore = this.sentFrames;
    this.flushFrames(ws);
    if (this.sentFrames !== framesBefore) {
      this.sentThisTurn = true;
      this.armTurnEnd();
    }
  }

  private flushFrames(ws: WebSocket): void {
    const { frameBytesTarget, frameBytesMax, socketBufferBytesMax } = this.options.limits;
    while (this.announcements.size > 0 && ws.bufferedAmount < socketBufferBytesMax) {
      const batch: LeaderAnnouncement[] = [];
      for (const [group, a] of this.announcements) {
        if (batch.length === ANNOUNCEMENTS_PER_FRAME_MAX) break;
        batch.push(a);
        this.announcements.delete(group);
      }
      this.sentFrames++;
      this.sentSinceHeartbeat = true;
      ws.send(encodePeerLeaders(batch), (err) => {
        if (err === undefined || err === null) this.scheduleFlush();
      });
    }
    while (this.queue.length > 0 && ws.bufferedAmount < socketBufferBytesMax) {
      const batch: PeerEnvelope[] = [];
      let bytes = 0;
      while (batch.length < PEER_FRAME_MESSAGES_MAX) {
        const size = this.queue.peekSize();
        if (size === undefined || (batch.length > 0 && bytes + size > frameBytesTarget)) break;
        batch.push(this.queue.shift() as PeerEnvelope);
        bytes += size;
      }
      const frame = encodePeerRaft(batch);
      if (frame.byteLength > frameBytesMax) {
        // Only possible if messageBytes underestimates badly; the receiver would refuse the frame.
        this.droppedOversized += batch.length;
        continue;
      }
      this.sentFrames++;
      this.sentSinceHeartbeat = true;
      this.sentMessages += batch.length;
      hopTrace?.("peer.out");
      ws.send(frame, (err) => {
        if (err === undefined || err === null) this.scheduleFlush();
      });
    }
  }
}

/** The heartbeat frame: a Raft frame with no messages, which every listener accepts and delivers nothing of. */
const HEARTBEAT_FRAME = encodePeerRaft([]);

/** Fills a frame's mask key with zeros (see the comment where the socket is opened). */
function zeroMask(mask: Buffer): void {
  mask.fill(0);
}
