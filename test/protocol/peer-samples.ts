/** One Raft message of every type, wrapped for the peer transport, for peer frame tests. */
import { MessageType, type Message } from "../../broker/raft/messages.js";
import { EntryKind, index, nodeId, offset, term, type Entry } from "../../broker/raft/types.js";
import type { PeerEnvelope } from "../../broker/protocol/peer-frames.js";

const base = { from: nodeId(1), to: nodeId(2), term: term(7) };

/** An entry with binary data; consecutive indexes make entries whose offsets chain (count 3 each). */
export function sampleEntry(i: number, data: Uint8Array): Entry {
  return { index: index(i), term: term(7), kind: EntryKind.Records, offset: offset(2 ** 40 + 3 * i), count: 3, timestampMs: 1_700_000_000_000, data };
}

/** Every message type once. */
export const SAMPLE_MESSAGES: readonly Message[] = [
  { ...base, type: MessageType.PreVote, lastIndex: index(10), lastTerm: term(6) },
  { ...base, type: MessageType.PreVoteResponse, granted: true },
  { ...base, type: MessageType.Vote, lastIndex: index(10), lastTerm: term(6), transfer: false },
  { ...base, type: MessageType.VoteResponse, granted: false },
  {
    ...base,
    type: MessageType.Append,
    prevIndex: index(10),
    prevTerm: term(6),
    commit: index(9),
    entries: [sampleEntry(11, new Uint8Array([0, 1, 2, 255])), sampleEntry(12, new Uint8Array(0)), { ...sampleEntry(13, new Uint8Array(0)), kind: EntryKind.Noop, count: 0 }],
  },
  { ...base, type: MessageType.AppendResponse, success: false, index: index(10), hintIndex: index(4), hintTerm: term(3) },
  { ...base, type: MessageType.Heartbeat, commit: index(9) },
  { ...base, type: MessageType.HeartbeatResponse, promotable: true },
  { ...base, type: MessageType.Snapshot, snapshot: { index: index(100), term: term(5), offset: offset(5000), data: new Uint8Array([9, 9]) } },
  // A snapshot carries the leader's committed membership (RaftNode, "Membership changes").
  {
    ...base,
    type: MessageType.Snapshot,
    snapshot: {
      index: index(100),
      term: term(5),
      offset: offset(5000),
      data: new Uint8Array([9]),
      membership: { voters: [nodeId(1), nodeId(4)], votersOutgoing: [nodeId(1), nodeId(2)], learners: [nodeId(5)] },
      membershipIndex: index(99),
    },
  },
  { ...base, type: MessageType.TimeoutNow },
  // A member recovering from a lost disk tags its answers; the leader answers with Rejoin.
  { ...base, type: MessageType.AppendResponse, success: true, index: index(12), hintIndex: index(0), hintTerm: term(0), recovering: 0xdead_beef },
  { ...base, type: MessageType.HeartbeatResponse, promotable: false, recovering: 7 },
  { ...base, type: MessageType.Rejoin, index: index(12), incarnation: 7 },
];

/** The sample messages spread over two groups. */
export const SAMPLE_ENVELOPES: readonly PeerEnvelope[] = SAMPLE_MESSAGES.map((msg, i) => ({ group: i % 2 === 0 ? "orders/0" : "__controller", msg }));
