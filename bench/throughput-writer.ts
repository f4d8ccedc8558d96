/**
 * The produce workload's way of writing, shared by every throughput
 * measurement (produce, produce-json, many-producers in its child processes,
 * partition-scale): send() calls of `sendRecords` messages cycled from a pool
 * of values, at most WINDOW_SENDS calls outstanding, until `records` are sent,
 * the deadline passes or a send fails; then wait for what is outstanding.
 */
import type { Producer, RecordMetadata } from "../client/index.js";
import { nowMs } from "./time.js";
import { Window } from "./window.js";

/** send() calls outstanding per producer. */
export const WINDOW_SENDS = 64;
/**
 * Distinct values a producer cycles through: more records than one batch
 * holds at the default batch size (256 KiB of 1 KiB records), so that no
 * batch repeats a value and a codec finds no repetition the data would not have.
 */
export const VALUE_POOL = 1024;

/** What one writer did; updated as acknowledgements arrive. */
export interface WriterTally {
  acked: number;
  failed: number;
  firstError: unknown;
  /** Whether the deadline stopped it before `records`. */
  timedOut: boolean;
}

/** A fresh tally. */
export function newTally(): WriterTally {
  return { acked: 0, failed: 0, firstError: undefined, timedOut: false };
}

/** What to write. */
export interface WriteOptions {
  readonly topic: string;
  readonly pool: readonly Buffer[];
  readonly records: number;
  readonly sendRecords: number;
  /** nowMs() after which no new send() starts. */
  readonly deadlineMs: number;
  /** Stop early when this says so (another writer failed). */
  readonly stop?: () => boolean;
  readonly onAck?: (metas: readonly RecordMetadata[]) => void;
}

/** See the file comment. Resolves when every send() it started has settled. */
export async function writeRecords(p: Producer, o: WriteOptions, tally: WriterTally): Promise<void> {
  const window = new Window(WINDOW_SENDS);
  for (let sent = 0; sent < o.records; ) {
    if (nowMs() > o.deadlineMs) {
      tally.timedOut = true;
      break;
    }
    if (tally.firstError !== undefined || o.stop?.() === true) break;
    const k = Math.min(o.sendRecords, o.records - sent);
    const messages = new Array<{ value: Buffer }>(k);
    for (let i = 0; i < k; i++) messages[i] = { value: o.pool[(sent + i) % o.pool.length]! };
    sent += k;
    await window.acquire();
    p.send({ topic: o.topic, messages }).then(
      (metas) => {
        tally.acked += k;
        o.onAck?.(metas);
        window.release();
      },
      (err: unknown) => {
        tally.failed += k;
        tally.firstError ??= err;
        window.release();
      },
    );
  }
  await window.drain();
}
