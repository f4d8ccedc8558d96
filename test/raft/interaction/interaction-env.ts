/**
 * The commands of the scripted Raft scenarios (test/raft/testdata/*.txt),
 * run against the pure core (broker/raft/core.ts) over MemoryStorage with a
 * seeded random source. Nothing moves unless a command says so: a tick
 * queues messages, `deliver` hands them over, so a script controls every
 * interleaving (etcd-io/raft's interaction tests work the same way).
 *
 * Every member's Ready is handled at once, as the group runner does: its
 * write is applied to storage, its messages are queued, its committed
 * entries recorded as applied. Role, term and leader changes are printed as
 * they happen ("2: pre-candidate term=1 leader=0").
 *
 * Commands (ids are member numbers; `all` is every member):
 *
 *   add-nodes N [priority=1,2,3] [election=10] [heartbeat=2] [preferred-check=0] [seed=1]
 *             [append-bytes=B] [inflight=K]
 *       start N members with empty storage; priority is the preference order;
 *       append-bytes=1 inflight=1 make entries travel one Append at a time
 *   campaign ID               tick ID alone until it starts an election
 *   tick IDS|all [COUNT] [deliver]
 *       tick the live members COUNT times; with `deliver`, deliver everything
 *       (quietly) after each tick, so time passes on a working network
 *   deliver [from=ID] [to=ID] [type=NAME] [quiet]
 *       deliver queued messages that match, and what they cause, until none
 *       match; prints each one (or only counts with `quiet`); a message across
 *       a partition or to a crashed member is dropped and printed as such
 *   drop [from=ID] [to=ID] [type=NAME]   remove matching queued messages
 *   propose ID DATA           propose one record batch
 *   transfer ID TO            ask leader ID to hand leadership to TO
 *   partition 1 / 2 3         cut every link between the groups; `heal` restores them
 *   crash ID | restart ID     stop a member (its queued messages are lost) / start it from storage
 *   status [IDS]              role, term, leader, commit, applied and last index
 *   log ID                    the member's stored log: index/term kind
 *   queue                     the queued messages
 */
import { RaftNode } from "../../../broker/raft/core.js";
import { DEFAULT_RAFT_TIMING, type RaftConfig } from "../../../broker/raft/config.js";
import { MemoryStorage } from "../../../broker/raft/memory-storage.js";
import { MessageType, type Message } from "../../../broker/raft/messages.js";
import { SeededRandom } from "../../../broker/raft/random.js";
import { ROLE_NAMES } from "../../../broker/raft/ready.js";
import { persistReady } from "../harness.js";
import { EntryKind, index, nodeId, type Entry, type HardState, type NodeId } from "../../../broker/raft/types.js";

const TYPE_NAMES = new Map<number, string>(Object.entries(MessageType).map(([name, n]) => [n, name]));
const TYPE_BY_NAME = new Map<string, number>(Object.entries(MessageType).map(([name, n]) => [name.toLowerCase(), n]));

/** Bound on delivery rounds of one command: a script that never quiets down is a bug in the script or the core. */
const DELIVER_STEPS_MAX = 100_000;

function entryText(e: Entry): string {
  if (e.kind === EntryKind.Noop) return `${e.index}/${e.term} noop`;
  const data = new TextDecoder().decode(e.data);
  return `${e.index}/${e.term} ${e.kind === EntryKind.Records ? "records" : "command"} ${JSON.stringify(data)}`;
}

