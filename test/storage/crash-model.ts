/**
 * Shared by the crash test and its child process: what the child writes, as
 * a pure function of (seed, log, index, term), and the model both sides use
 * to follow a log through the child's operations.
 *
 * The child prints one line per event on stdout (pipes are synchronous on
 * Linux, so a printed line is in the pipe before any later SIGKILL):
 *   ready
 *   begin <log> <json Op>     the operation was issued
 *   ack <log> <firstIndex>    it resolved (durable); the log's first index afterwards
 */
import { EntryKind, index, nodeId, offset, term, type Entry, type HardState } from "../../broker/raft/types.js";
import { payload } from "./contract.js";

/** Logs the child writes concurrently (their writes group-commit). */
export const CRASH_LOGS = ["c-0", "c-1", "c-2"] as const;
/** A log the child keeps creating, filling and deleting (tests cleanup after a cut deleteLog). */
export const SCRATCH_LOG = "scratch";
/** Segment settings of the crash logs: roll by size only, so the run is deterministic. */
export const CRASH_SETTINGS = { segmentBytes: 64 * 1024, segmentMs: 1e12 };

/** One operation of the child on one log. */
export type Op =
  | { readonly op: "append"; readonly from: number; readonly n: number; readonly term: number; readonly hs?: HardStateJson }
  | { readonly op: "hardState"; readonly hs: HardStateJson }
  | { readonly op: "retention"; readonly retentionBytes: number }
  | { readonly op: "compact"; readonly index: number };

/** A hard state as the child prints it. */
export interface HardStateJson {
  readonly term: number;
  readonly vote: number;
  readonly commit: number;
}

/** The branded HardState of a printed one. */
export function toHardState(h: HardStateJson): HardState {
  return { term: term(h.term), vote: nodeId(h.vote), commit: index(h.commit) };
}

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ (b + 0x9e3779b9), 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Everything about entry (index, term) of log `logNo` except its offset. */
export function entryContent(seed: number, logNo: number, i: number, t: number): Omit<Entry, "offset" | "index" | "term"> {
  const h = mix(mix(mix(seed, logNo), i), t);
  const k = h % 10;
  const kind = k === 0 ? EntryKind.Noop : k === 1 ? EntryKind.Command : EntryKind.Records;
  const count = kind === EntryKind.Records ? 1 + ((h >>> 4) % 7) : 0;
  const bytes = kind === EntryKind.Noop ? 0 : (h >>> 8) % 3000;
  return { kind, count, timestampMs: i * 10, data: payload(i, t, bytes, seed * 16 + logNo) };
}

/** Entry (index, term) of log `logNo`, at offset `off`. */
export function makeEntry(seed: number, logNo: number, i: number, t: number, off: number): Entry {
  return { index: index(i), term: term(t), offset: offset(off), ...entryContent(seed, logNo, i, t) };
}

/**
 * What a log holds according to the operations applied so far: the term and
 * end offset of every index, and the hard state. Where the log starts
 * (retention, compaction) is not modelled: the checker only requires the
 * first index never to move back and never past the commit index.
 */
export class LogModel {
  /** terms[i] for i in 1..last (index 0 unused). */
  terms: number[] = [0];
  /** ends[i] = offset after entry i (ends[0] = 0). */
  ends: number[] = [0];
  hs: HardStateJson = { term: 0, vote: 0, commit: 0 };

  constructor(
    readonly seed: number,
    readonly logNo: number,
  ) {}

  get last(): number {
    return this.terms.length - 1;
  }

  clone(): LogModel {
    const m = new LogModel(this.seed, this.logNo);
    m.terms = this.terms.slice();
    m.ends = this.ends.slice();
    m.hs = this.hs;
    return m;
  }

  /** The entries an append op writes. */
  entriesOf(op: Extract<Op, { op: "append" }>): Entry[] {
    const out: Entry[] = [];
    let off = this.ends[op.from - 1]!;
    for (let i = op.from; i < op.from + op.n; i++) {
      const e = makeEntry(this.seed, this.logNo, i, op.term, off);
      out.push(e);
      off += e.count;
    }
    return out;
  }

  apply(op: Op): void {
    if (op.op === "append") {
      const es = this.entriesOf(op);
      this.terms.length = op.from;
      this.ends.length = op.from;
      for (const e of es) {
        this.terms.push(e.term);
        this.ends.push(e.offset + e.count);
      }
      if (op.hs) this.hs = op.hs;
    } else if (op.op === "hardState") {
      this.hs = op.hs;
    }
    // retention and compaction change only what is still held, not the entries' identity.
  }
}
