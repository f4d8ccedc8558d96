/**
 * Every seed that ever failed, replayed as its own named test. To add one,
 * append a line to SEEDED_RUNS (or SCENARIOS for a named scenario) with the
 * options printed by the failing run's replay command, and say what failed.
 *
 * While the bug is open, set `openBug`: the test then runs as a TODO (its
 * failure is reported, not counted) so that CI stays green; remove it with the
 * fix, and the seed guards against the bug coming back.
 *
 * A seed replays exactly only with the simulator version it was found with
 * (`foundAt`); after changes to the harness it still runs, as a different run.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { faultProfile } from "./sim/faults.js";
import { preferredRegains } from "./sim/scenarios.js";
import { replayCommand, runOptions, runSeed, type RunResult, type SimOptions } from "./sim/simulation.js";

interface SeededRun {
  readonly seed: number;
  readonly members: 3 | 5 | "mixed";
  /** Fault-phase steps (`--steps`). */
  readonly steps: number;
  /** Forced fault profile (`--profile`), when the failing run had one. */
  readonly profile?: string;
  /** Commit of the simulator that found it. */
  readonly foundAt: string;
  /** What failed, and what was done. */
  readonly note: string;
  /** The open bug, while it is open. */
  readonly openBug?: string;
  /** Found with quiescence on (`--quiesce`). */
  readonly quiesce?: boolean;
  /** Found with membership changes (`--membership-changes`; damage as found, not off). */
  readonly membershipChanges?: boolean;
}

interface ScenarioRun {
  readonly name: string;
  readonly seed: number;
  readonly members: 3 | 5;
  readonly run: (seed: number, members: 3 | 5) => unknown;
  readonly foundAt: string;
  readonly note: string;
  readonly openBug?: string;
}

const SEEDED_RUNS: readonly SeededRun[] = [
  { seed: 1433, members: "mixed", steps: 200, foundAt: "9baac96+", note: "checker false positive NOT_DURABLE: an append ack of an older term left in the Ready whose newer-term entries replaced the acked ones; the checker now exempts older-term replies" },
  { seed: 886, members: "mixed", steps: 300, foundAt: "10a3b81+", note: "checker false positive NOT_DURABLE: a resumed member granted a held term-4 vote and moved to term 5 in one Ready; the checker now exempts older-term replies" },
  { seed: 504467, members: "mixed", steps: 300, foundAt: "ad0a02b", note: "CORE_ERROR: a newer leader replaced the tail of a follower's write in flight; advance() marked nothing stable, so the next write rewrote the agreeing prefix below the commit index it had just written (storage refused it; in a broker, exit 70). advance() now marks the agreeing prefix stable" },
  { seed: 1395, members: "mixed", steps: 300, quiesce: true, foundAt: "4f7da89+", note: "NO_LEADER with quiescence: a leader's last quiesce heartbeat, sent just before it crashed, reached its followers after its restart had been reported to them (the oracle's new incarnation), so they slept under a member that no longer led (and, its log cut by damage, could not campaign). The simulator now drops a dead incarnation's frames at its restart, as the broker ignores frames of a replaced connection" },
  { seed: 4959, members: "mixed", steps: 300, quiesce: true, foundAt: "b68084f", note: "NO_LEADER with quiescence (a check too strict, not a core bug): leader messages of the fault phase, long delayed, woke two followers of the quiet group; their clocks ran, one won a pre-vote and an election started just as the check proposed. The check now waits for a leader (within 8 election timeouts) before it proposes" },
  { seed: 1903, members: "mixed", steps: 300, quiesce: true, foundAt: "4f7da89+", note: "NO_LEADER with quiescence: as seed 1395, with a leader that restarted on a lost disk (recovering, so it never campaigns)" },
  { seed: 198, members: 3, steps: 300, membershipChanges: true, foundAt: "954a511", note: "NO_LEADER with membership changes: a non-voter's nudge reset its election clock, so a dead leader's lease never ended for it and it refused every pre-vote; its clock now keeps running" },
  { seed: 136, members: 3, steps: 300, membershipChanges: true, foundAt: "954a511", note: "NO_LEADER with membership changes: a candidate that missed the commit of the leave still needed the outgoing half, whose removed member held the newest log (refusing it, and never campaigning) while another was recovering from a lost disk; vote answers now carry the voter's commit position" },
  { seed: 109, members: 3, steps: 300, membershipChanges: true, foundAt: "954a511", note: "NO_LEADER with membership changes: as seed 136" },
  { seed: 187, members: 3, steps: 300, membershipChanges: true, foundAt: "954a511", note: "NO_LEADER with membership changes: as seed 136" },
  { seed: 2167, members: 3, steps: 300, membershipChanges: true, foundAt: "954a511+", note: "TWO_LEADERS with membership changes, under a rejected fix for seed 136 (a candidate holding the leave counted only the incoming voters): a member that held the joint entry but not its commit won with the old voters in the same term" },
  { seed: 18, members: 3, steps: 300, membershipChanges: true, foundAt: "954a511+", note: "NO_LEADER with membership changes, under a rejected fix for seed 136 (a voter being removed that held the leave did not campaign, though only it held the committed joint entry)" },
  { seed: 67, members: 3, steps: 300, membershipChanges: true, foundAt: "954a511+", note: "NO_LEADER with membership changes: as seed 18" },
  { seed: 68, members: 3, steps: 300, membershipChanges: true, foundAt: "954a511+", note: "NO_LEADER with membership changes: as seed 18" },
  { seed: 80, members: 3, steps: 300, membershipChanges: true, foundAt: "954a511+", note: "NO_LEADER with membership changes: as seed 18" },
  { seed: 81, members: 3, steps: 300, membershipChanges: true, foundAt: "954a511+", note: "NO_LEADER with membership changes: as seed 18" },
  { seed: 155, members: 3, steps: 300, membershipChanges: true, foundAt: "954a511+", note: "NO_LEADER with membership changes: as seed 18" },
  { seed: 601, members: 3, steps: 300, membershipChanges: true, foundAt: "c5536f3-", note: "NO_LEADER with membership changes: as seed 136, with the removed members still in an older term, whose vote answers (and their commit position) the candidate dropped as stale; the commit position is now taken from answers of any term" },
  { seed: 174, members: 3, steps: 300, membershipChanges: true, foundAt: "c5536f3-", note: "NON_VOTER_CAMPAIGNED: a configuration that made a candidate a non-voter took effect in the Ready that still held its vote requests; they are now dropped with the campaign" },
  { seed: 8340, members: 3, steps: 300, membershipChanges: true, foundAt: "c5536f3", note: "NO_LEADER with membership changes: the newest logs were on promoted learners that had not learned the promotion committed, so never campaigned; (pre-)vote requests now carry the candidate's commit position too" },
  { seed: 1951, members: 3, steps: 300, membershipChanges: true, foundAt: "c5536f3", note: "COMMIT_BEYOND_LOG at the final check (a simulator bug): a member removed at the end still had a write in flight, and the check read its in-memory commit; members not waited for now report their durable commit" },
];

