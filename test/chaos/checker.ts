/**
 * The chaos checker: judges a recorded History. Pure; its own tests feed it
 * histories with each kind of violation (checker.test.ts).
 *
 * - lost: an acknowledged record missing from its partition's final log.
 * - duplicated: a record present more than once in the final logs (each extra copy counts).
 * - misplaced: an acknowledged record found at another partition or offset than acknowledged.
 * - reordered: a final log whose offsets do not strictly increase, or a producer's
 *   acknowledged records in one partition whose log order differs from their sequence
 *   (= send = acknowledgement) order.
 * - phantomReads: a consumer read a record that the final log does not hold at that
 *   offset, or read the same record at two different offsets.
 * - divergentReplicas: a replica whose log differs from its group's majority copy, or
 *   lacks entries, up to the commit index.
 * - offsetsWentBack: a committed group offset seen lower than one seen before, or lower
 *   than a commit acknowledged before the fetch started.
 */
import { idKey, type History, type RecordId } from "./history.js";

export interface CheckCounts {
  acknowledged: number;
  /** Sent but not acknowledged (failed or unknown): may or may not be in the log. */
  unacknowledged: number;
  /** Of those, how many made it into the log anyway (allowed). */
  unacknowledgedPresent: number;
  reads: number;
  lost: number;
  duplicated: number;
  misplaced: number;
  reordered: number;
  phantomReads: number;
  divergentReplicas: number;
  offsetsWentBack: number;
}

export type ViolationKind = "lost" | "duplicated" | "misplaced" | "reordered" | "phantomReads" | "divergentReplicas" | "offsetsWentBack";

export interface Violation {
  readonly kind: ViolationKind;
  readonly detail: string;
}

export interface CheckReport {
  readonly counts: CheckCounts;
  /** The first violations of each kind (up to DETAILS_PER_KIND), for the report. */
  readonly violations: readonly Violation[];
  readonly ok: boolean;
}

const DETAILS_PER_KIND = 5;

