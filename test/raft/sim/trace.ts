/**
 * Readable one-line forms of observations and messages, and a bounded ring
 * of the latest trace items of a run (formatted only when someone reads it).
 */
import { MessageType, type Message } from "../../../broker/raft/messages.js";
import { ROLE_NAMES } from "../../../broker/raft/ready.js";
import { describeEntry, type Observation } from "./checker.js";

const TYPE_NAMES: Record<number, string> = {
  [MessageType.PreVote]: "PreVote",
  [MessageType.PreVoteResponse]: "PreVoteResp",
  [MessageType.Vote]: "Vote",
  [MessageType.VoteResponse]: "VoteResp",
  [MessageType.Append]: "Append",
  [MessageType.AppendResponse]: "AppendResp",
  [MessageType.Heartbeat]: "Heartbeat",
  [MessageType.HeartbeatResponse]: "HeartbeatResp",
  [MessageType.Snapshot]: "Snapshot",
  [MessageType.TimeoutNow]: "TimeoutNow",
  [MessageType.Rejoin]: "Rejoin",
};

/** One line for a message. */
export function describeMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${TYPE_NAMES[m.type] ?? `type${m.type}`} t${m.term}`;
  switch (m.type) {
    case MessageType.PreVote:
    case MessageType.Vote:
      return `${head} last=${m.lastIndex}/t${m.lastTerm}${m.type === MessageType.Vote && m.transfer ? " transfer" : ""}`;
    case MessageType.PreVoteResponse:
    case MessageType.VoteResponse:
      return `${head} ${m.granted ? "granted" : "rejected"}`;
    case MessageType.Append: {
      const first = m.entries[0];
      const last = m.entries[m.entries.length - 1];
      const range = first && last ? ` entries ${first.index}..${last.index}` : "";
      return `${head} prev=${m.prevIndex}/t${m.prevTerm}${range} commit=${m.commit}`;
    }
    case MessageType.AppendResponse:
      return `${head} ${m.success ? `ok index=${m.index}` : `reject index=${m.index} hint=${m.hintIndex}/t${m.hintTerm}`}${m.recovering ? ` recovering=${m.recovering}` : ""}`;
    case MessageType.Heartbeat:
      return `${head} commit=${m.commit}`;
    case MessageType.Snapshot:
      return `${head} snapshot=${m.snapshot.index}/t${m.snapshot.term}`;
    case MessageType.Rejoin:
      return `${head} index=${m.index} incarnation=${m.incarnation}`;
    default:
      return head;
  }
}

/** One line for an observation. */
export function describeObservation(o: Observation): string {
  switch (o.kind) {
    case "leader":
      return `node ${o.node} leads term ${o.term}`;
    case "persist": {
      const parts: string[] = [];
      if (o.snapshot) parts.push(`snapshot ${o.snapshot.index}/t${o.snapshot.term}`);
      const first = o.entries?.[0];
      const last = o.entries?.[o.entries.length - 1];
      if (first && last) parts.push(`entries ${describeEntry(first)}..${describeEntry(last)}`);
      if (o.hardState) parts.push(`hard state t${o.hardState.term} vote ${o.hardState.vote} commit ${o.hardState.commit}`);
      return `node ${o.node} persisted ${parts.join(", ")}`;
    }
    case "log":
      return `node ${o.node} log replaced (${o.entries.length} entries)`;
    case "compact":
      return `node ${o.node} compacted through ${o.snapshot.index}`;
    case "commit":
      return `node ${o.node} commit ${o.index}`;
    case "applied":
      return `node ${o.node} applied ${describeEntry(o.entry)}`;
    case "restore":
      return `node ${o.node} restored snapshot ${o.snapshot.index}/t${o.snapshot.term}`;
    case "restart":
      return `node ${o.node} restarted`;
    case "diskLost":
      return `node ${o.node} lost its disk`;
    case "damaged":
      return `node ${o.node} repaired a damaged entry: log cut from ${o.from}`;
    case "send":
      return `send ${describeMessage(o.message)}`;
    case "ack":
      return `ack p${o.proposalId} at ${o.index} t${o.term} offset ${o.offset} (via node ${o.node})`;
    case "final":
      return "final state";
  }
}

/** A role number as a word. */
export function roleName(role: number): string {
  return ROLE_NAMES[role] ?? `role${role}`;
}

type TraceItem = Observation | (() => string);

/** The latest `capacity` trace items of a run, with their steps. */
export class TraceRing {
  private readonly steps: number[];
  private readonly items: (TraceItem | undefined)[];
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.steps = new Array<number>(capacity).fill(0);
    this.items = new Array<TraceItem | undefined>(capacity).fill(undefined);
  }

  push(step: number, item: TraceItem): void {
    if (this.capacity === 0) return;
    this.steps[this.next] = step;
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** The items, oldest first, as "step N: line". */
  lines(): string[] {
    const out: string[] = [];
    const start = (this.next - this.size + this.capacity) % this.capacity;
    for (let k = 0; k < this.size; k++) {
      const at = (start + k) % this.capacity;
      out.push(formatItem(this.steps[at]!, this.items[at]!));
    }
    return out;
  }
}

/** "step N: line" for one trace item. */
export function formatItem(step: number, item: TraceItem): string {
  return `step ${String(step).padStart(4)}: ${typeof item === "function" ? item() : describeObservation(item)}`;
}
