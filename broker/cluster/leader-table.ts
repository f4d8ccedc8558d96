/**
 * What this broker knows of every Raft group's leader, whether or not it
 * hosts a replica: the newest (term, leader) it has seen per group id.
 *
 * Sources, all best effort and merged by term:
 * - the groups this broker hosts report their own Raft view (as follower or leader);
 * - every leader announces its leadership to every peer when it wins, to a
 *   peer whose link (re)opens, and again every `leaderAnnounceIntervalMs`
 *   (broker/cluster/leader-announcer.ts).
 *
 * Invariant: an entry's term never decreases, and within one term its
 * leader, once known (non-zero), never changes (Raft elects at most one
 * leader per term). Staleness: an answer can name a leader that has since
 * lost an election it has not heard of; the client then gets one NOT_LEADER
 * with a hint from that broker, or a failed connection, and asks again.
 *
 * Bounded: entries exist only for groups of topics in the metadata (the
 * broker prunes the others) and at most `entriesMax` in all.
 */
import { assert } from "../raft/assert.js";
import { NO_NODE, type NodeId, type Term } from "../raft/types.js";

/** A group's leader as last learnt; leader NO_NODE (0) when the term is known but its leader is not. */
export interface LeaderInfo {
  readonly leader: NodeId;
  readonly term: Term;
}

/** The leader table; see the file comment. */
export class LeaderTable {
  private readonly entries = new Map<string, LeaderInfo>();

  /** @param entriesMax most groups remembered; an announcement for a new group past it is ignored */
  constructor(private readonly entriesMax: number) {
    assert(entriesMax >= 1, "entriesMax must be at least 1");
  }

  /**
   * Record that `leader` leads `group` in `term` (leader 0: the term is
   * known, its leader not). Older terms are ignored.
   * @returns whether the table changed
   */
  observe(group: string, leader: NodeId, term: Term): boolean {
    const known = this.entries.get(group);
    if (known === undefined) {
      if (this.entries.size >= this.entriesMax) return false;
    } else if (term < known.term || (term === known.term && (leader === NO_NODE || known.leader !== NO_NODE))) {
      // Raft elects at most one leader per term: the first name heard for a term stays. A peer
      // claiming a term another broker already holds is not believed (and cannot end the process).
      return false;
    }
    this.entries.set(group, { leader, term });
    return true;
  }

  /** The newest knowledge of a group, or undefined when nothing was heard. */
  get(group: string): LeaderInfo | undefined {
    return this.entries.get(group);
  }

  /** Forget every group for which `keep` says false (topics deleted). */
  retain(keep: (group: string) => boolean): void {
    for (const group of this.entries.keys()) if (!keep(group)) this.entries.delete(group);
  }

  /** Number of groups known. */
  get size(): number {
    return this.entries.size;
  }
}

/**
 * The newer of two views of a group's leader: the higher term wins; in the
 * same term, a known leader wins over an unknown one.
 */
export function newerLeader(a: LeaderInfo | undefined, b: LeaderInfo | undefined): LeaderInfo | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a.term !== b.term) return a.term > b.term ? a : b;
  return a.leader !== NO_NODE ? a : b;
}
