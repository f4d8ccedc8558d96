/**
 * Named liveness scenarios on a quiet simulated group (no random faults; the
 * scenario scripts its own). Each takes a seed and a group size, throws an
 * AssertionError that names the seed (and carries the trace tail) when the
 * scenario fails, and returns what it measured, in ticks (one tick per step).
 * Safety is checked throughout, as in every simulation.
 */
import assert from "node:assert/strict";
import { NO_FAULTS } from "./faults.js";
import { Simulation, type RaftTuning } from "./simulation.js";

/** Base election timeout of the scenarios, in ticks. */
export const ELECTION_TICKS = 10;

/** Byte limits of a real deployment (scaled down): one Append carries a lag of a few dozen entries. */
export const ROOMY_TUNING: Partial<RaftTuning> = { appendBytesMax: 64 * 1024, inflightBytesMax: 1024 * 1024, inflightAppendsMax: 8 };

/** A quiet group with priority [1, 2, ...]. */
export function quietGroup(seed: number, members: 3 | 5, preferredLeaderCheckTicks: number, tuning: Partial<RaftTuning> = {}): Simulation {
  return new Simulation({
    seed,
    members,
    faultSteps: 0,
    profile: NO_FAULTS,
    priority: members === 3 ? [1, 2, 3] : [1, 2, 3, 4, 5],
    tuning: { preferredLeaderCheckTicks, electionTimeoutTicks: ELECTION_TICKS, heartbeatIntervalTicks: 2, ...tuning },
  });
}

function where(sim: Simulation): string {
  return `seed ${sim.seed}, ${sim.members.length} members, step ${sim.now}`;
}

/** No violation so far (with the trace tail when there is one). */
export function assertSafe(sim: Simulation): void {
  assert.equal(
    sim.violation,
    undefined,
    `${where(sim)}: ${sim.violation?.kind}: ${sim.violation?.message}\n${sim.traceLines().slice(-40).join("\n")}`,
  );
}

/** Step until `pred` holds, failing with `what` after `bound` steps. Returns the steps taken. */
export function within(sim: Simulation, bound: number, what: string, pred: () => boolean): number {
  const t0 = sim.now;
  const held = sim.runUntil(pred, bound);
  assertSafe(sim);
  assert.ok(held, `${where(sim)}: ${what} within ${bound} ticks: ${sim.describeRoles()}`);
  return sim.now - t0;
}

/** Step until a leader every member follows exists. Returns the steps taken. */
export function awaitLeader(sim: Simulation, bound = 3 * ELECTION_TICKS): number {
  return within(sim, bound, "no leader that every member follows", () => sim.stableLeader() !== undefined);
}

/** Stop the clients, require convergence and run the final check. */
export function settle(sim: Simulation): void {
  sim.workload = undefined;
  within(sim, 200, "no convergence", () => sim.converged());
  sim.finalCheck();
  assertSafe(sim);
}

/** A new group elects a leader; after the leader crashes, another is elected. */
export function electionAndFailover(seed: number, members: 3 | 5): { firstTicks: number; failoverTicks: number } {
  const sim = quietGroup(seed, members, 0);
  sim.workload = { proposeRate: 0.5, transferRate: 0 };
  const firstTicks = awaitLeader(sim);
  sim.steps(10);
  const old = sim.leader()!;
  sim.crash(old.id);
  const failoverTicks = within(sim, 4 * ELECTION_TICKS, "no new leader after the leader crashed", () => {
    const l = sim.leader();
    return l !== undefined && l.term > old.term;
  });
  sim.restart(old.id);
  settle(sim);
  return { firstTicks, failoverTicks };
}

/**
 * Pre-vote: the followers last in preference order, a minority, are cut off
 * for ten election timeouts and rejoin. Neither they nor the group's term
 * move, and the leader keeps its place. Returns the term.
 */
export function minorityRejoin(seed: number, members: 3 | 5): { termBefore: number; termAfter: number } {
  const sim = quietGroup(seed, members, 0);
  sim.workload = { proposeRate: 0.5, transferRate: 0 };
  awaitLeader(sim);
  sim.steps(10);
  const leader = sim.leader()!;
  const termBefore = leader.term;
  const minority = sim.members.filter((m) => m !== leader).slice(-(members - 1) / 2);
  sim.network.split(minority.map((m) => m.id));
  sim.steps(10 * ELECTION_TICKS);
  assertSafe(sim);
  for (const m of minority) {
    assert.equal(m.raft()!.status().term, termBefore, `${where(sim)}: isolated member ${m.id} raised its term while cut off`);
  }
  assert.equal(sim.leader(), leader, `${where(sim)}: the majority lost its leader`);
  sim.network.heal();
  sim.steps(3 * ELECTION_TICKS);
  settle(sim);
  assert.equal(sim.stableLeader(), leader, `${where(sim)}: leadership changed after the rejoin`);
  assert.equal(leader.term, termBefore, `${where(sim)}: the rejoin raised the term from ${termBefore} to ${leader.term}`);
  return { termBefore, termAfter: leader.term };
}

