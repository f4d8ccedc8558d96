/**
 * Small tmpfs mounts for full-disk tests (storage, brokers, chaos): a
 * directory whose filesystem holds a fixed number of bytes, and a ballast
 * file that fills it to the last byte. Mounting needs root (CI runs as
 * root); tmpfsSkipReason() says why not when it cannot, and the tests skip
 * with that reason, like the network-namespace test.
 */
import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const MOUNT_TIMEOUT_MS = 10_000;

/** Why a tmpfs cannot be mounted here, or undefined when it can (probed by mounting one). */
export function tmpfsSkipReason(): string | undefined {
  if (process.platform !== "linux") return `tmpfs mounts need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return "mounting a small tmpfs as a data directory needs root (CI runs as root)";
  const dir = mkdtempSync(join(tmpdir(), "rlog-tmpfs-probe-"));
  try {
    const r = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { encoding: "utf8", timeout: MOUNT_TIMEOUT_MS });
    if (r.status !== 0) return `cannot mount a tmpfs: ${(r.stderr || String(r.error)).trim()}`;
    spawnSync("umount", [dir], { timeout: MOUNT_TIMEOUT_MS });
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A mounted tmpfs; unmount() it in a finally. */
export class Tmpfs {
  private mounted = true;

  private constructor(
    /** The mount point. */
    readonly dir: string,
  ) {}

  /** Mount a tmpfs of `sizeBytes` on a new directory under the system temp dir. */
  static mount(sizeBytes: number, prefix = "rlog-tmpfs-"): Tmpfs {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${sizeBytes}`, "tmpfs", dir], { encoding: "utf8", timeout: MOUNT_TIMEOUT_MS });
    if (r.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`mount tmpfs on ${dir}: ${(r.stderr || String(r.error)).trim()}`);
    }
    return new Tmpfs(dir);
  }

  /** A sub-directory (created). */
  subdir(name: string): string {
    const d = join(this.dir, name);
    mkdirSync(d, { recursive: true });
    return d;
  }

  /** Free bytes left (statfs). */
  freeBytes(): number {
    const s = statfsSync(this.dir);
    return s.bavail * s.bsize;
  }

  /** Write a ballast file until the filesystem is full (ENOSPC); returns its size. */
  fill(name = "ballast"): number {
    const fd = openSync(join(this.dir, name), "a");
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    let bytes = 0;
    try {
      for (;;) {
        let n: number;
        try {
          n = writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === "ENOSPC") break;
          throw err;
        }
        bytes += n;
        if (n < chunk.length) {
          // A short write: the next one fails with ENOSPC or writes the last bytes.
          continue;
        }
      }
    } finally {
      closeSync(fd);
    }
    return bytes;
  }

  /** Remove the ballast file: the space is back. */
  free(name = "ballast"): void {
    rmSync(join(this.dir, name), { force: true });
  }

  /** Unmount (lazily if busy) and remove the mount point. Idempotent, never throws. */
  unmount(): void {
    if (!this.mounted) return;
    this.mounted = false;
    const r = spawnSync("umount", [this.dir], { timeout: MOUNT_TIMEOUT_MS });
    if (r.status !== 0) spawnSync("umount", ["-l", this.dir], { timeout: MOUNT_TIMEOUT_MS });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
