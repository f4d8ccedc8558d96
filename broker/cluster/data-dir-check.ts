/**
 * The start-up check of a data directory (docs/STORAGE.md, "A damaged
 * entry"): before the broker opens its store, a child process reads every
 * record and entry and checks every checksum (broker/storage/verify.ts,
 * verify-in-child.ts). Outcomes:
 *
 * - clean: nothing to do;
 * - damaged entries only: each log named is cut (LogStorage.repair from its
 *   first damaged entry) in the same child, since writing next to a damaged
 *   page is what can crash LMDB; a cut the child could not make (a full
 *   disk) is made when the broker opens the log, before its group starts
 *   (`repairOnOpen`);
 * - damage the checksums cannot confine to entries: LMDB's own structure
 *   (the child crashed or LMDB reported corruption), or a record other than
 *   an entry (hard state, snapshot point, catalog, registry, store, identity).
 *   Nothing in the directory can be trusted: its files move aside into
 *   `<dataDir>/damaged-<time>/` (the newest such directory is kept for
 *   inspection, older ones are deleted) and the broker starts on an empty
 *   store, which the lost-disk guard (disk-identity.ts) then treats as a lost
 *   disk: it recovers its data from its peers before it votes;
 * - damage a cut cannot mend found later, while running (a log that fails
 *   to open with CORRUPT_RECORD: the check missed it or did not run): the
 *   broker writes a DAMAGED marker into the directory and goes on without
 *   that replica; the next start sets the directory aside (`markDamaged`);
 * - the check itself could not run or did not finish in time (a very large
 *   directory on a slow disk): logged at warn, and the broker starts without
 *   it. Every read still checks the checksums, so damage is still never
 *   served; it is only found later.
 */
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { repairRetrying } from "../group/damage.js";
import type { LogStorage } from "../raft/log-storage.js";
import { index } from "../raft/types.js";
import { verifyInChild, type VerifyOutcome } from "../storage/verify-in-child.js";

/** Prefix of the directories damaged files move into, inside the data directory. */
export const DAMAGED_DIR_PREFIX = "damaged-";
/** A file in the data directory that makes the next start set the directory aside (markDamaged). */
export const DAMAGED_MARKER = "DAMAGED";

export interface DataDirCheckOptions {
  readonly dataDir: string;
  /** Bound on the check's run (config storage.startupCheckTimeoutMs). */
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Wall clock, for the name of a damaged-files directory. */
  readonly clock: () => number;
}

/** What the check found, and what the broker does about it as it opens logs. */
export class DataDirCheck {
  private constructor(
    private readonly dataDir: string,
    private readonly clock: () => number,
    /** First damaged entry per log name: cut when the log opens. */
    private readonly repairs: Map<string, number>,
    /** Where damaged files went, when the directory was set aside. */
    public movedTo: string | undefined,
    private readonly log: Logger,
  ) {}

  /** Run the check (see the file comment). Never throws for what it finds on disk. */
  static async run(opts: DataDirCheckOptions): Promise<DataDirCheck> {
    const log = opts.logger.child({ component: "data-dir-check" });
    const check = (repairs: Map<string, number>): DataDirCheck => new DataDirCheck(opts.dataDir, opts.clock, repairs, undefined, log);
    if (!(await holdsStore(opts.dataDir))) return check(new Map());
    const marked = await readMarker(opts.dataDir);
    if (marked !== undefined) {
      const c = check(new Map());
      await c.setAside(`marked damaged while running: ${marked}`);
      return c;
    }
    const started = performance.now();
    const outcome = await verifyInChild(opts.dataDir, { timeoutMs: opts.timeoutMs, repair: true });
    const ms = Math.round(performance.now() - started);
    const verdict = judge(outcome);
    switch (verdict.kind) {
      case "unchecked":
        log.warn({ ms, reason: verdict.reason }, "start-up check of the data directory did not complete: starting without it (reads still check every checksum)");
        return check(new Map());
      case "untrusted": {
        const c = check(new Map());
        await c.setAside(`${verdict.reason} (checked in ${ms} ms)`);
        return c;
      }
      case "entries": {
        const cut = new Map(outcome.ok ? outcome.repaired : []);
        for (const [name, at] of verdict.repairs) {
          if (cut.get(name) === at) {
            log.error({ log: name, firstDamagedIndex: at }, "damaged entries found: the log was cut there and fetches the rest from its leader");
            verdict.repairs.delete(name);
          } else {
            log.error({ log: name, firstDamagedIndex: at }, "damaged entries found: the log is cut there when it opens and fetches the rest from its leader");
          }
        }
        if (cut.size === 0 && verdict.repairs.size === 0) log.info({ ms, entries: verdict.entries }, "start-up check of the data directory: every checksum holds");
        return check(verdict.repairs);
      }
    }
  }