/**
 * Leader preference: member 1 (most preferred) leads, is cut off while the
 * others elect a leader and move on, then rejoins; once caught up it gets
 * leadership back. Uses realistic append byte limits, so that catching up is
 * quick. Returns the ticks from the rejoin to member 1 leading.
 */
export function preferredRegains(seed: number, members: 3 | 5, preferredLeaderCheckTicks: number): { regainTicks: number } {
  const sim = quietGroup(seed, members, preferredLeaderCheckTicks, ROOMY_TUNING);
  sim.workload = { proposeRate: 0.5, transferRate: 0 };
  within(sim, 10 * ELECTION_TICKS, "member 1 never led", () => sim.stableLeader()?.id === 1);
  const t1 = sim.member(1).term;
  sim.network.isolate(sim.member(1).id);
  within(sim, 5 * ELECTION_TICKS, "no leader among the others", () => {
    const l = sim.leader();
    return l !== undefined && l.id !== 1 && l.term > t1;
  });
  sim.steps(4 * ELECTION_TICKS); // member 1 falls behind
  assertSafe(sim);
  const other = sim.leader()!;
  assert.ok(sim.member(1).storage.hardState().commit < other.raft()!.status().commit, `${where(sim)}: member 1 did not fall behind`);
  sim.network.heal();
  // Catch-up, then the next preference check, then the transfer's election.
  const bound = 3 * ELECTION_TICKS + preferredLeaderCheckTicks + ELECTION_TICKS;
  const regainTicks = within(sim, bound, "member 1 did not regain leadership after rejoining", () => sim.stableLeader()?.id === 1);
  settle(sim);
  assert.equal(sim.stableLeader()?.id, 1);
  return { regainTicks };
}

/**
 * A transfer to a live member that lags behind: it is cut off from the
 * leader for an election timeout under client load, the link heals, and the
 * transfer is asked for at once (the target still behind). The transfer must
 * finish within one election timeout, catch-up included (thesis §3.10, as
 * etcd), so the group uses realistic append byte limits. Returns the ticks
 * from the request to the target leading.
 */
export function transferToLagging(seed: number, members: 3 | 5): { transferTicks: number; lagEntries: number } {
  const sim = quietGroup(seed, members, 0, ROOMY_TUNING);
  sim.workload = { proposeRate: 0.7, transferRate: 0 };
  awaitLeader(sim);
  sim.steps(10);
  const leader = sim.stableLeader()!;
  const termBefore = leader.term;
  const target = sim.members.filter((m) => m !== leader).at(-1)!;
  sim.network.cutOneWay(leader.id, target.id);
  sim.steps(ELECTION_TICKS);
  sim.network.heal();
  const lp = leader.raft()!.status();
  const tp = lp.progress.find((p) => p.id === target.id)!;
  const lagEntries = lp.lastIndex - tp.match;
  assert.ok(lagEntries > 0, `${where(sim)}: the target is not behind (match ${tp.match}, last ${lp.lastIndex})`);
  assert.ok(sim.transfer(target.id, leader), `${where(sim)}: transfer refused`);
  const transferTicks = within(sim, 3 * ELECTION_TICKS, `transfer to lagging member ${target.id} did not complete`, () => sim.stableLeader() === target);
  assert.ok(target.term > termBefore, `${where(sim)}: the transfer did not start a new term`);
  settle(sim);
  return { transferTicks, lagEntries };
}

/**
 * A transfer to a member that is down: proposals are refused with
 * LEADER_TRANSFER_IN_PROGRESS, and after about an election timeout the old
 * leader, still leading the same term, takes proposals again. Returns the
 * ticks until it did.
 */
export function transferToDead(seed: number, members: 3 | 5): { resumeTicks: number } {
  const sim = quietGroup(seed, members, 0);
  sim.workload = { proposeRate: 0.5, transferRate: 0 };
  awaitLeader(sim);
  sim.steps(10);
  const leader = sim.stableLeader()!;
  const termBefore = leader.term;
  const dead = sim.members.find((m) => m !== leader)!;
  sim.crash(dead.id);
  sim.workload = undefined;
  assert.ok(sim.transfer(dead.id, leader), `${where(sim)}: transfer refused`);
  assert.deepEqual(sim.propose(1, leader), []);
  assert.equal(sim.lastRefusal, "LEADER_TRANSFER_IN_PROGRESS");
  const resumeTicks = within(sim, 3 * ELECTION_TICKS, "the old leader never took proposals again", () => sim.propose(1, leader).length > 0);
  assert.ok(
    resumeTicks >= ELECTION_TICKS - 1 && resumeTicks <= 2 * ELECTION_TICKS,
    `${where(sim)}: proposals resumed after ${resumeTicks} ticks, expected about one election timeout (${ELECTION_TICKS})`,
  );
  assert.equal(sim.leader(), leader, `${where(sim)}: leadership moved`);
  assert.equal(leader.term, termBefore, `${where(sim)}: an election happened`);
  sim.restart(dead.id);
  settle(sim);
  return { resumeTicks };
}