/** One message on one line. */
export function messageText(m: Message): string {
  const head = `${m.from}->${m.to} ${TYPE_NAMES.get(m.type) ?? m.type} term=${m.term}`;
  switch (m.type) {
    case MessageType.PreVote:
      return `${head} last=${m.lastIndex}/${m.lastTerm}`;
    case MessageType.Vote:
      return `${head} last=${m.lastIndex}/${m.lastTerm}${m.transfer ? " transfer" : ""}`;
    case MessageType.PreVoteResponse:
    case MessageType.VoteResponse:
      return `${head} ${m.granted ? "granted" : "rejected"}`;
    case MessageType.Append:
      return `${head} prev=${m.prevIndex}/${m.prevTerm} commit=${m.commit} entries=[${m.entries.map(entryText).join(", ")}]`;
    case MessageType.AppendResponse:
      return `${head} ${m.success ? "ok" : "rejected"} index=${m.index}${m.success ? "" : ` hint=${m.hintIndex}/${m.hintTerm}`}`;
    case MessageType.Heartbeat:
      return `${head} commit=${m.commit}`;
    case MessageType.HeartbeatResponse:
      return `${head}${m.promotable ? "" : " not-promotable"}`;
    case MessageType.Snapshot:
      return `${head} snapshot=${m.snapshot.index}/${m.snapshot.term}`;
    case MessageType.TimeoutNow:
      return head;
    case MessageType.Rejoin:
      return `${head} index=${m.index}`;
  }
}

interface Filter {
  readonly from?: number;
  readonly to?: number;
  readonly type?: number;
}

/** The state of one script: members, their storage, the message queue and the links. */
export class InteractionEnv {
  private readonly nodes = new Map<NodeId, RaftNode>();
  private readonly storages = new Map<NodeId, MemoryStorage>();
  private readonly configs = new Map<NodeId, RaftConfig>();
  private readonly carried = new Map<NodeId, HardState | undefined>();
  private readonly applied = new Map<NodeId, number>();
  private readonly shown = new Map<NodeId, string>();
  private readonly down = new Set<NodeId>();
  /** Member -> its side of the partition; members on different sides cannot talk. */
  private sides = new Map<NodeId, number>();
  private queue: Message[] = [];
  private random = new SeededRandom(1);
  private out: string[] = [];

  /** Runs one command line and returns what it printed. */
  run(line: string): string[] {
    this.out = [];
    const [cmd, ...args] = line.trim().split(/\s+/);
    const kv = new Map<string, string>();
    const pos: string[] = [];
    for (const a of args) {
      const eq = a.indexOf("=");
      if (eq > 0) kv.set(a.slice(0, eq), a.slice(eq + 1));
      else pos.push(a);
    }
    switch (cmd) {
      case "add-nodes":
        this.addNodes(Number(pos[0]), kv);
        break;
      case "campaign":
        this.campaign(this.id(pos[0]));
        break;
      case "tick":
        this.tick(this.ids(pos[0] ?? "all"), pos[1] !== undefined && /^\d+$/.test(pos[1]) ? Number(pos[1]) : 1, pos.includes("deliver"));
        break;
      case "deliver":
        this.deliver(this.filter(kv), pos.includes("quiet"));
        break;
      case "drop":
        this.drop(this.filter(kv));
        break;
      case "propose":
        this.propose(this.id(pos[0]), pos.slice(1).join(" "));
        break;
      case "transfer":
        this.transfer(this.id(pos[0]), this.id(pos[1]));
        break;
      case "partition":
        this.partition(pos);
        break;
      case "heal":
        this.sides = new Map();
        break;
      case "crash":
        this.crash(this.id(pos[0]));
        break;
      case "restart":
        this.restart(this.id(pos[0]));
        break;
      case "status":
        for (const id of this.ids(pos.length === 0 ? "all" : pos.join(","))) this.print(this.statusText(id));
        break;
      case "log":
        this.showLog(this.id(pos[0]));
        break;
      case "queue":
        for (const m of this.queue) this.print(messageText(m));
        if (this.queue.length === 0) this.print("empty");
        break;
      default:
        throw new Error(`unknown command "${cmd}"`);
    }
    return this.out;
  }

  private print(line: string): void {
    this.out.push(line);
  }

  private id(text: string | undefined): NodeId {
    const n = Number(text);
    const id = nodeId(n);
    if (!this.nodes.has(id)) throw new Error(`no member ${text}`);
    return id;
  }

  private ids(text: string): NodeId[] {
    if (text === "all") return [...this.nodes.keys()];
    return text.split(",").map((t) => this.id(t));
  }

