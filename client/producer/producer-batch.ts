/**
 * One produce request in the making, as the lane's shell holds it: the
 * records of one partition, one promise for all of them (its base offset:
 * message i got base + i; one promise a batch rather than one a message,
 * since the producer's per-record allocations were a large part of its CPU),
 * and the routing state of its attempts. Its decision state (stamp, attempts,
 * failures, deadline) lives in LaneBatch (lane-state.ts).
 */
import type { ProduceRecord } from "../../broker/protocol/records.js";
import { CallState } from "../cluster/cluster.js";
import { RECORD_OVERHEAD_BYTES } from "./message.js";

/** A batch of records for one partition; see the file comment. */
export class ProducerBatch {
  readonly records: ProduceRecord[] = [];
  /**
   * Resolves with the base offset once the batch is written, rejects when it failed for good.
   * Never an unhandled rejection: the messages' send() calls read it.
   */
  readonly baseOffset: Promise<number>;
  private resolveBase: (offset: number) => void = () => undefined;
  private rejectBase: (err: unknown) => void = () => undefined;
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
    this.baseOffset = new Promise((resolve, reject) => {
      this.resolveBase = resolve;
      this.rejectBase = reject;
    });
    this.baseOffset.catch(() => undefined);
  }

  /** Add a record; returns its place in the batch (its offset is baseOffset + place). */
  add(record: ProduceRecord, bytes: number): number {
    this.records.push(record);
    this.bytes += bytes;
    this.requestBytes += bytes + RECORD_OVERHEAD_BYTES;
    return this.records.length - 1;
  }

  /** Whether the batch succeeded or failed already. */
  get isDone(): boolean {
    return this.done;
  }

  /** Written at baseOffset: message i got baseOffset + i. */
  succeed(baseOffset: number): void {
    if (this.done) return;
    this.done = true;
    this.resolveBase(baseOffset);
    this.markSettled();
  }

  /** Failed for good: every message rejects with `err`. */
  fail(err: unknown): void {
    if (this.done) return;
    this.done = true;
    this.rejectBase(err);
    this.markSettled();
  }
}
