/**
 * PeerTransport over ws: one PeerListener for inbound traffic and one
 * PeerLink per peer for outbound traffic (each direction of a broker pair
 * uses its own connection, dialed by the sender). See docs/PROTOCOL.md,
 * "Peer protocol".
 */
import type { LeaderAnnouncement } from "../protocol/peer-frames.js";
import type { Message } from "../raft/messages.js";
import type { RandomSource } from "../raft/random.js";
import type { NodeId } from "../raft/types.js";
import { MATH_RANDOM } from "./backoff.js";
import { DEFAULT_PEER_LIMITS, type PeerLimits } from "./peer-limits.js";
import { PeerLink, type PeerLinkStats } from "./peer-link.js";
import { PeerListener, type PeerListenerOptions, type PeerListenerStats, type PeerLivenessSignals } from "./peer-listener.js";
import type { PeerIdentityHooks } from "./peer-identity.js";
import { SILENT_LOGGER, type PeerLogger } from "./peer-logger.js";
import type { TlsMaterial } from "./tls-files.js";
import type { LeaderAnnouncementHandler, LinkFilter, PeerMessageHandler, PeerTransport } from "./peer-transport.js";

/** Settings of a WsPeerTransport. */
export interface WsPeerTransportOptions {
  /** This broker's id (>= 1). */
  readonly selfId: NodeId;
  /** Peer listener interface, e.g. "127.0.0.1" or "0.0.0.0". */
  readonly host: string;
  /** Peer listener port; 0 picks a free port (read it from `port` after start). */
  readonly port: number;
  /** The cluster secret every broker is configured with; must not be empty. */
  readonly secret: string;
  /** Peer broker id -> peer listener URL ("ws://host:port"); more can be added with setPeer. */
  readonly peers?: ReadonlyMap<NodeId, string>;
  /** Overrides of DEFAULT_PEER_LIMITS. */
  readonly limits?: Partial<PeerLimits>;
  /** Reconnect jitter source; Math.random by default, seeded in tests. */
  readonly random?: RandomSource;
  /** Fault injection; see LinkFilter. */
  readonly linkFilter?: LinkFilter;
  readonly logger?: PeerLogger;
  /**
   * Refuse hellos from broker ids that are not peers of this transport (set
   * with `peers` or setPeer). Off by default (tests dial listeners by hand).
   */
  readonly refuseUnknownPeers?: boolean;
  /** Called each time the outbound link to a peer completes its hello (to tell a restarted peer what it missed). */
  readonly onLinkOpen?: (peerId: NodeId) => void;
  /** Data-directory identities exchanged in hellos (broker/cluster/disk-identity.ts). */
  readonly identity?: PeerIdentityHooks;
  /** Liveness signals of the peers' inbound connections (peer-liveness.ts). */
  readonly liveness?: PeerLivenessSignals;
  /**
   * Mutual TLS on the listener and every link (peer URLs are then wss://). A
   * dialer's certificate must be valid for the host of its peer URL here.
   */
  readonly tls?: TlsMaterial;
  /** One more check of an authenticated peer's claimed id (e.g. its TLS certificate); see PeerListenerOptions.verifyPeer. */
  readonly verifyPeer?: PeerListenerOptions["verifyPeer"];
  /** Clock of the failed-hello throttle (ms); Date.now by default. */
  readonly nowMs?: () => number;
}

/** Counters of the whole transport. */
export interface WsPeerTransportStats {
  readonly links: readonly PeerLinkStats[];
  readonly listener: Readonly<PeerListenerStats>;
  /** Messages the link filter dropped. */
  readonly droppedFiltered: number;
  /** Messages to a broker with no configured URL. */
  readonly droppedUnroutable: number;
  /** Incoming messages that arrived before a handler was set. */
  readonly droppedNoHandler: number;
}

/** PeerTransport on WebSockets; see the file comment. */
export class WsPeerTransport implements PeerTransport {
  private readonly limits: PeerLimits;
  private readonly listener: PeerListener;
  private readonly links = new Map<NodeId, PeerLink>();
  /** Peer id -> host of its peer URL: the host a TLS dialer claiming that id must have a certificate for. */
  private readonly peerHosts = new Map<NodeId, string>();
  private handler: PeerMessageHandler | undefined;
  private leadersHandler: LeaderAnnouncementHandler | undefined;
  private filter: LinkFilter | undefined;
  private state: "new" | "started" | "closed" = "new";
  private boundPort = 0;
  private droppedFiltered = 0;
  private droppedUnroutable = 0;
  private droppedNoHandler = 0;

