import { test } from "node:test";
import assert from "node:assert/strict";
import { hopTable, formatHopTable } from "../../bench/report/hop-table.js";

/** One send's points: client pid 1, leader 2, followers 3 and 4; times in µs from `t`. */
function send(t: number, followerWriteUs: number): string[] {
  const at = (dt: number, pid: number, point: string): string => `${t + dt} ${pid} ${point}`;
  return [
    at(0, 1, "api.send"),
    at(50, 1, "client.out"),
    at(130, 2, "session.in"),
    at(190, 2, "propose"),
    at(200, 2, "persist.start"),
    at(220, 2, "peer.out"),
    at(300, 3, "peer.in"),
    at(310, 4, "peer.in"),
    at(350, 3, "persist.start"),
    at(360, 4, "persist.start"),
    at(350 + followerWriteUs, 3, "persist.end"),
    at(370 + followerWriteUs, 3, "peer.out"),
    at(700, 2, "persist.end"),
    at(450 + followerWriteUs, 2, "peer.in"),
    at(480 + followerWriteUs, 2, "commit"),
    at(530 + followerWriteUs, 2, "session.out"),
    at(600 + followerWriteUs, 1, "client.in"),
    at(640 + followerWriteUs, 1, "api.done"),
  ];
}

test("the hop table follows each send through the leader and the first follower", () => {
  const lines = [...send(1_000_000, 600), ...send(2_000_000, 800), ...send(3_000_000, 700), "4000000 1 api.send"];
  // Lines arrive out of order from several processes' buffers: the table sorts them.
  const t = hopTable(lines.reverse().join("\n") + "\nnot a line\n");
  assert.equal(t.windows, 3);
  assert.equal(t.skipped, 0);
  const row = (step: string): number => t.rows.find((r) => r.step === step)?.p50Us ?? Number.NaN;
  assert.equal(row("client to leader"), 80);
  assert.equal(row("leader to follower"), 80);
  assert.equal(row("follower: synced write"), 700);
  assert.equal(row("follower to leader"), 80);
  assert.equal(row("leader: answer (and own write) to commit"), 30, "after the later of the answer and the leader's own write");
  assert.equal(row("leader: its own synced write"), 500);
  assert.equal(row("total"), 1340);
  assert.match(formatHopTable(t).join("\n"), /3 sends traced/);
});

test("a send with a step missing is left out, not guessed", () => {
  const partial = send(1_000_000, 600).filter((l) => !l.endsWith(" commit"));
  const t = hopTable([...partial, ...send(2_000_000, 600), "3000000 1 api.send"].join("\n"));
  assert.equal(t.windows, 1);
  assert.equal(t.skipped, 1);
  assert.equal(hopTable("").windows, 0);
  assert.match(formatHopTable(hopTable("")).join("\n"), /no complete send/);
});
