/**
 * How Raft messages travel between brokers. The Raft core neither knows nor
 * cares how: a runner hands outgoing messages to `send` and feeds incoming
 * ones from the handler into its group. Delivery is best effort (Raft
 * tolerates loss, duplication and reordering): `send` never blocks and never
 * fails loudly; a message to an unreachable peer may be dropped.
 *
 * Implementations: WsPeerTransport (ws, this folder); a simulated network in
 * the Raft simulator.
 */
import type { LeaderAnnouncement } from "../protocol/peer-frames.js";
import type { Message } from "../raft/messages.js";
import type { NodeId } from "../raft/types.js";

/** Receives each message addressed to this broker: the sending broker, the Raft group, the message. */
export type PeerMessageHandler = (from: NodeId, group: string, msg: Message) => void;

/** Receives the leader announcements a peer sent about its own leaderships. */
export type LeaderAnnouncementHandler = (from: NodeId, announcements: readonly LeaderAnnouncement[]) => void;

/** Broker-to-broker transport for Raft traffic. */
export interface PeerTransport {
  /** Queue `msg` of Raft group `group` for broker `to`. Never blocks or throws; may drop. */
  send(to: NodeId, group: string, msg: Message): void;
  /** Set the one handler for incoming messages (replaces any earlier handler). */
  onMessage(handler: PeerMessageHandler): void;
  /**
   * Queue announcements of this broker's own leaderships for broker `to`
   * (a newer one of a group replaces a waiting older one). Best effort, like send.
   */
  announce(to: NodeId, announcements: readonly LeaderAnnouncement[]): void;
  /** Set the one handler for incoming leader announcements. */
  onLeaderAnnouncements(handler: LeaderAnnouncementHandler): void;
  /** Start listening and connecting. Resolves once the listener is bound. */
  start(): Promise<void>;
  /** Stop: close every connection, listener and timer. Idempotent. */
  close(): Promise<void>;
}

/**
 * Fault injection: decides per (from, to) pair whether a message passes
 * (true) or is dropped (false). Applied by the sender to each message, so
 * chaos tests can cut single links in one direction. Keep it cheap: it runs
 * for every message.
 */
export type LinkFilter = (from: NodeId, to: NodeId) => boolean;