  /** Move the directory's files aside (see the file comment): nothing in it is trusted any more. */
  async setAside(reason: string): Promise<void> {
    this.repairs.clear();
    this.movedTo = await moveAside(this.dataDir, this.clock());
    this.log.error(
      { reason, movedTo: this.movedTo },
      "data directory is damaged beyond its entries: its files moved aside; starting empty, as a lost disk (data comes back from the other replicas)",
    );
  }

  /**
   * Damage found while running that a cut cannot mend (a log's records or
   * the store's structure): the log stays closed, the broker goes on with
   * its other groups, and the next start sets the directory aside. Never
   * rejects.
   */
  async markDamaged(log: string, reason: string): Promise<void> {
    this.log.error({ log, reason }, "damage beyond the entries found while running: this replica stays closed (its peers serve it); restart the broker to rebuild the data directory from its peers");
    try {
      await writeFile(join(this.dataDir, DAMAGED_MARKER), `${log}: ${reason}\n`, { flag: "a" });
    } catch (err) {
      // Never rejects (callers do not wait): without the marker the next start's check finds what it can.
      this.log.error({ err: err instanceof Error ? err.message : String(err) }, "cannot write the damaged-directory marker");
    }
  }

  /** Logs still to repair (by name). */
  pending(): readonly string[] {
    return [...this.repairs.keys()];
  }

  /**
   * Repair `storage` (the log named `name`, just opened) if the check found
   * damage in it; retries a write that fails for lack of space.
   */
  async repairOnOpen(name: string, storage: LogStorage): Promise<void> {
    const at = this.repairs.get(name);
    if (at === undefined) return;
    await this.cut(name, storage, at);
    this.repairs.delete(name);
  }

  /** Cut the log `name` from the damaged entry `at` (LogStorage.repair); retries a write that fails on the disk. */
  async cut(name: string, storage: LogStorage, at: number): Promise<void> {
    await repairRetrying(storage, index(at), this.log.child({ log: name }), () => false);
    const hs = storage.hardState();
    this.log.warn({ log: name, from: at, lastIndex: storage.lastIndex(), promiseIndex: hs.promise?.index, promiseTerm: hs.promise?.term }, "damaged log cut before it opens");
  }
}

type Verdict =
  | { readonly kind: "unchecked"; readonly reason: string }
  | { readonly kind: "untrusted"; readonly reason: string }
  | { readonly kind: "entries"; readonly repairs: Map<string, number>; readonly entries: number };

/** What an outcome of the check means for the directory. */
export function judge(outcome: VerifyOutcome): Verdict {
  if (!outcome.ok) {
    // A crash or LMDB's own corruption report is the file's fault; a timeout or a child that could not run is not known to be.
    if (outcome.failure === "signal" || outcome.failure === "storage-engine") return { kind: "untrusted", reason: `${outcome.failure}: ${outcome.reason}` };
    return { kind: "unchecked", reason: `${outcome.failure}: ${outcome.reason}` };
  }
  const r = outcome.report;
  if (r.storeRecords.length > 0) return { kind: "untrusted", reason: `store records damaged: ${r.storeRecords.map((d) => `${d.record}: ${d.message}`).join("; ")}` };
  const badRecords = r.logs.filter((l) => l.damagedRecords.length > 0 || !l.entriesVerified);
  if (badRecords.length > 0) {
    const first = badRecords[0]!;
    return { kind: "untrusted", reason: `records of ${badRecords.length} log(s) damaged, first ${first.name}: ${first.damagedRecords.map((d) => `${d.record}: ${d.message}`).join("; ")}` };
  }
  const repairs = new Map<string, number>();
  for (const l of r.logs) if (l.firstDamagedIndex !== undefined) repairs.set(l.name, l.firstDamagedIndex);
  return { kind: "entries", repairs, entries: r.entriesChecked };
}

/** Whether `dir` holds an LMDB store (a new or missing directory has nothing to check). */
async function holdsStore(dir: string): Promise<boolean> {
  try {
    return (await stat(join(dir, "data.mdb"))).isFile();
  } catch {
    return false;
  }
}

/** The reason a DAMAGED marker records, or undefined when there is none. */
async function readMarker(dir: string): Promise<string | undefined> {
  try {
    return (await readFile(join(dir, DAMAGED_MARKER), "utf8")).trim();
  } catch {
    return undefined;
  }
}

/** Move every file of `dir` into a new `damaged-<time>` directory inside it (a mount point cannot be renamed); older ones are deleted. */
async function moveAside(dir: string, nowMs: number): Promise<string> {
  const names = await readdir(dir);
  const to = join(dir, `${DAMAGED_DIR_PREFIX}${new Date(nowMs).toISOString().replace(/[:.]/g, "-")}`);
  for (const n of names) if (n.startsWith(DAMAGED_DIR_PREFIX)) await rm(join(dir, n), { recursive: true, force: true });
  await mkdir(to);
  for (const n of names) if (!n.startsWith(DAMAGED_DIR_PREFIX)) await rename(join(dir, n), join(to, n));
  return to;
}
