/**
 * Peer frames: broker-to-broker traffic on the peer listener, same framing
 * as client frames (one msgpack map per binary WebSocket message), packed
 * with msgpackr records (see msgpack.ts).
 *
 * A peer connection carries traffic one way: the dialing broker sends, the
 * listening broker receives (each broker dials every peer it sends to).
 *
 *   dialer -> listener   { id, op: "peerHello", version, brokerId, to, nonce, clusterId?, identity? }
 *   listener -> dialer   { id, op: "peerChallenge", brokerId, nonce, proof }          or an error frame, then close
 *   dialer -> listener   { id, op: "peerProof", proof }
 *   listener -> dialer   { id, ok: true, brokerId, version, clusterId?, identity? }   or an error frame, then close
 *
 * The hello is a mutual challenge and response keyed by the cluster secret,
 * which never crosses the wire (broker/transport/peer-auth.ts; docs/SECURITY.md,
 * "Peer authentication"). `to` is the broker the dialer means to reach;
 * `nonce` and `proof` are 32 bytes each. A hello without `nonce` (a broker
 * from before challenge and response, which sent the secret itself) is
 * refused with AUTHENTICATION_FAILED: mixed clusters of old and new brokers
 * do not connect.
 *
 * `clusterId` and `identity` say what each side's data directory is (see
 * HelloIdentity); brokers of an older version leave them out.
 *   dialer -> listener   { id: 0, op: "raft", messages: [{ group, msg }, ...] }   (no response)
 *   dialer -> listener   { id: 0, op: "leaders", leaders: [{ group, leader, term }, ...] }   (no response)
 *
 * Raft messages are best effort: Raft tolerates loss, duplication and
 * reordering, so nothing is acknowledged or retransmitted here. Leader
 * announcements are best effort too: each names a term, the receiver keeps
 * the newest term per group, and they are repeated periodically.
 */
import type { Message } from "../raft/messages.js";
import { RlogError, type Result } from "./errors.js";
import { BROKER_ID, FieldReader, checkArray, checkInt } from "./field-reader.js";
import { FIXED_LIMITS } from "./limits.js";
import { clientPackr, peerPackr, unpackFrame } from "./msgpack.js";
import { checkRaftMessage } from "./raft-message-check.js";
import { PROTOCOL_VERSION } from "./version.js";

/** Peer frame ops. Wire values: never rename. */
export const PeerOp = {
  Hello: "peerHello",
  /** Listener -> dialer: its nonce and its proof of the secret. */
  Challenge: "peerChallenge",
  /** Dialer -> listener: its proof of the secret. */
  Proof: "peerProof",
  Raft: "raft",
  Leaders: "leaders",
} as const;

/** Longest Raft group id (e.g. "orders/12", "__controller"). */
export const GROUP_ID_LENGTH_MAX = 256;

/** Bytes of a hello nonce and of a proof (peer-auth.ts PEER_NONCE_BYTES, PEER_PROOF_BYTES). */
export const PEER_AUTH_BYTES = 32;

/** Most Raft messages in one frame (frames are also bounded in bytes). */
export const PEER_FRAME_MESSAGES_MAX = 65_536;

/**
 * What a broker's data directory is, told in both directions of a hello
 * (broker/storage/broker-identity.ts, docs/STORAGE.md "A lost disk").
 */
export interface HelloIdentity {
  /** The cluster the data belongs to; "" while unknown (new, or before the controller's InitCluster). */
  readonly clusterId: string;
  /** IdentityState: 0 new (still deciding), 1 recovering from a lost disk, 2 member. Numeric and append-only. */
  readonly state: number;
}

/** Longest cluster id accepted in a hello. */
export const CLUSTER_ID_LENGTH_MAX = 64;

/** The first frame a dialer sends. */
export interface PeerHello {
  readonly version: number;
  /** The dialing broker. */
  readonly brokerId: number;
  /** The broker the dialer means to reach; 0 when absent (an older broker). */
  readonly to: number;
  /** The dialer's fresh nonce (PEER_AUTH_BYTES); empty when absent (an older broker, refused). */
  readonly nonce: Uint8Array;
  /** The dialer's data directory; absent from brokers of an older version. */
  readonly identity?: HelloIdentity;
}

/** One Raft message for one Raft group. */
export interface PeerEnvelope {
  readonly group: string;
  readonly msg: Message;
}