const SCENARIOS: readonly ScenarioRun[] = [
  {
    name: "preferred member regains leadership, check interval 20 = 2 election timeouts",
    seed: 1,
    members: 3,
    run: (seed, members) => preferredRegains(seed, members, 20),
    foundAt: "10a3b81+",
    note:
      "the leader never handed leadership back to the caught-up preferred member: check quorum cleared recentActive on the " +
      "same tick as the preference check whenever preferredLeaderCheckTicks was a multiple of electionTimeoutTicks (fixed in 7b00625)",
  },
];

/**
 * Seeds where a member that lost its disk breaks Raft when it restarts
 * unguarded (empty, voting at once), found with
 * `npm run sim -- --runs 2000 --seed 1 --disk-loss unguarded` (97 of 2000
 * seeds failed). Each must fail unguarded, which proves the recovering guard
 * is load-bearing, and pass guarded (RaftConfig.recovering).
 */
interface LostDiskRun {
  readonly seed: number;
  readonly members: 3 | 5 | "mixed";
  readonly steps: number;
  /** What the unguarded run breaks. */
  readonly unguarded: string;
  readonly foundAt: string;
  readonly note: string;
}

const LOST_DISK_RUNS: readonly LostDiskRun[] = [
  { seed: 1804, members: "mixed", steps: 300, unguarded: "DOUBLE_VOTE", foundAt: "lost-disk", note: "a member that lost its disk grants its vote of a term again, to another candidate" },
  { seed: 1848, members: "mixed", steps: 300, unguarded: "COMMITTED_ENTRY_LOST", foundAt: "lost-disk", note: "a member that lost its disk votes with an empty log for a candidate lacking a committed entry, which wins" },
  { seed: 1809, members: "mixed", steps: 300, unguarded: "COMMITTED_ENTRY_LOST", foundAt: "lost-disk", note: "5 members: the same, a committed no-op of term 1 lost" },
];

