/**
 * The identity of a broker's data directory, kept in its LMDB environment
 * (the meta database, log id 0, MetaType.BrokerIdentity) so that it lives and
 * dies with the data it describes: wiping the directory wipes it too. The
 * broker uses it to tell a fresh cluster from a lost disk and from another
 * cluster's data (broker/cluster/disk-identity.ts, docs/STORAGE.md "A lost disk").
 */
import { Packr } from "msgpackr";
import { metaKey, MetaType } from "./codec.js";
import { corruptRecord, openRecord, sealRecord } from "./record-seal.js";

/** Stored and sent to peers: numeric and append-only. */
export const IdentityState = {
  /** No identity yet: a new data directory still finding out whether its cluster exists (only sent, never stored). */
  New: 0,
  /**
   * The directory was created while the cluster already existed (a lost or
   * wiped disk): its Raft groups open recovering (no votes) until each has
   * caught up. A crash in the middle restarts recovery.
   */
  Recovering: 1,
  /** A full member: its groups vote. */
  Member: 2,
} as const;
export type IdentityState = (typeof IdentityState)[keyof typeof IdentityState];
export const IDENTITY_STATE_NAMES = ["new", "recovering", "member"] as const;

/** The record. */
export interface BrokerIdentity {
  /** The cluster this data belongs to; "" until the controller's InitCluster is applied here. */
  readonly clusterId: string;
  /** The broker id the directory was created for. */
  readonly brokerId: number;
  /** Random, non-zero, made when the directory's identity was created: names this copy of the data. */
  readonly incarnation: number;
  readonly state: typeof IdentityState.Recovering | typeof IdentityState.Member;
  /** When the identity was created (ms since epoch). */
  readonly createdMs: number;
}

/** Record layout version (the first field). */
const LAYOUT = 1;
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** Encode for the meta database: a sealed msgpack body (record-seal.ts). */
export function encodeBrokerIdentity(id: BrokerIdentity): Buffer {
  return sealRecord(packr.pack([LAYOUT, id.clusterId, id.brokerId, id.incarnation, id.state, id.createdMs]), metaKey(0, MetaType.BrokerIdentity));
}

/**
 * Decode (a legacy unsealed record too); throws StorageError CORRUPT_RECORD
 * on a record this version cannot read (damage, or a newer layout).
 */
export function decodeBrokerIdentity(v: Uint8Array): BrokerIdentity {
  const body = openRecord(v, metaKey(0, MetaType.BrokerIdentity), "broker identity");
  let a: unknown;
  try {
    a = packr.unpack(body);
  } catch (err) {
    throw corruptRecord(`undecodable broker identity record: ${(err as Error).message}`);
  }
  if (!Array.isArray(a) || a[0] !== LAYOUT) throw corruptRecord(`unreadable broker identity record (layout ${Array.isArray(a) ? String(a[0]) : "?"})`);
  const [, clusterId, brokerId, incarnation, state, createdMs] = a as unknown[];
  if (
    typeof clusterId !== "string" ||
    !Number.isSafeInteger(brokerId) ||
    !Number.isSafeInteger(incarnation) ||
    (incarnation as number) < 1 ||
    (state !== IdentityState.Recovering && state !== IdentityState.Member) ||
    typeof createdMs !== "number"
  ) {
    throw corruptRecord("damaged broker identity record");
  }
  return { clusterId, brokerId: brokerId as number, incarnation: incarnation as number, state, createdMs };
}
