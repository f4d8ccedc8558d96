/**
 * A deliberately UNSAFE membership change, for tests of the simulator
 * only: a Ready filter that makes every member see a voter change as a
 * direct jump to the new voters, with no joint phase (the entry, the hard
 * state, appends, snapshots and applied entries all say { voters: new },
 * never votersOutgoing). Members that have put the jump in effect then
 * decide with the new voters while the others still decide with the old
 * ones: two disjoint quorums (e.g. {1,2,3} -> {3,4,5}: {1,2} and {4,5}),
 * which the checker must catch (test/raft/checker.test.ts).
 */
import { decodeMembership, encodeMembership } from "../../../broker/raft/membership.js";
import { MessageType, type Message } from "../../../broker/raft/messages.js";
import type { Ready } from "../../../broker/raft/ready.js";
import { EntryKind, type Entry, type HardState, type Membership } from "../../../broker/raft/types.js";
import type { SimMember } from "./member.js";

/** A configuration without its outgoing half: the jump. */
function jump(m: Membership): Membership {
  return { voters: m.voters, ...(m.learners !== undefined ? { learners: m.learners } : {}) };
}

function jumpEntry(e: Entry): Entry {
  if (e.kind !== EntryKind.Config) return e;
  const m = decodeMembership(e.data);
  return m === undefined || m.votersOutgoing === undefined ? e : { ...e, data: encodeMembership(jump(m)) };
}

function jumpMessage(m: Message): Message {
  if (m.type === MessageType.Append && m.entries.some((e) => e.kind === EntryKind.Config)) return { ...m, entries: m.entries.map(jumpEntry) };
  if (m.type === MessageType.Snapshot && m.snapshot.membership !== undefined) return { ...m, snapshot: { ...m.snapshot, membership: jump(m.snapshot.membership) } };
  return m;
}

function jumpHardState(hs: HardState): HardState {
  return hs.membership === undefined ? hs : { ...hs, membership: jump(hs.membership) };
}

/** The Ready filter (SimOptions.readyFilter) that turns every joint configuration into a direct jump. */
export function directJump(_member: SimMember, rd: Ready): Ready {
  return {
    ...rd,
    ...(rd.hardState !== undefined ? { hardState: jumpHardState(rd.hardState) } : {}),
    entries: rd.entries.map(jumpEntry),
    earlyMessages: rd.earlyMessages.map(jumpMessage),
    messages: rd.messages.map(jumpMessage),
    committed: rd.committed.map(jumpEntry),
  };
}
