/**
 * The rules of `GET /ready` (docs/METRICS.md, "Readiness"): pure, over a
 * snapshot the broker takes at request time, so they are tested without a
 * broker.
 *
 * A broker is ready when all of these hold:
 * 1. it has started (storage open, controller replayed, client listener up)
 *    and is not stopping;
 * 2. it knows the controller group's leader (some broker, maybe itself);
 * 3. every partition replica the metadata places on it is open here and
 *    caught up: its group has a known leader, it is neither recovering
 *    (lost disk) nor repairing (damaged entry), and, on a follower, its
 *    applied index is within `lagEntriesMax` of the leader's commit index as
 *    last heard in this term (Status.leaderCommit; a follower that has heard
 *    no commit index from its leader yet is not caught up).
 * Everything that fails is listed, at most REASONS_MAX lines plus a count.
 */

/** What readiness needs to know of one hosted partition replica. */
export interface ReplicaReadiness {
  readonly topic: string;
  readonly partition: number;
  /** False when the metadata places the replica here but it is not open (yet). */
  readonly open: boolean;
  /** The group's leader as this replica knows it; 0 when unknown. */
  readonly leader: number;
  readonly isLeader: boolean;
  readonly recovering: boolean;
  readonly repairing: boolean;
  /** Highest index applied here. */
  readonly applied: number;
  /** The leader's commit index as last heard in this term (own commit on the leader); 0 when nothing heard. */
  readonly leaderCommit: number;
}

/** The broker-wide facts readiness is decided on. */
export interface ReadinessInput {
  readonly started: boolean;
  /** A stop (controlled shutdown) has begun. */
  readonly stopping: boolean;
  /** The controller group's leader as this broker knows it; 0 when unknown. */
  readonly controllerLeader: number;
  readonly replicas: readonly ReplicaReadiness[];
  /** Largest follower lag (leaderCommit - applied) still counted as caught up. */
  readonly lagEntriesMax: number;
}

/** The verdict: ready, or the reasons it is not. */
export interface Readiness {
  readonly ready: boolean;
  /** One line per failed rule, at most REASONS_MAX. */
  readonly notReady: readonly string[];
  /** How many failed rules there were in all (notReady may be cut short). */
  readonly notReadyCount: number;
}

/** Most reasons listed in a /ready body; the rest are only counted (a broker may host thousands of replicas). */
export const REASONS_MAX = 20;

/** Decide readiness (see the file comment for the rules). */
export function readiness(input: ReadinessInput): Readiness {
  const reasons: string[] = [];
  let count = 0;
  const fail = (reason: string): void => {
    count++;
    if (reasons.length < REASONS_MAX) reasons.push(reason);
  };
  if (input.stopping) fail("broker: stopping");
  else if (!input.started) fail("broker: still starting");
  if (input.controllerLeader === 0) fail("controller: leader unknown");
  for (const r of input.replicas) {
    const name = `${r.topic}/${r.partition}`;
    if (!r.open) fail(`${name}: replica not open`);
    else if (r.recovering) fail(`${name}: recovering after a lost disk`);
    else if (r.repairing) fail(`${name}: repairing a damaged log`);
    else if (r.leader === 0) fail(`${name}: leader unknown`);
    else if (!r.isLeader) {
      if (r.leaderCommit === 0) fail(`${name}: no commit index heard from leader ${r.leader} yet`);
      else if (r.leaderCommit - r.applied > input.lagEntriesMax) fail(`${name}: applied ${r.applied}, ${r.leaderCommit - r.applied} entries behind leader ${r.leader}'s commit ${r.leaderCommit} (max ${input.lagEntriesMax})`);
    }
  }
  return { ready: count === 0, notReady: reasons, notReadyCount: count };
}
