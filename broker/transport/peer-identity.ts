/**
 * How the peer transport tells and learns what each broker's data directory
 * is (cluster id and identity state) during the hello exchange; see
 * broker/protocol/peer-frames.ts (HelloIdentity) and broker/cluster/disk-identity.ts.
 */
import type { HelloIdentity } from "../protocol/peer-frames.js";
import type { NodeId } from "../raft/types.js";

export type { HelloIdentity } from "../protocol/peer-frames.js";

/** Hooks the transport calls during hellos. */
export interface PeerIdentityHooks {
  /** What this broker says about its data directory, read at every hello (it changes as the broker decides). */
  local(): HelloIdentity;
  /**
   * What a peer said about itself: in its hello (inbound) or in its answer to
   * ours (outbound). undefined: a broker of an older version that tells nothing.
   * Called before a mismatch is refused, so that a broker starting up can
   * refuse to start.
   */
  onPeer(peer: NodeId, identity: HelloIdentity | undefined): void;
  /** A peer refused our hello because our data belongs to another cluster (CLUSTER_ID_MISMATCH); `message` names both ids. */
  onOtherCluster?(peer: NodeId, message: string): void;
}

/** Two identities belong to different clusters: both ids known and different. */
export function otherCluster(a: HelloIdentity | undefined, b: HelloIdentity | undefined): boolean {
  return a !== undefined && b !== undefined && a.clusterId !== "" && b.clusterId !== "" && a.clusterId !== b.clusterId;
}
