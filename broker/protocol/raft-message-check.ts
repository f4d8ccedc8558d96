/**
 * Structural check of a Raft message decoded from a peer frame. Peers are
 * authenticated, so this guards against version skew and bugs rather than
 * attackers, but it is just as strict: a message that reaches the Raft core
 * has every field of its type with the right type and range. Messages are
 * checked in place, not copied: entry data stays a view into the frame.
 */
import { EntryKind, type Entry } from "../raft/types.js";
import { MessageType, type Message } from "../raft/messages.js";
import { RlogError } from "./errors.js";
import { BROKER_ID, FieldReader, NON_NEGATIVE, checkArray, type IntRange } from "./field-reader.js";
import { FIXED_LIMITS } from "./limits.js";

const MESSAGE_TYPES: readonly number[] = Object.values(MessageType);
const ENTRY_KINDS: readonly number[] = Object.values(EntryKind);
const NODE: IntRange = BROKER_ID;
/** Entries in one Append: bounded by the frame size; this only rejects absurd counts early. */
const ENTRIES_MAX = 1_000_000;
/** A storage incarnation (RaftConfig.recovering): 0 means none. */
const INCARNATION: IntRange = { min: 0, max: 0xffff_ffff };

function checkEntry(v: unknown, path: string): Entry {
  const r = FieldReader.of(v, path);
  r.int("index", { min: 1, max: FIXED_LIMITS.integerMax });
  r.int("term", NON_NEGATIVE);
  r.oneOf("kind", ENTRY_KINDS);
  r.int("offset", NON_NEGATIVE);
  r.int("count", { min: 0, max: 0xffff_ffff });
  r.int("timestampMs", { min: 0, max: FIXED_LIMITS.timestampMsMax });
  r.bytes("data");
  return v as Entry;
}

function checkSnapshot(r: FieldReader): void {
  r.int("index", NON_NEGATIVE);
  r.int("term", NON_NEGATIVE);
  r.int("offset", NON_NEGATIVE);
  r.bytes("data");
}

/**
 * Check one Raft message.
 * @throws RlogError INVALID_REQUEST naming the bad field
 */
export function checkRaftMessage(v: unknown, path: string): Message {
  const r = FieldReader.of(v, path);
  const type = r.oneOf("type", MESSAGE_TYPES);
  r.int("from", NODE);
  r.int("to", NODE);
  r.int("term", NON_NEGATIVE);
  switch (type) {
    case MessageType.PreVote:
      r.int("lastIndex", NON_NEGATIVE);
      r.int("lastTerm", NON_NEGATIVE);
      break;
    case MessageType.Vote:
      r.int("lastIndex", NON_NEGATIVE);
      r.int("lastTerm", NON_NEGATIVE);
      r.bool("transfer");
      break;
    case MessageType.PreVoteResponse:
    case MessageType.VoteResponse:
      r.bool("granted");
      break;
    case MessageType.Append:
      r.int("prevIndex", NON_NEGATIVE);
      r.int("prevTerm", NON_NEGATIVE);
      r.int("commit", NON_NEGATIVE);
      checkArray(r.raw("entries"), r.at("entries"), ENTRIES_MAX, checkEntry);
      break;
    case MessageType.AppendResponse:
      r.bool("success");
      r.int("index", NON_NEGATIVE);
      r.int("hintIndex", NON_NEGATIVE);
      r.int("hintTerm", NON_NEGATIVE);
      if (r.has("recovering")) r.int("recovering", INCARNATION);
      if (r.has("repairing")) r.int("repairing", INCARNATION);
      break;
    case MessageType.Heartbeat:
      r.int("commit", NON_NEGATIVE);
      if (r.has("quiesce")) r.bool("quiesce");
      break;
    case MessageType.HeartbeatResponse:
      r.bool("promotable");
      if (r.has("recovering")) r.int("recovering", INCARNATION);
      if (r.has("repairing")) r.int("repairing", INCARNATION);
      break;
    case MessageType.TimeoutNow:
      break;
    case MessageType.Rejoin:
      r.int("index", NON_NEGATIVE);
      r.int("incarnation", INCARNATION);
      break;
    case MessageType.Snapshot:
      checkSnapshot(r.child("snapshot"));
      break;
    default:
      throw new RlogError("INVALID_REQUEST", `${r.at("type")}: unhandled message type ${type}`); // unreachable: oneOf
  }
  return v as Message;
}