/**
 * "Broker `leader` leads Raft group `group` in `term`": sent by the leader
 * itself to every peer (broker/cluster/leader-table.ts), so that brokers
 * that host no replica of a partition still know its leader.
 */
export interface LeaderAnnouncement {
  readonly group: string;
  readonly leader: number;
  readonly term: number;
  /**
   * The group's committed voters, when the leader is moving it to another
   * replica list and not in a joint configuration (docs/OPERATIONS.md): the
   * controller leader records the move complete once they are the target.
   * Absent otherwise; older brokers neither send nor read it.
   */
  readonly voters?: readonly number[];
}

/** Most voters one announcement may name (a bound on a peer's frame). */
export const ANNOUNCED_VOTERS_MAX = 1000;

/** The listener's answer to a hello: its id, its nonce, and its proof of the secret. */
export interface PeerChallenge {
  readonly brokerId: number;
  readonly nonce: Uint8Array;
  readonly proof: Uint8Array;
}

/** A decoded peer frame. */
export type PeerFrame =
  | { readonly kind: "hello"; readonly id: number; readonly hello: PeerHello }
  | { readonly kind: "challenge"; readonly id: number; readonly challenge: PeerChallenge }
  | { readonly kind: "proof"; readonly id: number; readonly proof: Uint8Array }
  | { readonly kind: "raft"; readonly envelopes: readonly PeerEnvelope[] }
  | { readonly kind: "leaders"; readonly announcements: readonly LeaderAnnouncement[] }
  | { readonly kind: "helloOk"; readonly id: number; readonly brokerId: number; readonly version: number; readonly identity?: HelloIdentity }
  | { readonly kind: "error"; readonly id: number; readonly error: RlogError };

/** Encode a hello. */
export function encodePeerHello(id: number, hello: PeerHello): Uint8Array {
  const identity = hello.identity ? { clusterId: hello.identity.clusterId, identity: hello.identity.state } : {};
  return peerPackr.pack({ id, op: PeerOp.Hello, version: hello.version, brokerId: hello.brokerId, to: hello.to, nonce: hello.nonce, ...identity });
}

/** Encode the listener's challenge (its nonce and proof). */
export function encodePeerChallenge(id: number, challenge: PeerChallenge): Uint8Array {
  return peerPackr.pack({ id, op: PeerOp.Challenge, brokerId: challenge.brokerId, nonce: challenge.nonce, proof: challenge.proof });
}

/** Encode the dialer's proof. */
export function encodePeerProof(id: number, proof: Uint8Array): Uint8Array {
  return peerPackr.pack({ id, op: PeerOp.Proof, proof });
}

/** Exactly PEER_AUTH_BYTES bytes, or INVALID_REQUEST. */
function authBytes(r: FieldReader, name: string): Uint8Array {
  const b = r.bytes(name);
  if (b.byteLength !== PEER_AUTH_BYTES) throw new RlogError("INVALID_REQUEST", `${r.at(name)}: expected ${PEER_AUTH_BYTES} bytes, got ${b.byteLength}`);
  return b;
}

/** Encode the listener's acceptance of a hello, with its data directory's identity when it has one to tell. */
export function encodePeerHelloOk(id: number, brokerId: number, identity?: HelloIdentity): Uint8Array {
  const fields = identity ? { clusterId: identity.clusterId, identity: identity.state } : {};
  return peerPackr.pack({ id, ok: true, brokerId, version: PROTOCOL_VERSION, ...fields });
}

/** The identity fields of a hello or hello answer; undefined when the peer sent none (an older version). */
function readIdentity(r: FieldReader): HelloIdentity | undefined {
  const state = r.optInt("identity", { min: 0, max: 255 });
  if (state === undefined) return undefined;
  return { clusterId: r.optStr("clusterId", CLUSTER_ID_LENGTH_MAX) ?? "", state };
}

/** Encode the listener's refusal (sent before closing the connection). */
export function encodePeerError(id: number, error: RlogError): Uint8Array {
  return clientPackr.pack({ id, ok: false, error: error.toWire() });
}

/** Encode a batch of Raft messages as one frame. */
export function encodePeerRaft(envelopes: readonly PeerEnvelope[]): Uint8Array {
  return peerPackr.pack({ id: 0, op: PeerOp.Raft, messages: envelopes });
}

