/**
 * A tiny, lossless, synchronous cluster for the core's unit tests: every
 * member runs the runner loop of ready.ts over a MemoryStorage; links can be
 * cut. (The seeded, lossy simulator lives in test/raft/sim/.)
 */
import { RaftNode } from "../../broker/raft/core.js";
import { DEFAULT_RAFT_TIMING, type RaftConfig } from "../../broker/raft/config.js";
import type { Message } from "../../broker/raft/messages.js";
import { MemoryStorage } from "../../broker/raft/memory-storage.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { Role, writeOf, type Ready } from "../../broker/raft/ready.js";
import { EntryKind, nodeId, type Entry, type HardState, type NodeId } from "../../broker/raft/types.js";

export interface HarnessOptions {
  readonly size: number;
  readonly priority?: readonly number[];
  readonly seed?: number;
  readonly config?: Partial<RaftConfig>;
  /** Learners (Membership.learners) after the `size` voters: ids size+1 .. size+learners. Default 0. */
  readonly learners?: number;
  /**
   * Non-members after the learners (ids size+learners+1 ..), started with the
   * same base membership: passive until a membership change names them. Default 0.
   */
  readonly extra?: number;
}

export const TEST_TIMING = {
  ...DEFAULT_RAFT_TIMING,
  electionTimeoutTicks: 10,
  heartbeatIntervalTicks: 2,
  preferredLeaderCheckTicks: 0,
  inflightAppendsMax: 4,
  inflightBytesMax: 1 << 20,
  appendBytesMax: 64 * 1024,
  // Off unless a test turns it on (test/raft/quiesce.test.ts): no liveness source feeds peerDown here.
  quiesce: false,
} as const;

/**
 * Make a Ready durable on `storage` as the group runner does: writeOf with
 * the hard state carried from earlier Readies that needed no write.
 * @returns the hard state still to carry (undefined once written)
 */
export function persistReady(storage: MemoryStorage, rd: Ready, carried: HardState | undefined): HardState | undefined {
  const update = writeOf(rd, carried);
  if (update === undefined) return rd.hardState ?? carried;
  storage.apply(update);
  return undefined;
}

/**
 * Run one core's Ready loop with every write durable at once on `storage`
 * (a lone member under test, fed messages by hand).
 * @returns the messages sent, and the last hard state written
 */
export function drainCore(n: RaftNode, storage: MemoryStorage): Message[] & { hard?: HardState } {
  const out: Message[] & { hard?: HardState } = [];
  while (n.hasReady()) {
    const rd = n.ready();
    const update = writeOf(rd, undefined);
    if (update) storage.apply(update);
    if (rd.hardState) out.hard = rd.hardState;
    out.push(...rd.earlyMessages, ...rd.messages);
    n.advance(rd);
  }
  return out;
}

export class Harness {
  readonly ids: NodeId[];
  readonly nodes = new Map<NodeId, RaftNode>();
  readonly storages = new Map<NodeId, MemoryStorage>();
  readonly applied = new Map<NodeId, Entry[]>();
  readonly readies = new Map<NodeId, Ready[]>();
  /** Directed links that drop everything: "from->to". */
  readonly cut = new Set<string>();
  readonly down = new Set<NodeId>();
  /** Drops any message for which it returns true (finer than cutting a link). */
  drop: ((m: Message) => boolean) | undefined;
  private queue: Message[] = [];
  /** Per member: the newest hard state not yet written (only its commit changed). */
  private readonly carried = new Map<NodeId, HardState | undefined>();
  private readonly random: SeededRandom;
  private readonly configs = new Map<NodeId, RaftConfig>();

  constructor(opts: HarnessOptions) {
    const voters = Array.from({ length: opts.size }, (_, i) => nodeId(i + 1));
    const learners = Array.from({ length: opts.learners ?? 0 }, (_, i) => nodeId(opts.size + i + 1));
    const extra = Array.from({ length: opts.extra ?? 0 }, (_, i) => nodeId(opts.size + learners.length + i + 1));
    this.ids = [...voters, ...learners, ...extra];
    this.random = new SeededRandom(opts.seed ?? 1);
    const priority = (opts.priority ?? voters).map(nodeId);
    const membership = learners.length > 0 ? { voters, learners } : { voters };
    for (const id of this.ids) {
      const cfg: RaftConfig = { id, membership, priority, ...TEST_TIMING, ...opts.config };
      this.configs.set(id, cfg);
      this.storages.set(id, new MemoryStorage());
      this.start(id);
    }
  }

