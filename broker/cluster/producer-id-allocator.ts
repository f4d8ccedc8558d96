/**
 * Producer ids served from blocks (Kafka's AllocateProducerIds): the
 * controller leader hands ids out of its current block and commits a new
 * AllocateProducerIdBlock only when the block runs out, so starting a
 * producer costs a controller commit once per `blockSize` producers.
 *
 * Invariants:
 * - At most one block commit is in flight; initProducerId calls that arrive
 *   meanwhile queue (FIFO, bounded by `waitersMax`) and are served from the
 *   block it brings, not by a commit each.
 * - A block is used only by the leader that committed it, and only in the
 *   term it was asked for: a new term (another leader, or this one re-elected)
 *   starts with no block. The unused rest of a block is skipped, never reused:
 *   the metadata's nextProducerId is already past it.
 * - Ids are unique across leaders without any lease: every block is a
 *   committed entry, and each applied block starts above every earlier one
 *   (ClusterMetadata, AllocateProducerIdBlock), so two leaders, even a stale
 *   one that does not yet know it was replaced, never hold overlapping blocks.
 */
import { RlogError } from "../protocol/errors.js";
import type { ProducerIdBlock } from "./metadata.js";

export interface ProducerIdAllocatorOptions {
  /** Ids per block (docs/PROTOCOL.md, initProducerId). */
  readonly blockSize: number;
  /** Most initProducerId calls waiting for a block; more are refused with TOO_MANY_REQUESTS. */
  readonly waitersMax: number;
  /** The controller group's current term. */
  readonly term: () => number;
  /** Commit an AllocateProducerIdBlock of `count` ids; resolves with the block once applied. */
  readonly commitBlock: (count: number) => Promise<ProducerIdBlock>;
}

interface Waiter {
  readonly resolve: (producerId: number) => void;
  readonly reject: (err: unknown) => void;
}

/** The controller leader's current block and the calls waiting for the next one. */
export class ProducerIdAllocator {
  private readonly opts: ProducerIdAllocatorOptions;
  /** Ids left in the current block: [next, end), usable in `term` only. */
  private block: { term: number; next: number; end: number } | undefined;
  /** A block commit is in flight. */
  private fetching = false;
  private readonly waiters: Waiter[] = [];
  /** Blocks committed by this allocator (for tests and logs). */
  blocksCommitted = 0;

  constructor(opts: ProducerIdAllocatorOptions) {
    if (!Number.isSafeInteger(opts.blockSize) || opts.blockSize < 1) throw new Error(`producer id block size ${opts.blockSize} is not a positive integer`);
    this.opts = opts;
  }

  /** A cluster-unique producer id. The caller checks leadership first. */
  allocate(): Promise<number> {
    const term = this.opts.term();
    if (this.block !== undefined && this.block.term !== term) this.block = undefined; // a new term starts with no block
    if (this.waiters.length === 0 && this.block !== undefined && this.block.next < this.block.end) return Promise.resolve(this.block.next++);
    if (this.waiters.length >= this.opts.waitersMax) {
      return Promise.reject(new RlogError("TOO_MANY_REQUESTS", `${this.waiters.length} initProducerId calls are already waiting for a block of producer ids; retry`));
    }
    const p = new Promise<number>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.fetch();
    return p;
  }

  /** Ids left in the current block (0 when there is none). */
  remaining(): number {
    return this.block === undefined ? 0 : this.block.end - this.block.next;
  }

  private fetch(): void {
    if (this.fetching) return;
    this.fetching = true;
    const term = this.opts.term();
    this.opts.commitBlock(this.opts.blockSize).then(
      (b) => {
        this.fetching = false;
        this.blocksCommitted++;
        this.block = { term, next: b.firstProducerId, end: b.firstProducerId + b.count };
        while (this.waiters.length > 0 && this.block.next < this.block.end) this.waiters.shift()!.resolve(this.block.next++);
        if (this.waiters.length > 0) this.fetch();
      },
      (err: unknown) => {
        this.fetching = false;
        // Every waiter gets the commit's error (NOT_CONTROLLER, TIMEOUT, ...): the client retries.
        for (const w of this.waiters.splice(0)) w.reject(err);
      },
    );
  }
}