/** Encode leader announcements as one frame (at most PEER_FRAME_MESSAGES_MAX of them). */
export function encodePeerLeaders(announcements: readonly LeaderAnnouncement[]): Uint8Array {
  return peerPackr.pack({
    id: 0,
    op: PeerOp.Leaders,
    leaders: announcements.map((a) => (a.voters === undefined ? { group: a.group, leader: a.leader, term: a.term } : { group: a.group, leader: a.leader, term: a.term, voters: a.voters })),
  });
}

function checkAnnouncement(v: unknown, path: string): LeaderAnnouncement {
  const r = FieldReader.of(v, path);
  const a = { group: r.str("group", GROUP_ID_LENGTH_MAX, 1), leader: r.int("leader", BROKER_ID), term: r.int("term", { min: 1, max: FIXED_LIMITS.integerMax }) };
  const voters = r.optArray("voters", ANNOUNCED_VOTERS_MAX, (id, p) => checkInt(id, p, BROKER_ID), 1);
  return voters === undefined ? a : { ...a, voters };
}

function checkEnvelope(v: unknown, path: string): PeerEnvelope {
  const r = FieldReader.of(v, path);
  r.str("group", GROUP_ID_LENGTH_MAX, 1);
  checkRaftMessage(r.raw("msg"), r.at("msg"));
  return v as PeerEnvelope;
}

/** Decode and check a peer frame. Never throws; bad input gives INVALID_REQUEST (or REQUEST_TOO_LARGE). */
export function decodePeerFrame(bytes: Uint8Array, frameBytesMax: number): Result<PeerFrame> {
  try {
    return { ok: true, value: readPeerFrame(unpackFrame(bytes, frameBytesMax)) };
  } catch (err) {
    const error = err instanceof RlogError ? err : new RlogError("INTERNAL_ERROR", `peer frame decoder failed: ${String(err)}`);
    return { ok: false, error };
  }
}

function readPeerFrame(value: unknown): PeerFrame {
  const r = FieldReader.of(value, "");
  if (r.has("ok")) {
    const id = r.int("id", { min: 0, max: FIXED_LIMITS.requestIdMax });
    if (!r.bool("ok")) {
      const e = r.child("error");
      const error = RlogError.fromWire({ code: e.int("code", { min: 0, max: 0x7fff_ffff }), message: e.optStr("message", 4096) ?? "", retriable: false });
      return { kind: "error", id, error };
    }
    const identity = readIdentity(r);
    return {
      kind: "helloOk",
      id,
      brokerId: r.int("brokerId", BROKER_ID),
      version: r.int("version", { min: 0, max: 0xffff }),
      ...(identity ? { identity } : {}),
    };
  }
  const op = r.oneOf("op", [PeerOp.Hello, PeerOp.Challenge, PeerOp.Proof, PeerOp.Raft, PeerOp.Leaders]);
  if (op === PeerOp.Challenge) {
    const id = r.int("id", { min: 1, max: FIXED_LIMITS.requestIdMax });
    return { kind: "challenge", id, challenge: { brokerId: r.int("brokerId", BROKER_ID), nonce: authBytes(r, "nonce"), proof: authBytes(r, "proof") } };
  }
  if (op === PeerOp.Proof) {
    const id = r.int("id", { min: 1, max: FIXED_LIMITS.requestIdMax });
    return { kind: "proof", id, proof: authBytes(r, "proof") };
  }
  if (op === PeerOp.Hello) {
    const id = r.int("id", { min: 1, max: FIXED_LIMITS.requestIdMax });
    const hello: PeerHello = {
      version: r.int("version", { min: 0, max: 0xffff }),
      brokerId: r.int("brokerId", BROKER_ID),
      // Absent from older brokers (which sent the secret): refused as AUTHENTICATION_FAILED, not as a malformed frame.
      to: r.optInt("to", BROKER_ID) ?? 0,
      nonce: r.has("nonce") ? authBytes(r, "nonce") : new Uint8Array(0),
    };
    const identity = readIdentity(r);
    if (identity) return { kind: "hello", id, hello: { ...hello, identity } };
    return { kind: "hello", id, hello };
  }
  if (op === PeerOp.Leaders) return { kind: "leaders", announcements: checkArray(r.raw("leaders"), "leaders", PEER_FRAME_MESSAGES_MAX, checkAnnouncement) };
  const envelopes = checkArray(r.raw("messages"), "messages", PEER_FRAME_MESSAGES_MAX, checkEnvelope);
  return { kind: "raft", envelopes };
}
