/**
 * The Raft core: a pure, deterministic state machine (see ready.ts for the
 * runner loop). No timers, sockets, disk, clocks or Math.random in here.
 */
import type { RaftConfig } from "./config.js";
import type { LogReader } from "./log-storage.js";
import type { Message } from "./messages.js";
import type { RandomSource } from "./random.js";
import type { ProposeResult, Proposal, Ready, Status } from "./ready.js";
import type { Index, NodeId } from "./types.js";

export type TransferResult =
  | { readonly ok: true; readonly target: NodeId }
  | Extract<ProposeResult, { ok: false }>;

export class RaftNode {
  /**
   * Restore a member from its storage (hard state and snapshot). Committed
   * entries after `applied` (default: the snapshot index) are handed out
   * again in Ready.committed so the runner can rebuild its state machine.
   */
  constructor(config: RaftConfig, storage: LogReader, random: RandomSource, applied?: Index) {
    void config; void storage; void random; void applied;
    throw new Error("not implemented yet");
  }
  /** Advance the logical clock by one tick. */
  tick(): void {}
  /** Feed one message from a peer. Messages for another member or malformed ones are ignored. */
  step(msg: Message): void { void msg; }
  /** Propose entries (leader only). The result says where they will land if committed. */
  propose(proposals: readonly Proposal[]): ProposeResult { void proposals; throw new Error("not implemented yet"); }
  /** Hand leadership to `target`, or to the most preferred other member when omitted. */
  transferLeadership(target?: NodeId): TransferResult { void target; throw new Error("not implemented yet"); }
  hasReady(): boolean { return false; }
  ready(): Ready { throw new Error("not implemented yet"); }
  advance(rd: Ready): void { void rd; }
  status(): Status { throw new Error("not implemented yet"); }
}
