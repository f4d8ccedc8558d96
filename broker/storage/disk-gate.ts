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
 * The space reserve: LMDB must not be the one to find the disk full. lmdb-js
 * 3.5.6 formats the message of a failed page write (pwrite returning ENOSPC)
 * into a 100-byte heap buffer too small for it (mdb.c, mdb_page_flush), and
 * a broker was seen to abort with "corrupted size vs. prev_size" right
 * after one. (A short write, reported as EIO, takes another path and is
 * safe.) So the gate keeps `reserveBytes` of disk allocated past the end of
 * the LMDB data file, with fallocate(1) --keep-size (Node has no
 * fallocate(2)): a write that grows the file lands on blocks that already
 * exist, and a disk that another process fills to the last byte closes the
 * gate (at the next read) while LMDB still writes into the reserve. A read
 * that finds less than `reserveBytes` allocated past the end allocates twice
 * that, so at least `reserveBytes` stay ahead and fallocate(1) runs once per
 * `reserveBytes` of growth (a child process costs the event loop several
 * milliseconds: once per 16 MiB written, as before, it showed as 2-3 % of a
 * broker's CPU in a produce profile, and as stalls). A top-up fails quietly
 * while the disk is full (the gate is closed then). Without fallocate(1) the broker logs one warning and runs without
 * a reserve.
 *
 * Hysteresis: a write failure keeps the gate closed through the next read,
 * whatever it finds; only a later read with room reopens it. So a disk that
 * fails writes while statfs still shows room (a quota, a write larger than
 * what is left) stays closed for at least one interval, not flapping.
 */
import { execFile } from "node:child_process";
import { stat, statfs } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
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
  /** Disk kept allocated past the end of the LMDB data file (storage.diskReserveBytes); 0: none. */
  readonly reserveBytes: number;
  /** Called on every change of full(), after the change. */
  readonly onChange: (full: boolean) => void;
  /** Called after every read while full (the broker moves leaderships then). */
  readonly onFullCheck?: () => void;
  /** Free bytes of the filesystem at `path` (tests inject one); statfs bavail * bsize by default. */
  readonly freeBytes?: (path: string) => Promise<number>;
  /** Allocate `lengthBytes` of `file` from `offsetBytes` without changing its size (tests inject one); fallocate(1) by default. */
  readonly allocate?: (file: string, offsetBytes: number, lengthBytes: number) => Promise<void>;
}

/** The LMDB data file in a data directory (lmdb-js's default layout). */
export function dataFileOf(path: string): string {
  return join(path, "data.mdb");
}

const execFileAsync = promisify(execFile);

/** Allocate disk blocks for a range of a file without changing its size: fallocate(1) --keep-size. */
export async function fallocateKeepSize(file: string, offsetBytes: number, lengthBytes: number): Promise<void> {
  await execFileAsync("fallocate", ["--keep-size", "--offset", String(offsetBytes), "--length", String(lengthBytes), file], { timeout: 10_000 });
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
  private readonly allocate: (file: string, offsetBytes: number, lengthBytes: number) => Promise<void>;
  /** End of the range allocated by the last top-up (file offset); 0 before the first. */
  private reservedEndBytes = 0;
  /** The reserve cannot be made here (no fallocate(1), or a filesystem without it): warned once, not tried again. */
  private reserveUnavailable = false;
  /** A top-up failed (the disk is full): warned once until one succeeds. */
  private reserveFailing = false;

  constructor(private readonly opts: DiskGateOptions) {
    this.freeBytes = opts.freeBytes ?? statfsFreeBytes;
    this.allocate = opts.allocate ?? fallocateKeepSize;
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
    await this.topUpReserve();
  }

  /** Bytes allocated past the data file's end by the last top-up, for tests and logs. */
  reservedEnd(): number {
    return this.reservedEndBytes;
  }

  /** Keep reserveBytes allocated past the end of the data file (see the file comment). Never rejects. */
  private async topUpReserve(): Promise<void> {
    const reserve = this.opts.reserveBytes;
    if (reserve <= 0 || this.reserveUnavailable) return;
    const file = dataFileOf(this.opts.path);
    let sizeBytes: number;
    try {
      sizeBytes = (await stat(file)).size;
    } catch {
      return; // not created yet
    }
    // Top up once less than the reserve is left ahead, to twice the reserve.
    if (this.reservedEndBytes - sizeBytes >= reserve) return;
    try {
      await this.allocate(file, sizeBytes, 2 * reserve);
      this.reservedEndBytes = sizeBytes + 2 * reserve;
      if (this.reserveFailing) this.opts.logger.info({ file, reservedEndBytes: this.reservedEndBytes }, "space reserve of the data file topped up again");
      this.reserveFailing = false;
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === "ENOENT" || /not supported/i.test(e.stderr ?? "")) {
        this.reserveUnavailable = true;
        this.opts.logger.warn({ file, err: e.message }, "cannot reserve disk space past the data file (fallocate(1) missing or unsupported here): a disk filled by another process may reach LMDB");
      } else if (!this.reserveFailing) {
        this.reserveFailing = true;
        this.opts.logger.warn({ file, reserveBytes: reserve, err: (e.stderr ?? e.message).trim() }, "topping up the space reserve of the data file failed (the disk is full?); trying again at every check");
      }
    }
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
