/**
 * The hostile peer frames of test/broker/peer-fuzz.integration.test.ts: a
 * pure function of a seeded random source and the connection they go out on
 * (the receiver, the broker id the rogue claimed, the groups it names); the
 * claimed id shows only in `from`, never in what is drawn.
 *
 * The rule the generator keeps: a message it sends to a group of the
 * cluster, addressed from the claimed broker to the receiver, at a term a
 * member could believe (1 up to peerTermJumpMax above its own) fails the
 * structural checks (broker/protocol/raft-message-check.ts). A well-formed
 * one would be indistinguishable from a correct leader's or candidate's
 * (docs/SECURITY.md, "Hostile peer frames"): a Snapshot at the leader's term
 * replaces the receiver's log, whatever its base. At the stale term 0 a
 * leader's or candidate's message fails the checks too (a member that never
 * heard of an election is at term 0 and would believe it) and an answer is
 * the core's to drop; absurd terms are the broker's to refuse.
 * test/broker/hostile-peer-frames.test.ts holds the generator to this rule.
 */
import { peerPackr } from "../../broker/protocol/msgpack.js";
import { encodePeerRaft, type PeerEnvelope } from "../../broker/protocol/peer-frames.js";
import { MessageType, type Message } from "../../broker/raft/messages.js";
import type { SeededRandom } from "../../broker/raft/random.js";

/** Terms no member can have reached: far above peerTermJumpMax (1e6) over any term of a fresh cluster. */
export const ABSURD_TERMS = [1e9, 2 ** 40, Number.MAX_SAFE_INTEGER];

type Raw = Record<string, unknown>;

/** The connection a frame goes out on: the receiving broker, the broker id the rogue claimed there, the cluster's Raft groups. */
export interface Target {
  readonly self: number;
  readonly claimed: number;
  readonly groups: readonly string[];
}

function bytes(rnd: SeededRandom, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rnd.int(256);
  return b;
}

/** One element of a non-empty array. */
export function pick<T>(rnd: SeededRandom, xs: readonly T[]): T {
  return xs[rnd.int(xs.length)]!;
}

function randomValue(rnd: SeededRandom, depth = 0): unknown {
  switch (rnd.int(depth > 2 ? 6 : 8)) {
    case 0:
      return rnd.int(2 ** 31) - 2 ** 30;
    case 1:
      return pick(rnd, [NaN, -1, 1.5, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 60, Infinity]);
    case 2:
      return pick(rnd, ["", "x", "raft", "peerHello", "p/1/0", "\u0000", "a".repeat(300)]);
    case 3:
      return bytes(rnd, rnd.int(40));
    case 4:
      return pick(rnd, [null, true, false, undefined]);
    case 5:
      return rnd.int(12);
    case 6:
      return Array.from({ length: rnd.int(5) }, () => randomValue(rnd, depth + 1));
    default: {
      const o: Raw = {};
      for (let i = rnd.int(6); i > 0; i--) o[pick(rnd, ["id", "op", "type", "from", "to", "term", "messages", "entries", "group", "msg", "index", "snapshot"])] = randomValue(rnd, depth + 1);
      return o;
    }
  }
}

function entry(i: number, term: number, offset: number, count = 1): Raw {
  return { index: i, term, kind: 1, offset, count, timestampMs: 0, data: new Uint8Array([1, 2, 3]) };
}

/** A structurally valid message of a random type, before the hostile twist. */
function baseMessage(rnd: SeededRandom, t: Target, term: number): Raw {
  const from = t.claimed;
  const to = t.self;
  const type = 1 + rnd.int(11);
  const b = { type, from, to, term };
  switch (type) {
    case MessageType.PreVote:
      return { ...b, lastIndex: rnd.int(100), lastTerm: Math.min(term, rnd.int(5)) };
    case MessageType.Vote:
      return { ...b, lastIndex: rnd.int(100), lastTerm: Math.min(term, rnd.int(5)), transfer: rnd.chance(0.5) };
    case MessageType.PreVoteResponse:
    case MessageType.VoteResponse:
      return { ...b, granted: rnd.chance(0.5) };
    case MessageType.Append: {
      const prevIndex = rnd.int(50);
      const n = rnd.int(4);
      return { ...b, prevIndex, prevTerm: Math.min(term, rnd.int(4)), commit: rnd.int(60), entries: Array.from({ length: n }, (_, k) => entry(prevIndex + 1 + k, term, 1000 + k)) };
    }
    case MessageType.AppendResponse:
      return { ...b, success: rnd.chance(0.5), index: rnd.int(10_000), hintIndex: rnd.int(100), hintTerm: rnd.int(term + 1) };
    case MessageType.Heartbeat:
      return { ...b, commit: rnd.int(10_000) };
    case MessageType.HeartbeatResponse:
      return { ...b, promotable: rnd.chance(0.5) };
    case MessageType.Snapshot:
      return { ...b, snapshot: { index: rnd.int(1_000_000), term: Math.min(term, rnd.int(4)), offset: rnd.int(1_000_000), data: bytes(rnd, rnd.int(64)) } };
    case MessageType.TimeoutNow:
      return b;
    default:
      return { ...b, index: rnd.int(100), incarnation: rnd.int(10) };
  }
}