export function checkHistory(h: History): CheckReport {
  const counts: CheckCounts = {
    acknowledged: 0,
    unacknowledged: 0,
    unacknowledgedPresent: 0,
    reads: h.reads.length,
    lost: 0,
    duplicated: 0,
    misplaced: 0,
    reordered: 0,
    phantomReads: 0,
    divergentReplicas: 0,
    offsetsWentBack: 0,
  };
  const violations: Violation[] = [];
  const report = (kind: ViolationKind, detail: string): void => {
    counts[kind]++;
    if (violations.filter((v) => v.kind === kind).length < DETAILS_PER_KIND) violations.push({ kind, detail });
  };
  const show = (r: RecordId): string => `${r.producer}#${r.seq}`;

  // Where each record sits in the final logs; order and duplicates.
  const placed = new Map<string, { partition: number; offset: number }[]>();
  const atOffset = new Map<number, Map<number, string>>();
  for (const [partition, log] of h.final) {
    const byOffset = new Map<number, string>();
    atOffset.set(partition, byOffset);
    let previous = -1;
    for (const r of log) {
      if (r.offset <= previous) report("reordered", `partition ${partition}: offset ${r.offset} follows ${previous} in the final log`);
      previous = Math.max(previous, r.offset);
      const key = idKey(r);
      byOffset.set(r.offset, key);
      const at = placed.get(key) ?? [];
      at.push({ partition, offset: r.offset });
      placed.set(key, at);
    }
  }
  for (const [key, at] of placed) {
    for (const extra of at.slice(1)) report("duplicated", `${key} at partition ${at[0]!.partition} offset ${at[0]!.offset} and again at partition ${extra.partition} offset ${extra.offset}`);
  }

  // Acknowledged records: present once, where acknowledged, in order per producer and partition.
  const ackedOrder = new Map<string, { seq: number; offset: number }[]>();
  for (const p of h.produced) {
    const at = placed.get(idKey(p));
    if (p.status !== "acked") {
      counts.unacknowledged++;
      if (at !== undefined) counts.unacknowledgedPresent++;
      continue;
    }
    counts.acknowledged++;
    if (at === undefined) {
      report("lost", `${show(p)} acknowledged at partition ${p.partition} offset ${p.offset} (${p.atMs} ms) is not in the final log`);
      continue;
    }
    const first = at[0]!;
    if (p.partition !== undefined && p.offset !== undefined && (first.partition !== p.partition || first.offset !== p.offset)) {
      report("misplaced", `${show(p)} acknowledged at partition ${p.partition} offset ${p.offset} is at partition ${first.partition} offset ${first.offset}`);
    }
    const key = `${p.producer}@${first.partition}`;
    const list = ackedOrder.get(key) ?? [];
    list.push({ seq: p.seq, offset: first.offset });
    ackedOrder.set(key, list);
  }
  for (const [key, list] of ackedOrder) {
    list.sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < list.length; i++) {
      if (list[i]!.seq < list[i - 1]!.seq) report("reordered", `${key}: seq ${list[i]!.seq} at offset ${list[i]!.offset} after seq ${list[i - 1]!.seq} at offset ${list[i - 1]!.offset}`);
    }
  }

  // Reads: only what the final log holds, where it holds it, and each record at one offset.
  const readAt = new Map<string, { partition: number; offset: number }>();
  for (const r of h.reads) {
    const key = idKey(r);
    const there = atOffset.get(r.partition)?.get(r.offset);
    if (there !== key) {
      report("phantomReads", `${r.consumer} read ${key} at partition ${r.partition} offset ${r.offset}; the final log has ${there ?? "nothing"} there`);
      continue;
    }
    const before = readAt.get(key);
    if (before !== undefined && (before.partition !== r.partition || before.offset !== r.offset)) {
      report("phantomReads", `${key} read at partition ${before.partition} offset ${before.offset} and at partition ${r.partition} offset ${r.offset}`);
    }
    readAt.set(key, { partition: r.partition, offset: r.offset });
  }

  // Replicas: every copy of a log equal to its majority copy up to the commit index.
  const byLog = new Map<string, { broker: number; digest: string; length: number }[]>();
  for (const r of h.replicas) {
    const list = byLog.get(r.log) ?? [];
    list.push({ broker: r.broker, digest: r.entries.join("\n"), length: r.entries.length });
    byLog.set(r.log, list);
  }
  for (const [log, copies] of byLog) {
    const votes = new Map<string, number>();
    for (const c of copies) votes.set(c.digest, (votes.get(c.digest) ?? 0) + 1);
    const majority = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    for (const c of copies) {
      if (c.digest !== majority) report("divergentReplicas", `${log} on broker ${c.broker} (${c.length} entries) differs from the majority copy`);
    }
  }

  // Group offsets: never lower than a fetch that ended before this one started saw,
  // never lower than a commit acknowledged before it started.
  const observations = [...h.observations].sort((a, b) => a.startMs - b.startMs);
  for (const o of observations) {
    const seen = new Map<number, { offset: number; atMs: number }>();
    for (const before of observations) {
      if (before.endMs >= o.startMs) continue;
      for (const [partition, offset] of before.offsets) {
        if (offset > (seen.get(partition)?.offset ?? -Infinity)) seen.set(partition, { offset, atMs: before.startMs });
      }
    }
    for (const c of h.commits) {
      if (c.atMs < o.startMs && c.offset > (seen.get(c.partition)?.offset ?? -Infinity)) seen.set(c.partition, { offset: c.offset, atMs: c.atMs });
    }
    for (const [partition, highest] of seen) {
      const now = o.offsets.get(partition);
      if (now === undefined || now < highest.offset) {
        report("offsetsWentBack", `partition ${partition}: committed offset ${now ?? "none"} fetched at ${o.startMs} ms, but ${highest.offset} was committed or seen at ${highest.atMs} ms`);
      }
    }
  }

  const ok = counts.lost + counts.duplicated + counts.misplaced + counts.reordered + counts.phantomReads + counts.divergentReplicas + counts.offsetsWentBack === 0;
  return { counts, violations, ok };
}
