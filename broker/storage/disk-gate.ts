/**
 * The free-space gate of one broker's data directory. It reads the
 * filesystem's free space every `checkIntervalMs` (statfs) and says the disk
 * is full while fewer than `freeBytesMin` bytes are free, or once a log write
 * failed with NOT_ENOUGH_SPACE, until a later read finds space again.
 *
 * While full the broker takes no new records (produce answers
 * NOT_ENOUGH_SPACE) and hands its leaderships away (broker/broker.ts); votes,
 * heartbeats, hard states, catalog changes and retention deletes still go
 * through (LMDB reuses freed pages, and the gate closes before the last byte
 * is gone). docs/STORAGE.md, "A full disk".
 *
 * Hysteresis: a write failure keeps the gate closed through the next read,
 * whatever it finds; only a later read with room reopens it. So a disk that
 * fails writes while statfs still shows room (a quota, a write larger than
 * what is left) stays closed for at least one interval, not flapping.
 */
import { statfs } from "node:fs/promises";
import type { Logger } from "pino";
import type { StorageError } from "../raft/log-storage.js";

/** Options of a DiskGate. */
export interface DiskGateOptions {
  /** The data directory. */
  readonly path: string;
  /** Fewer free bytes than this: the disk counts as full (storage.diskFreeMinBytes). */
  readonly freeBytesMin: number;
  /** How often free space is read (storage.diskCheckIntervalMs). */
  readonly checkIntervalMs: number;
  readonly logger: Logger;
  /** Called on every change of full(), after the change. */
  readonly onChange: (full: boolean) => void;
  /** Called after every read while full (the broker moves leaderships then). */
  readonly onFullCheck?: () => void;
  /** Free bytes of the filesystem at `path` (tests inject one); statfs bavail * bsize by default. */
  readonly freeBytes?: (path: string) => Promise<number>;
}

/** The default free-space reader: bytes available to unprivileged writers. */
export async function statfsFreeBytes(path: string): Promise<number> {
  const s = await statfs(path);
  return s.bavail * s.bsize;
}

/** Whether a broker's disk is full (see the file comment). */
export class DiskGate {
  /** Why the disk counts as full; undefined while it does not. */
  private why: string | undefined;
  /** A NOT_ENOUGH_SPACE write failure not yet followed by a read that started after it. */
  private failedSinceRead = false;
  /** Free bytes at the last read; undefined before the first, or when it failed. */
  private lastFreeBytes: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading = false;
  private readonly freeBytes: (path: string) => Promise<number>;

  constructor(private readonly opts: DiskGateOptions) {
    this.freeBytes = opts.freeBytes ?? statfsFreeBytes;
  }

  /** Read now, then every checkIntervalMs until stop(). */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.opts.checkIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** True while the disk counts as full. */
  full(): boolean {
    return this.why !== undefined;
  }

  /** Why the disk counts as full ("disk full: 1234 bytes free, below storage.diskFreeMinBytes ..."), or undefined. */
  reason(): string | undefined {
    return this.why;
  }

  /** A log write failed (the group runners report every failed try); NOT_ENOUGH_SPACE closes the gate at once. */
  writeFailed(err: StorageError): void {
    if (err.code !== "NOT_ENOUGH_SPACE") return;
    this.failedSinceRead = true;
    if (this.why === undefined) this.set(`disk full: a log write failed (${err.message})`);
  }

  /** One read of the free space, and the gate's decision. Never rejects. */
  async check(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    const failedBefore = this.failedSinceRead;
    this.failedSinceRead = false;
    let free: number | undefined;
    try {
      free = await this.freeBytes(this.opts.path);
    } catch (err) {
      // Unknown free space changes nothing: a write failure still closes the gate.
      this.opts.logger.warn({ err, path: this.opts.path }, "reading the data directory's free space failed");
    } finally {
      this.reading = false;
    }
    this.lastFreeBytes = free;
    if (free !== undefined) {
      if (free < this.opts.freeBytesMin) {
        const why = `disk full: ${free} bytes free, below storage.diskFreeMinBytes (${this.opts.freeBytesMin})`;
        if (this.why === undefined) this.set(why);
        else this.why = why;
      } else if (this.why !== undefined && !failedBefore && !this.failedSinceRead) {
        this.set(undefined);
      }
    }
    if (this.why !== undefined) this.opts.onFullCheck?.();
  }

  private set(why: string | undefined): void {
    const was = this.why !== undefined;
    this.why = why;
    const now = why !== undefined;
    if (was === now) return;
    if (now) this.opts.logger.warn({ path: this.opts.path, freeBytes: this.lastFreeBytes, freeBytesMin: this.opts.freeBytesMin, why }, "data directory full: no new records here, handing leadership away");
    else this.opts.logger.info({ path: this.opts.path, freeBytes: this.lastFreeBytes, freeBytesMin: this.opts.freeBytesMin }, "data directory has space again: taking records and leadership again");
    this.opts.onChange(now);
  }
}