/** An Append that no correct leader sends: entries out of order, terms that go back or ahead, offsets that do not chain. */
function brokenAppend(rnd: SeededRandom, t: Target, term: number): Raw {
  const prevIndex = 1 + rnd.int(30);
  const prevTerm = Math.min(term, 1 + rnd.int(2));
  const good = [entry(prevIndex + 1, prevTerm, 500, 2), entry(prevIndex + 2, term, 502), entry(prevIndex + 3, term, 503)];
  const k = rnd.int(good.length);
  const bad = good.map((e) => ({ ...e }));
  switch (rnd.int(6)) {
    case 0:
      bad[k]!["index"] = (bad[k]!["index"] as number) + 1 + rnd.int(5); // a gap
      break;
    case 1:
      bad.reverse(); // out of order
      break;
    case 2:
      bad[k]!["term"] = term + 1 + rnd.int(3); // newer than the message
      break;
    case 3:
      bad[2]!["term"] = 0; // goes back
      break;
    case 4:
      bad[k]!["offset"] = (bad[k]!["offset"] as number) + 7; // offsets do not chain
      if (k === 0) bad[1]!["offset"] = 0;
      break;
    default:
      return { type: MessageType.Append, from: t.claimed, to: t.self, term, prevIndex, prevTerm: term + 1, commit: 0, entries: [] }; // prevTerm newer than term
  }
  return { type: MessageType.Append, from: t.claimed, to: t.self, term, prevIndex, prevTerm, commit: prevIndex + 3, entries: bad };
}

/** Values no field of a Raft message takes as they are: wrong types, negative, fractional or unsafe numbers (but see wrongField). */
const WRONG_VALUES: readonly unknown[] = [-1, -(2 ** 40), 1.5, "7", null, true, 2 ** 60, Number.MAX_SAFE_INTEGER + 2, new Uint8Array(3), [], {}];

/**
 * Mutate one field of a message to a wrong type or an out-of-range value.
 * Never to a value of the field's own kind: `true` is a boolean field's
 * right type and `[]` an Append's right (empty) entries, which would leave
 * the message well-formed.
 */
function wrongField(rnd: SeededRandom, m: Raw): Raw {
  const k = pick(rnd, Object.keys(m));
  const was = m[k];
  const wrong = WRONG_VALUES.filter((v) => !(typeof v === "boolean" && typeof was === "boolean") && !(Array.isArray(v) && Array.isArray(was)));
  return { ...m, [k]: pick(rnd, wrong) };
}

/** Fields holding an index, each checked as a non-negative safe integer where the message's type has it. */
const INDEX_FIELDS = ["prevIndex", "index", "lastIndex", "commit", "hintIndex"];
/** Values no index takes. */
const OUT_OF_RANGE = [-1, 2 ** 64, Number.MAX_SAFE_INTEGER + 10, 0.5];

/**
 * A message at term 1 with one index out of range. The field is one its
 * type has: a field it does not have is ignored (as from a newer peer), so
 * the message would stay well-formed and, at term 1, believable (a
 * Snapshot that replaces the receiver's log, a TimeoutNow that starts an
 * election). A snapshot's index or offset, and the term of a type without
 * an index, take the value instead.
 */
function outOfRangeIndex(rnd: SeededRandom, t: Target): Raw {
  const m = baseMessage(rnd, t, 1);
  const bad = pick(rnd, OUT_OF_RANGE);
  if (m["type"] === MessageType.Snapshot) return { ...m, snapshot: { ...(m["snapshot"] as Raw), [pick(rnd, ["index", "offset"])]: bad } };
  const fields = INDEX_FIELDS.filter((f) => f in m);
  return { ...m, [fields.length > 0 ? pick(rnd, fields) : "term"]: bad };
}

