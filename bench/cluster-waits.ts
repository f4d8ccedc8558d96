/** Waits on a topic's replication state, each bounded. */
import type { BenchCluster } from "./cluster.js";
import { waitUntil } from "./time.js";

/**
 * Wait until every partition of `topic` has a leader whose followers are all
 * reachable and hold its whole log (lagEntries 0). Resolves whether they did.
 */
export function waitCaughtUp(cluster: BenchCluster, topic: string, partitions: number, timeoutMs: number): Promise<boolean> {
  return waitUntil(timeoutMs, 100, async () => {
    const status = await cluster.partitionStatus(topic);
    return status.length === partitions && status.every((p) => p.leader !== 0 && p.replicas.length > 0 && p.replicas.every((r) => r.reachable && r.lagEntries === 0));
  });
}

/** Wait until every partition of `topic` is led by its preferred replica. Resolves whether it was. */
export function waitPreferredLeaders(cluster: BenchCluster, topic: string, partitions: number, timeoutMs: number): Promise<boolean> {
  return waitUntil(timeoutMs, 100, async () => {
    const status = await cluster.partitionStatus(topic);
    return status.length === partitions && status.every((p) => p.leader !== 0 && p.leader === p.preferredLeader && p.replicas.length > 0);
  });
}
