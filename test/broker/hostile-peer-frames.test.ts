/**
 * The peer fuzz's generator (test/broker/hostile-peer-frames.ts) keeps its
 * rule: no frame it makes carries a message a member would take in at a
 * believable term. Replayed without processes, through the real decoding
 * (decodePeerFrame), for the peer fuzz's fixed seed and a few others.
 *
 * Found so (seed 20261202, CI): frame 521 was a Snapshot at term 1 to broker 1,
 * { index: 317685, term: 1, offset: 435392 }, with its out-of-range value put
 * in a field Snapshot does not have (`index` at the top level), which the checks
 * ignore; a follower of the claimed broker at term 1 installed it and its
 * partition log restarted at offset 435392.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodePeerFrame, encodePeerRaft } from "../../broker/protocol/peer-frames.js";
import { MessageType, type Message } from "../../broker/raft/messages.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { CONTROLLER_GROUP } from "../../broker/cluster/names.js";
import { DEFAULT_PEER_LIMITS } from "../../broker/transport/peer-limits.js";
import { hostileFrame } from "./hostile-peer-frames.js";

/** The peer fuzz's fixed seed, and others. */
const SEEDS = [20261202, 1, 42, 7777];
/** As many frames as the peer fuzz sends. */
const FRAMES = 1200;
/** A fresh cluster's groups: one topic of two partitions, and the controller. */
const GROUPS = ["p/1/0", "p/1/1", CONTROLLER_GROUP];
/** Answers, which a member still at term 0 may send: at term 0 they are below any elected member's term. */
const ANSWERS: readonly number[] = [MessageType.PreVoteResponse, MessageType.VoteResponse, MessageType.AppendResponse, MessageType.HeartbeatResponse];
/**
 * A term some member of a fresh cluster (term 0 before its group's first
 * election, 1 or a few more after) would take: up to peerTermJumpMax above
 * its own; at term 0, anything but an answer.
 */
const believable = (m: Message): boolean => (m.term >= 1 && m.term <= 1 + DEFAULT_PEER_LIMITS.peerTermJumpMax) || (m.term === 0 && !ANSWERS.includes(m.type));

/** Messages of one frame a receiver would hand its Raft core and believe, as the listener and the broker route them. */
function believed(frame: Uint8Array, self: number, claimed: number): Message[] {
  const d = decodePeerFrame(frame, DEFAULT_PEER_LIMITS.frameBytesMax);
  if (!d.ok) return [];
  if (d.value.kind === "leaders") {
    assert.fail(`a leaders frame decoded: ${JSON.stringify(d.value.announcements)}`);
  }
  if (d.value.kind !== "raft") return [];
  return d.value.envelopes.filter((e) => e.msg.from === claimed && e.msg.to === self && GROUPS.includes(e.group) && believable(e.msg)).map((e) => e.msg);
}

/** A message as JSON, bytes as their length. */
function show(m: Message): string {
  return JSON.stringify(m, function (this: Record<string, unknown>, k: string, v: unknown) {
    const raw = this[k];
    return raw instanceof Uint8Array ? `<${raw.byteLength} bytes>` : v;
  });
}

for (const seed of SEEDS) {
  test(`peer fuzz generator (seed ${seed}): no frame carries a well-formed message at a believable term, whichever broker the rogue claims`, () => {
    // One source per claim: the draws do not depend on the claimed id, so both stay in step.
    const claims = [0, 1].map(() => new SeededRandom(seed));
    const kinds = new Map<string, number>();
    const found: string[] = [];
    for (let i = 0; i < FRAMES; i++) {
      const selves = claims.map((rnd) => 1 + rnd.int(3));
      assert.equal(selves[0], selves[1], `frame ${i}: the claim changed what was drawn`);
      const self = selves[0]!;
      const others = [1, 2, 3].filter((x) => x !== self);
      claims.forEach((rnd, c) => {
        const claimed = others[c]!;
        const { kind, frame } = hostileFrame(rnd, { self, claimed, groups: GROUPS });
        if (c === 0) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        for (const m of believed(frame, self, claimed)) found.push(`frame ${i} (${kind}): ${show(m)}`);
      });
    }
    assert.deepEqual(found, [], "well-formed messages at a believable term: a peer with the secret sending these is a correct leader or candidate as far as Raft can tell");
    for (const kind of ["random bytes", "random msgpack", "wrong-typed field", "huge array", "append not chaining", "wrong prev (stale term)", "absurd term", "out-of-range index", "garbage snapshot", "unknown group", "wrong from/to", "leaders frame junk"]) {
      assert.ok((kinds.get(kind) ?? 0) > 0, `the generator made no "${kind}" frame`);
    }
  });
}

test("the CI frame of seed 20261202 was well-formed: a field its type does not have is ignored, so the out-of-range value goes in one it has", () => {
  const snapshot = { index: 317685, term: 1, offset: 435392, data: new Uint8Array(63) };
  const frame = (msg: object): Uint8Array => encodePeerRaft([{ group: "p/1/1", msg: msg as Message }]);
  const base = { type: MessageType.Snapshot, from: 2, to: 1, term: 1 };
  assert.equal(believed(frame({ ...base, snapshot, index: Number.MAX_SAFE_INTEGER + 10 }), 1, 2).length, 1, "as the old generator sent it: taken in");
  assert.equal(believed(frame({ ...base, snapshot: { ...snapshot, index: Number.MAX_SAFE_INTEGER + 10 } }), 1, 2).length, 0, "as it sends it now: refused");
});
