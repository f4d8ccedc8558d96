import { test } from "node:test";
import assert from "node:assert/strict";
import { decodePeerFrame, encodePeerChallenge, encodePeerError, encodePeerHello, encodePeerHelloOk, encodePeerLeaders, encodePeerProof, encodePeerRaft } from "../../broker/protocol/peer-frames.js";
import { ErrorCode, RlogError } from "../../broker/protocol/errors.js";
import { clientPackr, peerPackr } from "../../broker/protocol/msgpack.js";
import { MessageType } from "../../broker/raft/messages.js";
import { PROTOCOL_VERSION } from "../../broker/protocol/version.js";
import { SAMPLE_ENVELOPES, sampleEntry } from "./peer-samples.js";
import { plain, mutable } from "./helpers.js";

const FRAME_MAX = 1 << 20;

test("Raft messages of every type round-trip; entry data stays binary and numbers stay numbers", () => {
  const frame = encodePeerRaft(SAMPLE_ENVELOPES);
  const d = decodePeerFrame(frame, FRAME_MAX);
  assert.ok(d.ok, d.ok ? "" : d.error.message);
  assert.equal(d.value.kind, "raft");
  if (d.value.kind !== "raft") return;
  assert.deepEqual(plain(d.value.envelopes), plain(SAMPLE_ENVELOPES));
  const append = d.value.envelopes.find((e) => e.msg.type === MessageType.Append)?.msg;
  assert.ok(append !== undefined && append.type === MessageType.Append);
  const entry = append.entries[0];
  assert.ok(entry !== undefined);
  assert.ok(entry.data instanceof Uint8Array);
  assert.equal(entry.data.buffer, (frame as Uint8Array).buffer, "entry data is a view into the frame, not a copy");
  assert.equal(typeof entry.offset, "number");
  assert.equal(entry.offset, 2 ** 40 + 33);
});

test("record structures make a batch of appends compact", () => {
  const entries = Array.from({ length: 100 }, (_, i) => sampleEntry(i + 1, new Uint8Array(8)));
  const msg = { ...SAMPLE_ENVELOPES[4]!.msg, prevIndex: 0, prevTerm: 0, entries } as unknown as (typeof SAMPLE_ENVELOPES)[number]["msg"];
  const records = encodePeerRaft([{ group: "g", msg }]).byteLength;
  const maps = clientPackr.pack({ id: 0, op: "raft", messages: [{ group: "g", msg }] }).byteLength;
  assert.ok(records < maps * 0.6, `records ${records} vs maps ${maps}`);
  // and any msgpackr peer decodes a frame on its own: no shared structures between frames
  const again = decodePeerFrame(encodePeerRaft([{ group: "g", msg }]), FRAME_MAX);
  assert.ok(again.ok);
});

const NONCE = new Uint8Array(32).fill(7);
const PROOF = new Uint8Array(32).fill(9);

test("hello, challenge, proof, hello ok and refusal round-trip", () => {
  const hello = decodePeerFrame(encodePeerHello(1, { version: 1, brokerId: 3, to: 2, nonce: NONCE }), FRAME_MAX);
  assert.ok(hello.ok && hello.value.kind === "hello");
  if (hello.ok && hello.value.kind === "hello") {
    assert.deepEqual({ ...hello.value.hello, nonce: [...hello.value.hello.nonce] }, { version: 1, brokerId: 3, to: 2, nonce: [...NONCE] });
  }
  const ch = decodePeerFrame(encodePeerChallenge(1, { brokerId: 2, nonce: NONCE, proof: PROOF }), FRAME_MAX);
  assert.ok(ch.ok && ch.value.kind === "challenge" && ch.value.challenge.brokerId === 2);
  if (ch.ok && ch.value.kind === "challenge") assert.deepEqual([...ch.value.challenge.proof], [...PROOF]);
  const pr = decodePeerFrame(encodePeerProof(1, PROOF), FRAME_MAX);
  assert.ok(pr.ok && pr.value.kind === "proof" && pr.value.id === 1);
  // Nonces and proofs are exactly 32 bytes; a hello from before challenge and response (a secret, no nonce) decodes with an empty nonce.
  const short = decodePeerFrame(encodePeerProof(1, new Uint8Array(31)), FRAME_MAX);
  assert.ok(!short.ok && /expected 32 bytes/.test(short.error.message));
  const old = decodePeerFrame(peerPackr.pack({ id: 1, op: "peerHello", version: 2, brokerId: 3, secret: "s" }), FRAME_MAX);
  assert.ok(old.ok && old.value.kind === "hello" && old.value.hello.nonce.byteLength === 0 && old.value.hello.to === 0);
  const okf = decodePeerFrame(encodePeerHelloOk(1, 2), FRAME_MAX);
  assert.deepEqual(okf.ok && okf.value, { kind: "helloOk", id: 1, brokerId: 2, version: PROTOCOL_VERSION });
  const err = decodePeerFrame(encodePeerError(1, new RlogError("AUTHENTICATION_FAILED", "wrong secret")), FRAME_MAX);
  assert.ok(err.ok && err.value.kind === "error");
  if (err.ok && err.value.kind === "error") assert.equal(err.value.error.code, ErrorCode.AUTHENTICATION_FAILED);
});