  node(id: number): RaftNode {
    return this.nodes.get(nodeId(id))!;
  }

  /** (Re)start a member from its storage. */
  start(id: NodeId): void {
    this.down.delete(id);
    this.carried.delete(id);
    this.nodes.set(id, new RaftNode(this.configs.get(id)!, this.storages.get(id)!, this.random));
    this.applied.set(id, []);
    this.readies.set(id, []);
  }
  crash(id: number): void {
    this.down.add(nodeId(id));
  }
  /**
   * Restart a member with empty storage (its disk was lost), recovering as
   * `incarnation` unless `guarded` is false (the member then forgets its vote
   * and log and votes at once: the hazard the guard exists for).
   */
  loseDisk(id: number, incarnation: number, guarded = true): void {
    const nid = nodeId(id);
    const { recovering: _old, ...base } = this.configs.get(nid)!;
    this.configs.set(nid, guarded ? { ...base, recovering: { incarnation } } : base);
    this.storages.set(nid, new MemoryStorage());
    this.queue = this.queue.filter((m) => m.to !== nid && m.from !== nid);
    this.start(nid);
  }
  isolate(id: number): void {
    for (const other of this.ids) {
      if (other === id) continue;
      this.cut.add(`${id}->${other}`);
      this.cut.add(`${other}->${id}`);
    }
  }
  heal(): void {
    this.cut.clear();
  }

  /** Run every member's ready loop and deliver messages until nothing moves. */
  settle(rounds = 1000): void {
    for (let r = 0; r < rounds; r++) {
      let moved = false;
      for (const [id, n] of this.nodes) {
        if (this.down.has(id)) continue;
        while (n.hasReady()) {
          moved = true;
          const rd = n.ready();
          this.readies.get(id)!.push(rd);
          this.queue.push(...rd.earlyMessages);
          this.carried.set(id, persistReady(this.storages.get(id)!, rd, this.carried.get(id)));
          this.queue.push(...rd.messages);
          this.applied.get(id)!.push(...rd.committed);
          n.advance(rd);
        }
      }
      const batch = this.queue;
      this.queue = [];
      for (const m of batch) {
        if (this.down.has(m.to) || this.down.has(m.from) || this.cut.has(`${m.from}->${m.to}`) || this.drop?.(m)) continue;
        moved = true;
        this.nodes.get(m.to)!.step(m);
      }
      if (!moved) return;
    }
    throw new Error("cluster did not settle");
  }

  /** Tick every live member `n` times, settling after each tick. */
  tick(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const [id, node] of this.nodes) if (!this.down.has(id)) node.tick();
      this.settle();
    }
  }

  /** Tick until some live member leads; returns it. */
  elect(ticksMax = 200): RaftNode {
    for (let i = 0; i < ticksMax; i++) {
      const l = this.leader();
      if (l) return l;
      this.tick();
    }
    throw new Error("no leader elected");
  }

  leader(): RaftNode | undefined {
    const leaders = [...this.nodes].filter(([id, n]) => !this.down.has(id) && n.status().role === Role.Leader);
    // With partitions a stale leader may remain; prefer the highest term.
    leaders.sort((a, b) => b[1].status().term - a[1].status().term);
    return leaders[0]?.[1];
  }

  /** Propose one record batch with `count` records on the given member. */
  propose(id: NodeId, payload: string, count = 1) {
    const r = this.nodes.get(id)!.propose([
      { kind: EntryKind.Records, count, timestampMs: 1000, data: new TextEncoder().encode(payload) },
    ]);
    this.settle();
    return r;
  }

  /** Payloads of the Records entries a member applied, in order. */
  appliedPayloads(id: number): string[] {
    return this.applied
      .get(nodeId(id))!
      .filter((e) => e.kind === EntryKind.Records)
      .map((e) => new TextDecoder().decode(e.data));
  }
}