/**
 * Seeds where a member whose storage cut a damaged suffix off its log breaks
 * Raft when the cut records no promise (HardState.promise), found with
 * `npm run sim -- --runs 2000 --seed 1 --damage unguarded` (58 of 2000 seeds
 * failed; with the promise, 10,000 seeds from 1000 gave none). Each must
 * fail unguarded and pass guarded.
 */
const DAMAGE_RUNS: readonly LostDiskRun[] = [
  { seed: 108, members: "mixed", steps: 300, unguarded: "COMMITTED_ENTRY_LOST", foundAt: "damaged-entry", note: "a member cut below a committed entry it acknowledged votes for a candidate lacking it, which wins" },
  { seed: 299, members: "mixed", steps: 300, unguarded: "COMMITTED_ENTRY_LOST", foundAt: "damaged-entry", note: "5 members: the same" },
  { seed: 137, members: "mixed", steps: 300, unguarded: "NOT_CONVERGED", foundAt: "damaged-entry", note: "5 members: without a repair tag the leader keeps the cut member's old match and never sends it the entries again" },
];

/**
 * A guard (the lost-disk recovery, the damaged-entry promise) is
 * load-bearing: its seeds break Raft without it and run clean with it.
 */
function guardTest(what: string, r: LostDiskRun, unguardedOpts: Partial<SimOptions>, guardedOpts: Partial<SimOptions>, happened: (s: RunResult["stats"]) => number): void {
  test(`${what}: seed ${r.seed} (${r.members} members, ${r.steps} steps) breaks unguarded with ${r.unguarded} and is clean guarded: ${r.note}`, () => {
    const unguarded = runSeed({ ...runOptions(r.seed, r.members, r.steps), ...unguardedOpts });
    assert.equal(unguarded.violation?.kind, r.unguarded, `unguarded run: ${unguarded.violation?.kind ?? "no violation"}: ${unguarded.violation?.message ?? ""}`);
    assert.ok(happened(unguarded.stats) > 0);
    const guarded = runSeed({ ...runOptions(r.seed, r.members, r.steps), ...guardedOpts });
    assert.ok(happened(guarded.stats) > 0);
    const replay = `${replayCommand(r.seed, r.members, r.steps)}${guardedOpts.damage === "off" ? " --damage off" : ""}`;
    assert.ok(guarded.ok, `${guarded.violation?.kind}: ${guarded.violation?.message} at step ${guarded.step}\nreplay: ${replay}\n${guarded.trace.slice(-40).join("\n")}`);
  });
}

for (const r of LOST_DISK_RUNS) guardTest("lost disk", r, { diskLoss: "unguarded", damage: "off" }, { damage: "off" }, (st) => st.disksLost);
for (const r of DAMAGE_RUNS) guardTest("damaged entry", r, { damage: "unguarded" }, {}, (st) => st.logsDamaged);

for (const r of SEEDED_RUNS) {
  const title = `regression: seed ${r.seed} (${r.members} members, ${r.steps} steps${r.profile ? `, ${r.profile}` : ""}): ${r.note}`;
  test(title, r.openBug ? { todo: r.openBug } : {}, () => {
    const mode: Partial<SimOptions> = r.quiesce ? { quiesce: true } : r.membershipChanges ? { membershipChanges: true } : { damage: "off" };
    const res = runSeed({ ...runOptions(r.seed, r.members, r.steps), ...mode, ...(r.profile ? { profile: faultProfile(r.profile) } : {}) });
    const flags = r.quiesce ? " --quiesce" : r.membershipChanges ? " --membership-changes" : " --damage off";
    assert.ok(res.ok, `${res.violation?.kind}: ${res.violation?.message} at step ${res.step}\nreplay: ${replayCommand(r.seed, r.members, r.steps, r.profile)}${flags}\n${res.trace.slice(-40).join("\n")}`);
  });
}

for (const s of SCENARIOS) {
  test(`regression: ${s.name} (seed ${s.seed}, ${s.members} members): ${s.note}`, s.openBug ? { todo: s.openBug } : {}, () => {
    s.run(s.seed, s.members);
  });
}

test("regression lists are well formed", () => {
  const keys = SEEDED_RUNS.map((r) => `${r.seed}/${r.members}/${r.steps}/${r.profile ?? ""}/${r.quiesce === true}/${r.membershipChanges === true}`);
  assert.equal(new Set(keys).size, keys.length, "a seeded run is listed twice");
  for (const r of SEEDED_RUNS) assert.ok(r.note.length > 0 && r.steps >= 0);
});