test("malformed Raft messages are rejected naming the field", () => {
  const cases: [string, (f: Record<string, unknown>) => void, RegExp][] = [
    ["unknown type", (f) => (msg(f, 0)["type"] = 99), /messages\[0\]\.msg\.type/],
    ["from 0", (f) => (msg(f, 0)["from"] = 0), /messages\[0\]\.msg\.from/],
    ["term negative", (f) => (msg(f, 1)["term"] = -1), /messages\[1\]\.msg\.term/],
    ["entry data not bytes", (f) => (entries(f)[0]!["data"] = "x"), /entries\[0\]\.data/],
    ["entry kind unknown", (f) => (entries(f)[1]!["kind"] = 7), /entries\[1\]\.kind/],
    ["entry index 0", (f) => (entries(f)[0]!["index"] = 0), /entries\[0\]\.index/],
    ["granted missing", (f) => delete msg(f, 1)["granted"], /granted/],
    ["snapshot data missing", (f) => delete (msg(f, 8)["snapshot"] as Record<string, unknown>)["data"], /snapshot\.data/],
    ["group empty", (f) => (envelope(f, 0)["group"] = ""), /group/],
    ["messages not an array", (f) => (f["messages"] = {}), /messages/],
    ["op unknown", (f) => (f["op"] = "gossip"), /op/],
  ];
  for (const [name, damage, field] of cases) {
    const frame = mutable({ id: 0, op: "raft", messages: SAMPLE_ENVELOPES });
    damage(frame);
    const d = decodePeerFrame(peerPackr.pack(frame), FRAME_MAX);
    assert.ok(!d.ok, name);
    assert.equal(d.error.code, ErrorCode.INVALID_REQUEST, name);
    assert.match(d.error.message, field, name);
  }
});

test("an oversized peer frame is refused before decoding", () => {
  const d = decodePeerFrame(encodePeerRaft(SAMPLE_ENVELOPES), 16);
  assert.ok(!d.ok);
  assert.equal(d.error.code, ErrorCode.REQUEST_TOO_LARGE);
});

function envelope(f: Record<string, unknown>, i: number): Record<string, unknown> {
  return (f["messages"] as Record<string, unknown>[])[i] as Record<string, unknown>;
}
function msg(f: Record<string, unknown>, i: number): Record<string, unknown> {
  return envelope(f, i)["msg"] as Record<string, unknown>;
}
function entries(f: Record<string, unknown>): Record<string, unknown>[] {
  return msg(f, 4)["entries"] as Record<string, unknown>[];
}

test("leader announcements round-trip and are checked field by field", () => {
  const list = [
    { group: "p/3/0", leader: 2, term: 9 },
    { group: "__controller", leader: 2, term: 1 },
    { group: "p/4/1", leader: 3, term: 2, voters: [3, 4, 2] },
  ];
  const d = decodePeerFrame(encodePeerLeaders(list), FRAME_MAX);
  assert.deepEqual(d.ok && d.value, { kind: "leaders", announcements: list });
  for (const [bad, field] of [
    [{ group: "", leader: 2, term: 1 }, "group"],
    [{ group: "g", leader: 0, term: 1 }, "leader"],
    [{ group: "g", leader: 2, term: 0 }, "term"],
    [{ group: "g", leader: 2, term: "1" }, "term"],
    [{ group: "g", leader: 2, term: 1, voters: [] }, "voters"],
    [{ group: "g", leader: 2, term: 1, voters: [2, 0] }, "voters\\[1\\]"],
    [{ group: "g", leader: 2, term: 1, voters: "2" }, "voters"],
  ] as const) {
    const r = decodePeerFrame(peerPackr.pack({ id: 0, op: "leaders", leaders: [bad] }), FRAME_MAX);
    assert.ok(!r.ok, `accepted ${JSON.stringify(bad)}`);
    if (!r.ok) assert.match(r.error.message, new RegExp(field));
  }
});

test("hello and hello answer carry the data directory's identity both ways; older peers send none", () => {
  const identity = { clusterId: "c-1", state: 2 };
  const h = decodePeerFrame(encodePeerHello(1, { version: 1, brokerId: 3, to: 2, nonce: NONCE, identity }), FRAME_MAX);
  assert.ok(h.ok && h.value.kind === "hello");
  if (h.ok && h.value.kind === "hello") assert.deepEqual(h.value.hello.identity, identity);
  const ok = decodePeerFrame(encodePeerHelloOk(1, 2, { clusterId: "", state: 0 }), FRAME_MAX);
  assert.deepEqual(ok.ok && ok.value, { kind: "helloOk", id: 1, brokerId: 2, version: PROTOCOL_VERSION, identity: { clusterId: "", state: 0 } });
  const old = decodePeerFrame(encodePeerHello(1, { version: 1, brokerId: 3, to: 2, nonce: NONCE }), FRAME_MAX);
  assert.ok(old.ok && old.value.kind === "hello" && old.value.hello.identity === undefined);
});
