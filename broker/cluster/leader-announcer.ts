/**
 * Spreads leader knowledge between brokers over the peer links (DESIGN.md:
 * "every broker knows every partition's leader and term, whether or not it
 * hosts the partition").
 *
 * A broker announces each group it leads to every peer:
 * - at once when it wins the group's election;
 * - to one peer whenever the link to that peer (re)opens (it may have restarted);
 * - to every peer every `leaderAnnounceIntervalMs`, which repairs anything a
 *   dropped frame or a cut link lost.
 *
 * Staleness bound: with links up, a broker learns a new leader one peer hop
 * after the election (milliseconds); after a link heals or a broker restarts,
 * at once; in the worst case (announcements lost in a link that stays up),
 * within leaderAnnounceIntervalMs. Until then it may name the previous
 * leader, which costs a client one retriable NOT_LEADER or one failed
 * connection, never a stall.
 */
import type { LeaderAnnouncement } from "../protocol/peer-frames.js";
import type { NodeId, Term } from "../raft/types.js";
import type { LeaderTable } from "./leader-table.js";

/** What the announcer needs of the peer transport. */
export interface AnnounceTransport {
  announce(to: NodeId, announcements: readonly LeaderAnnouncement[]): void;
  peerIds(): readonly NodeId[];
}

export interface LeaderAnnouncerOptions {
  readonly selfId: NodeId;
  readonly table: LeaderTable;
  readonly transport: AnnounceTransport;
  /** The groups this broker leads now, with their terms (and committed voters, for groups being moved: LeaderAnnouncement.voters). */
  readonly ledGroups: () => Iterable<{ readonly group: string; readonly term: Term; readonly voters?: readonly NodeId[] }>;
  /** A received announcement named its group's committed voters (a group being moved). */
  readonly onVoters?: (group: string, leader: NodeId, term: Term, voters: readonly NodeId[]) => void;
}

/** See the file comment. */
export class LeaderAnnouncer {
  constructor(private readonly opts: LeaderAnnouncerOptions) {}

  /** This broker just won `group` in `term`: record it and tell every peer. */
  won(group: string, term: Term): void {
    const { selfId, table, transport } = this.opts;
    table.observe(group, selfId, term);
    const a = [{ group, leader: selfId, term }];
    for (const peer of transport.peerIds()) transport.announce(peer, a);
  }

  /** Tell `to` (every peer when undefined) about every group led here. */
  announceAll(to?: NodeId): void {
    const { selfId, transport } = this.opts;
    const list: LeaderAnnouncement[] = [];
    for (const g of this.opts.ledGroups()) list.push(g.voters === undefined ? { group: g.group, leader: selfId, term: g.term } : { group: g.group, leader: selfId, term: g.term, voters: g.voters });
    if (list.length === 0) return;
    for (const peer of to === undefined ? transport.peerIds() : [to]) transport.announce(peer, list);
  }

  /**
   * The voters of `group`, led here in `term`, changed (a move reached a new
   * configuration): tell every peer at once, so the controller leader need
   * not wait for the next periodic announcement.
   */
  votersChanged(group: string, term: Term, voters: readonly NodeId[]): void {
    const { selfId, transport } = this.opts;
    const a = [{ group, leader: selfId, term, voters }];
    for (const peer of transport.peerIds()) transport.announce(peer, a);
  }

  /** Announcements received from `from` (the listener passes only those naming `from` as leader). */
  received(announcements: readonly LeaderAnnouncement[]): void {
    for (const a of announcements) {
      this.opts.table.observe(a.group, a.leader as NodeId, a.term as Term);
      if (a.voters !== undefined) this.opts.onVoters?.(a.group, a.leader as NodeId, a.term as Term, a.voters as NodeId[]);
    }
  }
}