  private filter(kv: Map<string, string>): Filter {
    const type = kv.get("type");
    const typeNumber = type === undefined ? undefined : TYPE_BY_NAME.get(type.toLowerCase());
    if (type !== undefined && typeNumber === undefined) throw new Error(`unknown message type "${type}"`);
    return {
      ...(kv.has("from") ? { from: Number(kv.get("from")) } : {}),
      ...(kv.has("to") ? { to: Number(kv.get("to")) } : {}),
      ...(typeNumber !== undefined ? { type: typeNumber } : {}),
    };
  }

  private matches(m: Message, f: Filter): boolean {
    return (f.from === undefined || m.from === f.from) && (f.to === undefined || m.to === f.to) && (f.type === undefined || m.type === f.type);
  }

  private addNodes(count: number, kv: Map<string, string>): void {
    if (!Number.isInteger(count) || count < 1 || this.nodes.size > 0) throw new Error("add-nodes N, once, with N >= 1");
    this.random = new SeededRandom(Number(kv.get("seed") ?? 1));
    const voters = Array.from({ length: count }, (_, i) => nodeId(i + 1));
    const priority = (kv.get("priority")?.split(",").map(Number) ?? voters).map(nodeId);
    for (const id of voters) {
      const cfg: RaftConfig = {
        ...DEFAULT_RAFT_TIMING,
        id,
        membership: { voters },
        priority,
        electionTimeoutTicks: Number(kv.get("election") ?? 10),
        heartbeatIntervalTicks: Number(kv.get("heartbeat") ?? 2),
        preferredLeaderCheckTicks: Number(kv.get("preferred-check") ?? 0),
        quiesce: kv.get("quiesce") === "true",
        ...(kv.has("append-bytes") ? { appendBytesMax: Number(kv.get("append-bytes")) } : {}),
        ...(kv.has("inflight") ? { inflightAppendsMax: Number(kv.get("inflight")) } : {}),
      };
      this.configs.set(id, cfg);
      this.storages.set(id, new MemoryStorage());
      this.start(id);
    }
    this.print(`${count} members, priority ${priority.join(",")}`);
  }

  private start(id: NodeId): void {
    this.down.delete(id);
    this.carried.delete(id);
    this.shown.delete(id);
    this.nodes.set(id, new RaftNode(this.configs.get(id)!, this.storages.get(id)!, this.random));
    this.applied.set(id, 0);
    this.showChange(id, false); // the starting state is not news
    this.handleReady(id);
  }

  /** Handle every pending Ready of a member, as the group runner would. */
  private handleReady(id: NodeId): void {
    const n = this.nodes.get(id)!;
    while (n.hasReady()) {
      const rd = n.ready();
      this.queue.push(...rd.earlyMessages);
      this.carried.set(id, persistReady(this.storages.get(id)!, rd, this.carried.get(id)));
      this.queue.push(...rd.messages);
      if (rd.committed.length > 0) {
        this.applied.set(id, rd.committed.at(-1)!.index);
        this.print(`${id}: applied ${rd.committed.map(entryText).join(", ")}`);
      }
      n.advance(rd);
      this.showChange(id);
    }
  }

  /** Prints the member's role, term and leader when they changed since last shown. */
  private showChange(id: NodeId, printing = true): void {
    const s = this.nodes.get(id)!.status();
    const text = `${ROLE_NAMES[s.role]} term=${s.term} leader=${s.leader}${s.transferee !== 0 ? ` transferee=${s.transferee}` : ""}`;
    if (this.shown.get(id) !== text) {
      this.shown.set(id, text);
      if (printing) this.print(`${id}: ${text}`);
    }
  }

  private statusText(id: NodeId): string {
    if (this.down.has(id)) return `${id}: down`;
    const s = this.nodes.get(id)!.status();
    return `${id}: ${ROLE_NAMES[s.role]} term=${s.term} leader=${s.leader} commit=${s.commit} applied=${this.applied.get(id)} last=${s.lastIndex}`;
  }

