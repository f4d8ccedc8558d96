/**
 * Peer authentication by mutual challenge and response: the pure parts
 * (key derivation, transcript, proofs, verification). No sockets, no
 * clocks; the only randomness is the nonce source, which callers may inject.
 *
 * The exchange (frames in broker/protocol/peer-frames.ts, docs/SECURITY.md
 * "Peer authentication"):
 *
 *   dialer   -> listener  peerHello      { version, brokerId: D, to: L, nonce: Nc }
 *   listener -> dialer   peerChallenge  { brokerId: L, nonce: Ns, proof: HMAC(K, "rlog-peer-listener" | T) }
 *   dialer   -> listener  peerProof      { proof: HMAC(K, "rlog-peer-dialer" | T) }
 *   listener -> dialer   helloOk (or an error frame, then close)
 *
 * with T = version | D | L | Nc | Ns and K = HKDF-SHA256(cluster secret,
 * PEER_KEY_SALT, PEER_KEY_INFO). The raw secret is used for nothing but this
 * derivation and never crosses the wire.
 *
 * Why a recording is worthless: each side's proof covers a nonce the other
 * side drew fresh for this connection (32 random bytes), so a replayed
 * peerProof answers an old challenge and fails against the new one; a
 * replayed peerChallenge fails against the dialer's fresh Nc. Both broker
 * ids are in T and the two directions use distinct labels, so a proof made
 * for one pair of brokers, or one direction, does not verify for another.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

/** Bytes of each nonce (256 bits: never repeats in practice). */
export const PEER_NONCE_BYTES = 32;
/** Bytes of each proof (HMAC-SHA256). */
export const PEER_PROOF_BYTES = 32;

/** HKDF salt: fixed, names the protocol and its version (a new scheme gets a new salt). */
const PEER_KEY_SALT = "rlog-peer-auth-v1";
/** HKDF info: what the derived key is for. */
const PEER_KEY_INFO = "rlog peer hello hmac key";
/** Domain labels of the two proofs: a listener's proof never verifies as a dialer's. */
const LISTENER_LABEL = "rlog-peer-listener";
const DIALER_LABEL = "rlog-peer-dialer";

/** The HMAC key of the peer hello, derived from the cluster secret (opaque; compare nothing with it). */
export interface PeerKey {
  readonly bytes: Buffer;
}

/** Derive the hello key from the cluster secret (HKDF-SHA256, fixed salt and info). */
export function derivePeerKey(secret: string): PeerKey {
  if (secret === "") throw new Error("the cluster secret must not be empty");
  return { bytes: Buffer.from(hkdfSync("sha256", Buffer.from(secret, "utf8"), PEER_KEY_SALT, PEER_KEY_INFO, 32)) };
}

/** Everything both proofs of one exchange cover. */
export interface PeerTranscript {
  /** The protocol version the dialer named. */
  readonly version: number;
  /** The dialing broker's id (claimed in its hello). */
  readonly dialerId: number;
  /** The listening broker's id (the one the dialer meant to reach). */
  readonly listenerId: number;
  /** The dialer's nonce. */
  readonly dialerNonce: Uint8Array;
  /** The listener's nonce. */
  readonly listenerNonce: Uint8Array;
}

/**
 * The transcript's bytes: fixed-width fields, so no two transcripts encode
 * alike (u16 version, u32 ids, then the two 32-byte nonces).
 */
export function transcriptBytes(t: PeerTranscript): Buffer {
  if (t.dialerNonce.byteLength !== PEER_NONCE_BYTES || t.listenerNonce.byteLength !== PEER_NONCE_BYTES) {
    throw new Error(`peer nonces must be ${PEER_NONCE_BYTES} bytes`);
  }
  const head = Buffer.alloc(2 + 4 + 4);
  head.writeUInt16BE(t.version, 0);
  head.writeUInt32BE(t.dialerId, 2);
  head.writeUInt32BE(t.listenerId, 6);
  return Buffer.concat([head, t.dialerNonce, t.listenerNonce]);
}

function proof(key: PeerKey, label: string, t: PeerTranscript): Buffer {
  return createHmac("sha256", key.bytes).update(label, "utf8").update(Buffer.of(0)).update(transcriptBytes(t)).digest();
}

/** The listener's proof that it knows the secret: HMAC(K, "rlog-peer-listener" | 0 | T). */
export function listenerProof(key: PeerKey, t: PeerTranscript): Buffer {
  return proof(key, LISTENER_LABEL, t);
}

/** The dialer's proof that it knows the secret: HMAC(K, "rlog-peer-dialer" | 0 | T). */
export function dialerProof(key: PeerKey, t: PeerTranscript): Buffer {
  return proof(key, DIALER_LABEL, t);
}

/** Constant-time comparison of a received proof with the expected one; false for any other length. */
export function proofMatches(given: Uint8Array, expected: Uint8Array): boolean {
  if (given.byteLength !== expected.byteLength) return false;
  return timingSafeEqual(given, expected);
}

/** Check the listener's proof (on the dialer). */
export function verifyListenerProof(key: PeerKey, t: PeerTranscript, given: Uint8Array): boolean {
  return proofMatches(given, listenerProof(key, t));
}

/** Check the dialer's proof (on the listener). */
export function verifyDialerProof(key: PeerKey, t: PeerTranscript, given: Uint8Array): boolean {
  return proofMatches(given, dialerProof(key, t));
}

/** A fresh nonce from the system's CSPRNG. */
export function newPeerNonce(): Buffer {
  return randomBytes(PEER_NONCE_BYTES);
}
