/** The pure parts of peer authentication: key derivation, transcript, proofs (broker/transport/peer-auth.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  PEER_NONCE_BYTES,
  PEER_PROOF_BYTES,
  derivePeerKey,
  dialerProof,
  listenerProof,
  newPeerNonce,
  proofMatches,
  transcriptBytes,
  verifyDialerProof,
  verifyListenerProof,
  type PeerTranscript,
} from "../../broker/transport/peer-auth.js";

const key = derivePeerKey("cluster-secret");
const t: PeerTranscript = { version: 2, dialerId: 2, listenerId: 1, dialerNonce: new Uint8Array(32).fill(1), listenerNonce: new Uint8Array(32).fill(2) };

test("the key is derived (HKDF), deterministic, and not the secret; an empty secret is refused", () => {
  assert.equal(key.bytes.byteLength, 32);
  assert.deepEqual(derivePeerKey("cluster-secret").bytes, key.bytes);
  assert.notDeepEqual(derivePeerKey("cluster-secreT").bytes, key.bytes);
  assert.ok(!key.bytes.includes(Buffer.from("cluster-secret")));
  assert.throws(() => derivePeerKey(""), /must not be empty/);
});

test("each side's proof verifies for the exact transcript and key only", () => {
  const lp = listenerProof(key, t);
  const dp = dialerProof(key, t);
  assert.equal(lp.byteLength, PEER_PROOF_BYTES);
  assert.ok(verifyListenerProof(key, t, lp));
  assert.ok(verifyDialerProof(key, t, dp));
  // The two directions use distinct labels: a listener's proof is no dialer's proof (reflection).
  assert.ok(!verifyDialerProof(key, t, lp));
  assert.ok(!verifyListenerProof(key, t, dp));
  // Another key (secret) fails.
  assert.ok(!verifyDialerProof(derivePeerKey("other"), t, dp));
  // Any change of the transcript fails: each nonce (replay), each id (another pair or direction), the version.
  const changes: PeerTranscript[] = [
    { ...t, dialerNonce: new Uint8Array(32).fill(9) },
    { ...t, listenerNonce: new Uint8Array(32).fill(9) },
    { ...t, dialerId: 3 },
    { ...t, listenerId: 3 },
    { ...t, dialerId: 1, listenerId: 2 }, // the same pair, the other direction
    { ...t, version: 3 },
  ];
  for (const c of changes) assert.ok(!verifyDialerProof(key, c, dp), JSON.stringify({ ...c, dialerNonce: c.dialerNonce[0], listenerNonce: c.listenerNonce[0] }));
  // Wrong lengths are refused without throwing.
  assert.ok(!proofMatches(dp.subarray(0, 31), dp));
  assert.ok(!proofMatches(new Uint8Array(0), dp));
});

test("the transcript encodes fixed-width fields and refuses nonces of the wrong size", () => {
  const b = transcriptBytes(t);
  assert.equal(b.byteLength, 2 + 4 + 4 + 32 + 32);
  assert.equal(b.readUInt16BE(0), 2);
  assert.equal(b.readUInt32BE(2), 2);
  assert.equal(b.readUInt32BE(6), 1);
  assert.throws(() => transcriptBytes({ ...t, dialerNonce: new Uint8Array(31) }), /32 bytes/);
});

test("nonces are 32 fresh random bytes", () => {
  const a = newPeerNonce();
  const b = newPeerNonce();
  assert.equal(a.byteLength, PEER_NONCE_BYTES);
  assert.notDeepEqual(a, b);
});
