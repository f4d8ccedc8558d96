/**
 * Majority quorum maths (Raft paper §5.2, §5.3). Pure functions over a voter list.
 */
import type { Index, NodeId } from "./types.js";
import { index } from "./types.js";

/** Votes needed for a majority of `voterCount` voters. */
export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The largest index that a majority of voters have matched: sort the match
 * indexes descending and take the quorum-th. `matchOf` is called once per voter.
 */
export function committedIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => Index): Index {
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  const q = quorumSize(voters.length);
  return matches[q - 1] ?? index(0);
}

/** Outcome of a vote tally. */
export type VoteOutcome = "won" | "lost" | "pending";

/** Tally granted/rejected votes (each voter counted once) against a majority. */
export function tally(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteOutcome {
  let granted = 0;
  let rejected = 0;
  for (const v of voters) {
    const g = votes.get(v);
    if (g === true) granted++;
    else if (g === false) rejected++;
  }
  const q = quorumSize(voters.length);
  if (granted >= q) return "won";
  if (rejected > voters.length - q) return "lost";
  return "pending";
}
