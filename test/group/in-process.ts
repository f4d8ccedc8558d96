/**
 * In-process Raft groups for unit tests of the classes that own one
 * (PartitionReplica, Controller, GroupCoordinator): MemoryStorage, a
 * loopback network that hands each message to its addressee on a later
 * microtask (never inside the sender's Ready loop), and a manual clock of
 * ticks. No sockets, no disks, no timers.
 */
import assert from "node:assert/strict";
import { pino } from "pino";
import type { RaftConfig } from "../../broker/raft/config.js";
import type { Message } from "../../broker/raft/messages.js";
import { nodeId, type NodeId } from "../../broker/raft/types.js";
import { TEST_TIMING } from "../raft/harness.js";

export const silentLogger = pino({ level: "silent" });

/** An onFatal that fails the test: MemoryStorage never fails a write. */
export const failOnFatal = (err: unknown, message: string): void => assert.fail(`unexpected fatal failure: ${message}: ${String(err)}`);

/** The Raft config of member `id` of a group over `voters`, preference in list order, test timing. */
export function raftConfig(id: number, voters: readonly number[], extra: Partial<RaftConfig> = {}): RaftConfig {
  const ids = voters.map(nodeId);
  return { id: nodeId(id), membership: { voters: ids }, priority: ids, ...TEST_TIMING, ...extra };
}

/** One event-loop turn: every microtask chain (persist, send, step, ...) started so far runs to its end. */
export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Delivers messages between members registered by id, tagged with their Raft
 * group as the peer transport does; `isolate` drops everything to and from a member.
 */
export class LoopbackNet {
  private readonly members = new Map<NodeId, (group: string, m: Message) => void>();
  private readonly isolated = new Set<NodeId>();

  /** Messages for `id` (of any group) go to `step`. */
  join(id: NodeId, step: (m: Message) => void): void {
    this.members.set(id, (_group, m) => step(m));
  }

  /** Messages for `id` go to `route` with their group (a broker hosting several groups). */
  joinGroups(id: NodeId, route: (group: string, m: Message) => void): void {
    this.members.set(id, route);
  }

  /** The `send` of a runner of `group`. */
  sendFor(group: string): (messages: readonly Message[]) => void {
    return (messages) => {
      for (const m of messages) {
        if (this.isolated.has(m.to) || this.isolated.has(m.from)) continue;
        queueMicrotask(() => this.members.get(m.to)?.(group, m));
      }
    };
  }

  /** The `send` of a runner, for a net of one group. */
  readonly send = this.sendFor("");

  isolate(id: NodeId): void {
    this.isolated.add(id);
  }
  heal(id: NodeId): void {
    this.isolated.delete(id);
  }
}

/** A manual clock: `tick()` advances every member by one Raft tick, then lets the messages it caused settle. */
export class Ticker {
  ticks = 0;
  constructor(private readonly tickAll: () => void) {}

  async tick(): Promise<void> {
    this.ticks++;
    this.tickAll();
    await turn();
  }

  /** Tick until `cond` holds; fails naming `what` after `ticksMax` ticks. */
  async until(cond: () => boolean, what: string, ticksMax = 1_000): Promise<void> {
    for (let i = 0; i < ticksMax; i++) {
      if (cond()) return;
      await this.tick();
    }
    assert.ok(cond(), `${what}: not after ${ticksMax} ticks`);
  }

  /** Tick until `p` settles; its value, or its error thrown. */
  async settle<T>(p: Promise<T>, ticksMax = 1_000): Promise<T> {
    let done = false;
    const watched = p.finally(() => {
      done = true;
    });
    watched.catch(() => undefined);
    await turn();
    await this.until(() => done, "the promise settles", ticksMax);
    return watched;
  }
}

/** The error a promise rejects with (fails when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  return assert.fail("expected a rejection");
}
