/**
 * One produce request in the making, as the lane's shell holds it: the
 * records of one partition, the promises of the messages in it, and the
 * routing state of its attempts. Its decision state (stamp, attempts,
 * failures, deadline) lives in LaneBatch (lane-state.ts).
 */
import type { ProduceRecord } from "../../broker/protocol/records.js";
import { CallState } from "../cluster/cluster.js";
import { RECORD_OVERHEAD_BYTES } from "./message.js";

interface MessageSettle {
  readonly resolve: (offset: number) => void;
  readonly reject: (err: unknown) => void;
}

/** A batch of records for one partition; see the file comment. */
export class ProducerBatch {
  readonly records: ProduceRecord[] = [];
  private readonly settles: MessageSettle[] = [];
  /** Record bytes held in the producer's buffer budget. */
  bytes = 0;
  /** Estimated size in a produce request. */
  requestBytes = 0;
  /** Routing state across this batch's attempts. */
  readonly routing = new CallState();
  /** Wall-clock create time of records that carry no timestamp (ms since the epoch). */
  readonly createdMs = Date.now();
  /**
   * The encoded record batch of the latest attempt and the stamp it carries: a retry with
   * the same stamp resends the same bytes; a new stamp (a fresh producer id) re-encodes.
   */
  encoded: { readonly stampKey: string; readonly bytes: Uint8Array | Promise<Uint8Array> } | undefined;
  /** Resolves (never rejects) when every message of the batch is settled. */
  readonly settled: Promise<void>;
  private markSettled: () => void = () => undefined;
  private done = false;

  /** @param serial creation order within its partition (= sequence order) */
  constructor(readonly serial: number) {
    this.settled = new Promise((resolve) => {
      this.markSettled = resolve;
    });
  }

  /** Add a record; the promise resolves with its offset. */
  add(record: ProduceRecord, bytes: number): Promise<number> {
    this.records.push(record);
    this.bytes += bytes;
    this.requestBytes += bytes + RECORD_OVERHEAD_BYTES;
    return new Promise((resolve, reject) => this.settles.push({ resolve, reject }));
  }

  /** Whether the batch succeeded or failed already. */
  get isDone(): boolean {
    return this.done;
  }

  /** Written at baseOffset: message i got baseOffset + i. */
  succeed(baseOffset: number): void {
    if (this.done) return;
    this.done = true;
    this.settles.forEach((s, i) => s.resolve(baseOffset + i));
    this.markSettled();
  }

  /** Failed for good: every message rejects with `err`. */
  fail(err: unknown): void {
    if (this.done) return;
    this.done = true;
    for (const s of this.settles) s.reject(err);
    this.markSettled();
  }
}