  private campaign(id: NodeId): void {
    const n = this.nodes.get(id)!;
    const cfg = this.configs.get(id)!;
    for (let t = 1; t <= cfg.electionTimeoutTicks * 4; t++) {
      n.tick();
      this.handleReady(id);
      if (n.status().role !== 0) {
        this.print(`${id}: election timeout after ${t} ticks`);
        return;
      }
    }
    throw new Error(`member ${id} did not campaign`);
  }

  private tick(ids: readonly NodeId[], count: number, deliver: boolean): void {
    for (let i = 0; i < count; i++) {
      for (const id of ids) {
        if (this.down.has(id)) continue;
        this.nodes.get(id)!.tick();
        this.handleReady(id);
      }
      if (deliver) this.deliverAll({}, true);
    }
  }

  private reachable(m: Message): boolean {
    if (this.down.has(m.to) || this.down.has(m.from)) return false;
    const a = this.sides.get(m.from);
    const b = this.sides.get(m.to);
    return a === undefined || b === undefined || a === b;
  }

  /** Delivers matching messages until none are queued; returns [delivered, dropped]. */
  private deliverAll(f: Filter, quiet: boolean): [number, number] {
    let delivered = 0;
    let dropped = 0;
    for (let step = 0; step < DELIVER_STEPS_MAX; step++) {
      const at = this.queue.findIndex((m) => this.matches(m, f));
      if (at < 0) return [delivered, dropped];
      const [m] = this.queue.splice(at, 1) as [Message];
      if (!this.reachable(m)) {
        dropped++;
        if (!quiet) this.print(`dropped ${messageText(m)}`);
        continue;
      }
      delivered++;
      if (!quiet) this.print(messageText(m));
      this.nodes.get(m.to)!.step(m);
      this.handleReady(m.to);
    }
    throw new Error(`messages still flowing after ${DELIVER_STEPS_MAX} deliveries`);
  }

  private deliver(f: Filter, quiet: boolean): void {
    const [delivered, dropped] = this.deliverAll(f, quiet);
    if (quiet || delivered + dropped === 0) this.print(`delivered ${delivered}, dropped ${dropped}`);
  }

  private drop(f: Filter): void {
    const kept: Message[] = [];
    for (const m of this.queue) {
      if (this.matches(m, f)) this.print(`dropped ${messageText(m)}`);
      else kept.push(m);
    }
    if (kept.length === this.queue.length) this.print("nothing to drop");
    this.queue = kept;
  }

  private propose(id: NodeId, data: string): void {
    const r = this.nodes.get(id)!.propose([{ kind: EntryKind.Records, count: 1, timestampMs: 1000, data: new TextEncoder().encode(data) }]);
    this.print(r.ok ? `${id}: proposed at index ${r.firstIndex} term ${r.term}` : `${id}: refused ${r.code} leader=${r.leader}: ${r.message}`);
    this.handleReady(id);
  }

  private transfer(id: NodeId, to: NodeId): void {
    const r = this.nodes.get(id)!.transferLeadership(to);
    this.print(r.ok ? `${id}: transferring to ${r.target}` : `${id}: refused ${r.code} leader=${r.leader}: ${r.message}`);
    this.handleReady(id);
  }

  private partition(args: readonly string[]): void {
    this.sides = new Map();
    let side = 0;
    for (const a of args) {
      if (a === "/") side++;
      else for (const t of a.split(",")) if (t !== "") this.sides.set(this.id(t), side);
    }
  }

  private crash(id: NodeId): void {
    this.down.add(id);
    this.queue = this.queue.filter((m) => m.to !== id && m.from !== id);
    this.carried.delete(id);
  }

  private restart(id: NodeId): void {
    if (!this.down.has(id)) throw new Error(`member ${id} is not down`);
    this.start(id);
  }

  private showLog(id: NodeId): void {
    const s = this.storages.get(id)!;
    const last = s.lastIndex();
    const first = s.firstIndex();
    if (last < first) {
      this.print("empty");
      return;
    }
    for (const e of s.entries(first, index(last + 1), Number.MAX_SAFE_INTEGER)) this.print(entryText(e));
  }
}