  constructor(private readonly options: WsPeerTransportOptions) {
    if (options.secret === "") throw new Error("the peer transport needs a non-empty cluster secret");
    if (!(options.selfId >= 1)) throw new Error(`broker id must be >= 1, got ${options.selfId}`);
    this.limits = Object.freeze({ ...DEFAULT_PEER_LIMITS, ...options.limits });
    this.filter = options.linkFilter;
    this.listener = new PeerListener({
      selfId: options.selfId,
      host: options.host,
      port: options.port,
      secret: options.secret,
      limits: this.limits,
      logger: this.logger,
      deliver: (from, group, msg) => this.deliver(from, group, msg),
      ...(options.refuseUnknownPeers === true ? { isPeer: (id: NodeId) => this.links.has(id) } : {}),
      deliverLeaders: (from, announcements) => {
        if (this.state !== "closed") this.leadersHandler?.(from, announcements);
      },
      ...(options.identity ? { identity: options.identity } : {}),
      ...(options.liveness ? { liveness: options.liveness } : {}),
      ...(options.tls === undefined ? {} : { tls: { material: options.tls, peerHost: (id: NodeId) => this.peerHosts.get(id) } }),
      ...(options.verifyPeer ? { verifyPeer: options.verifyPeer } : {}),
      ...(options.nowMs ? { nowMs: options.nowMs } : {}),
    });
    for (const [id, url] of options.peers ?? []) this.setPeer(id, url);
  }

  private get logger(): PeerLogger {
    return this.options.logger ?? SILENT_LOGGER;
  }

  /** The bound peer listener port (after start). */
  get port(): number {
    return this.boundPort;
  }

  /** Bind the listener, then dial every peer. */
  async start(): Promise<void> {
    if (this.state !== "new") throw new Error(`peer transport cannot start when ${this.state}`);
    this.boundPort = await this.listener.listen();
    this.state = "started";
    for (const link of this.links.values()) link.start();
  }

  /** Add a peer or change its URL (the old link and its queue are dropped). */
  setPeer(id: NodeId, url: string): void {
    if (this.state === "closed") return;
    if (id === this.options.selfId) throw new Error(`broker ${id} cannot be its own peer`);
    const old = this.links.get(id);
    if (old !== undefined) void old.close();
    const link = new PeerLink({
      selfId: this.options.selfId,
      peerId: id,
      url,
      secret: this.options.secret,
      limits: this.limits,
      random: this.options.random ?? MATH_RANDOM,
      logger: this.logger,
      ...(this.options.onLinkOpen === undefined ? {} : { onOpen: this.options.onLinkOpen }),
      ...(this.options.identity ? { identity: this.options.identity } : {}),
      ...(this.options.tls === undefined ? {} : { tls: this.options.tls }),
    });
    this.links.set(id, link);
    this.peerHosts.set(id, new URL(url).hostname);
    if (this.state === "started") link.start();
  }

  /** Forget a peer: close its link and drop its queue. */
  async removePeer(id: NodeId): Promise<void> {
    const link = this.links.get(id);
    this.links.delete(id);
    this.peerHosts.delete(id);
    if (link !== undefined) await link.close();
  }

  /** Replace the fault-injection filter (undefined: everything passes). */
  setLinkFilter(filter: LinkFilter | undefined): void {
    this.filter = filter;
  }

  send(to: NodeId, group: string, msg: Message): void {
    if (this.state === "closed") return;
    if (this.filter !== undefined && !this.filter(this.options.selfId, to)) {
      this.droppedFiltered++;
      return;
    }
    const link = this.links.get(to);
    if (link === undefined) {
      this.droppedUnroutable++;
      return;
    }
    link.enqueue(group, msg);
  }

  onMessage(handler: PeerMessageHandler): void {
    this.handler = handler;
  }

  announce(to: NodeId, announcements: readonly LeaderAnnouncement[]): void {
    if (this.state === "closed" || announcements.length === 0) return;
    if (this.filter !== undefined && !this.filter(this.options.selfId, to)) {
      this.droppedFiltered += announcements.length;
      return;
    }
    this.links.get(to)?.announce(announcements);
  }

  onLeaderAnnouncements(handler: LeaderAnnouncementHandler): void {
    this.leadersHandler = handler;
  }

  /**
   * Close `peer`'s inbound connection because this broker refused a message
   * it sent (logged at warn, counted in the listener's peerFaults). The
   * broker and every group go on; the peer may redial.
   */
  disconnectPeer(peer: NodeId, reason: string): void {
    this.listener.disconnect(peer, reason);
  }

  /** The peers this transport has links to. */
  peerIds(): NodeId[] {
    return [...this.links.keys()];
  }

  private deliver(from: NodeId, group: string, msg: Message): void {
    if (this.state === "closed") return;
    if (this.handler === undefined) {
      this.droppedNoHandler++;
      return;
    }
    this.handler(from, group, msg);
  }

  /** Counters of the links and the listener. */
  stats(): WsPeerTransportStats {
    return {
      links: [...this.links.values()].map((l) => l.stats()),
      listener: { ...this.listener.stats },
      droppedFiltered: this.droppedFiltered,
      droppedUnroutable: this.droppedUnroutable,
      droppedNoHandler: this.droppedNoHandler,
    };
  }

  /** Close every link, connection and the listener. Idempotent. */
  async close(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    const links = [...this.links.values()];
    this.links.clear();
    await Promise.all([...links.map((l) => l.close()), this.listener.close()]);
  }
}
