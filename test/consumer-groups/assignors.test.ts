/** The assignment strategies, without sockets: balance, determinism, stickiness. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { assign, type Assignment, type AssignorMember } from "../../broker/consumer-groups/assignors.js";
import { AssignmentStrategy } from "../../broker/protocol/enums.js";
import { SeededRandom } from "../../broker/raft/random.js";

const STRATEGIES = [AssignmentStrategy.Range, AssignmentStrategy.RoundRobin, AssignmentStrategy.Sticky] as const;

const members = (ids: readonly string[], topics: readonly string[] = ["t"]): AssignorMember[] => ids.map((memberId) => ({ memberId, topics }));

/** member -> "topic/partition" list, for readable assertions. */
function flat(a: Assignment): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [m, byTopic] of a) out[m] = [...byTopic].flatMap(([t, ps]) => ps.map((p) => `${t}/${p}`)).sort();
  return out;
}

function owners(a: Assignment): Map<string, string> {
  const out = new Map<string, string>();
  for (const [m, ps] of Object.entries(flat(a))) for (const tp of ps) out.set(tp, m);
  return out;
}

function checkComplete(a: Assignment, counts: ReadonlyMap<string, number>, ms: readonly AssignorMember[]): void {
  const seen = [...owners(a).keys()].sort();
  const want = ms.length === 0 ? [] : [...counts].flatMap(([t, n]) => Array.from({ length: n }, (_, p) => `${t}/${p}`)).sort();
  assert.deepEqual(seen, want, "every partition exactly once");
  const total = Object.values(flat(a)).reduce((n, ps) => n + ps.length, 0);
  assert.equal(total, want.length, "no partition twice");
  for (const m of ms) for (const tp of flat(a)[m.memberId] ?? []) assert.ok(m.topics.includes(tp.split("/")[0]!), `${m.memberId} got ${tp} without subscribing`);
}

test("three members over six partitions: two each, with every strategy", () => {
  for (const s of STRATEGIES) {
    const a = assign(s, members(["c", "a", "b"]), new Map([["t", 6]]));
    const f = flat(a);
    assert.deepEqual(Object.keys(f).sort(), ["a", "b", "c"]);
    for (const ps of Object.values(f)) assert.equal(ps.length, 2, `strategy ${s}: ${JSON.stringify(f)}`);
    checkComplete(a, new Map([["t", 6]]), members(["a", "b", "c"]));
  }
});

test("range gives consecutive ranges per topic; round-robin deals across topics", () => {
  const counts = new Map([
    ["x", 3],
    ["y", 3],
  ]);
  assert.deepEqual(flat(assign(AssignmentStrategy.Range, members(["a", "b"], ["x", "y"]), counts)), {
    a: ["x/0", "x/1", "y/0", "y/1"],
    b: ["x/2", "y/2"],
  });
  assert.deepEqual(flat(assign(AssignmentStrategy.RoundRobin, members(["a", "b"], ["x", "y"]), counts)), {
    a: ["x/0", "x/2", "y/1"],
    b: ["x/1", "y/0", "y/2"],
  });
});

test("members only get topics they subscribe to; unknown topics are skipped; a member may get nothing", () => {
  const ms: AssignorMember[] = [
    { memberId: "a", topics: ["x"] },
    { memberId: "b", topics: ["x", "y", "missing"] },
    { memberId: "c", topics: ["y"] },
  ];
  const counts = new Map([
    ["x", 2],
    ["y", 4],
  ]);
  for (const s of STRATEGIES) {
    const a = assign(s, ms, counts);
    checkComplete(a, counts, ms);
  }
  const many = assign(AssignmentStrategy.Sticky, members(["a", "b", "c", "d"]), new Map([["t", 2]]));
  assert.deepEqual(Object.values(flat(many)).map((ps) => ps.length).sort(), [0, 0, 1, 1]);
});

test("sticky: when a member leaves, only its partitions move, and the rest stay balanced", () => {
  const counts = new Map([["t", 6]]);
  const before = assign(AssignmentStrategy.Sticky, members(["a", "b", "c"]), counts);
  const after = assign(AssignmentStrategy.Sticky, members(["b", "c"]), counts, before);
  const was = owners(before);
  const now = owners(after);
  const moved = [...now].filter(([tp, m]) => was.get(tp) !== m).map(([tp]) => tp);
  assert.deepEqual(moved.sort(), flat(before)["a"]!.slice().sort(), "only the leaver's partitions moved");
  assert.deepEqual(Object.values(flat(after)).map((ps) => ps.length), [3, 3]);
});

test("sticky: a joining member takes only what balance needs", () => {
  const counts = new Map([["t", 12]]);
  const before = assign(AssignmentStrategy.Sticky, members(["a", "b", "c"]), counts);
  const after = assign(AssignmentStrategy.Sticky, members(["a", "b", "c", "d"]), counts, before);
  const was = owners(before);
  const moved = [...owners(after)].filter(([tp, m]) => was.get(tp) !== m);
  assert.equal(moved.length, 3, "three partitions move to the new member");
  assert.ok(moved.every(([, m]) => m === "d"));
  assert.deepEqual(Object.values(flat(after)).map((ps) => ps.length), [3, 3, 3, 3]);
});

test("seeded churn: every strategy stays complete and balanced for identical subscriptions; sticky moves no more than round-robin", () => {
  const rnd = new SeededRandom(7);
  const pool = ["m0", "m1", "m2", "m3", "m4", "m5", "m6"];
  let current = ["m0", "m1", "m2"];
  const prev = new Map<number, Assignment>();
  const movedTotal = new Map<number, number>(STRATEGIES.map((s) => [s, 0]));
  for (let step = 0; step < 200; step++) {
    const counts = new Map([
      ["t", 1 + rnd.int(20)],
      ["u", 1 + rnd.int(5)],
    ]);
    if (step % 10 === 0) counts.set("t", 8); // partition counts vary only now and then
    const candidate = pool.filter(() => rnd.int(2) === 0);
    current = candidate.length === 0 ? ["m0"] : candidate;
    const ms = members(current, ["t", "u"]);
    for (const s of STRATEGIES) {
      const a = assign(s, ms, counts, prev.get(s));
      checkComplete(a, counts, ms);
      const sizes = Object.values(flat(a)).map((ps) => ps.length);
      if (s !== AssignmentStrategy.Range) assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `strategy ${s} unbalanced: ${sizes}`);
      assert.deepEqual(flat(assign(s, [...ms].reverse(), counts, prev.get(s))), flat(a), "deterministic whatever the member order");
      const was = owners(prev.get(s) ?? new Map());
      movedTotal.set(s, movedTotal.get(s)! + [...owners(a)].filter(([tp, m]) => was.has(tp) && was.get(tp) !== m).length);
      prev.set(s, a);
    }
  }
  assert.ok(movedTotal.get(AssignmentStrategy.Sticky)! < movedTotal.get(AssignmentStrategy.RoundRobin)!, `moves: ${JSON.stringify([...movedTotal])}`);
});