/** One hostile frame and its kind (see the file comment for what it never is). */
export function hostileFrame(rnd: SeededRandom, t: Target): { kind: string; frame: Uint8Array } {
  const group = pick(rnd, t.groups);
  const env = (msg: Raw, g = group): PeerEnvelope => ({ group: g, msg: msg as unknown as Message });
  const raft = (msgs: PeerEnvelope[]): Uint8Array => encodePeerRaft(msgs);
  const stale = 0; // a leader's or candidate's message is refused on decode; an answer is below an elected member's term: ignored by the core
  switch (rnd.int(12)) {
    case 0:
      return { kind: "random bytes", frame: bytes(rnd, 1 + rnd.int(200)) };
    case 1:
      return { kind: "random msgpack", frame: peerPackr.pack(randomValue(rnd)) };
    case 2:
      return { kind: "wrong-typed field", frame: raft([env(wrongField(rnd, baseMessage(rnd, t, 1 + rnd.int(3))))]) };
    case 3: {
      if (rnd.chance(0.5)) return { kind: "huge array", frame: peerPackr.pack({ id: 0, op: "raft", messages: Array.from({ length: 70_000 }, () => 0) }) };
      const entries = Array.from({ length: 20_000 }, (_, i) => entry(i + 1, 1, i === 9_999 ? 5 : i)); // one offset out of chain deep inside
      return { kind: "huge array", frame: raft([env({ type: MessageType.Append, from: t.claimed, to: t.self, term: 1, prevIndex: 0, prevTerm: 0, commit: 0, entries })]) };
    }
    case 4:
      return { kind: "append not chaining", frame: raft([env(brokenAppend(rnd, t, 1 + rnd.int(4)))]) };
    case 5: {
      const m = baseMessage(rnd, t, stale);
      const wrong = { type: MessageType.Append, from: t.claimed, to: t.self, term: stale, prevIndex: rnd.int(1_000_000), prevTerm: 0, commit: rnd.int(1_000_000), entries: [] };
      return { kind: "wrong prev (stale term)", frame: raft([env(rnd.chance(0.5) ? wrong : m)]) };
    }
    case 6:
      return { kind: "absurd term", frame: raft([env(baseMessage(rnd, t, pick(rnd, ABSURD_TERMS)))]) };
    case 7:
      return { kind: "out-of-range index", frame: raft([env(outOfRangeIndex(rnd, t))]) };
    case 8: {
      const snapshot = { index: 1 + rnd.int(2 ** 40), term: 1 + rnd.int(3), offset: rnd.int(2 ** 40), data: bytes(rnd, rnd.int(300)) };
      switch (rnd.int(3)) {
        case 0: // newer than the message's term: refused on decode
          return { kind: "garbage snapshot", frame: raft([env({ type: MessageType.Snapshot, from: t.claimed, to: t.self, term: snapshot.term - 1, snapshot })]) };
        case 1: // at the stale term: refused on decode
          return { kind: "garbage snapshot", frame: raft([env({ type: MessageType.Snapshot, from: t.claimed, to: t.self, term: stale, snapshot: { ...snapshot, term: stale } })]) };
        default: // at an absurd term: refused by the broker
          return { kind: "garbage snapshot", frame: raft([env({ type: MessageType.Snapshot, from: t.claimed, to: t.self, term: pick(rnd, ABSURD_TERMS), snapshot })]) };
      }
    }
    case 9: {
      const g = pick(rnd, ["p/999999/0", "p/1/99", "nonsense", "__controllerX", "p/00/1", "a".repeat(256)]);
      return { kind: "unknown group", frame: raft([env(baseMessage(rnd, t, 1 + rnd.int(3)), g)]) };
    }
    case 10: {
      const m = baseMessage(rnd, t, 1 + rnd.int(3));
      const twist = rnd.int(3);
      const msg = twist === 0 ? { ...m, from: t.self } : twist === 1 ? { ...m, to: t.claimed } : { ...m, from: 6 - t.self - t.claimed, to: t.self };
      return { kind: "wrong from/to", frame: raft([env(msg)]) };
    }
    default:
      return { kind: "leaders frame junk", frame: peerPackr.pack({ id: 0, op: "leaders", leaders: [{ group, leader: t.claimed, term: pick(rnd, [0, -1, 2 ** 60, "x"]) }] }) };
  }
}

