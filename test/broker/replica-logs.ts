/**
 * Every replica's copy of every Raft log, read from stopped brokers' LMDB
 * files: one digest per entry (index, term, offset, data hash) from the
 * highest first index to the highest commit index among the copies. Equal
 * copies have equal digest lists; a copy that lacks committed entries is
 * shorter.
 */
import { createHash } from "node:crypto";
import { LogStore } from "../../broker/storage/log-store.js";
import type { LmdbLog } from "../../broker/storage/lmdb-log.js";
import { index } from "../../broker/raft/types.js";

export interface ReplicaCopy {
  readonly log: string;
  readonly broker: number;
  readonly commit: number;
  readonly entries: string[];
}

const SETTINGS = { segmentBytes: 64 << 20, segmentMs: 7 * 86400_000 };

/** Read every log of every broker's data directory (the brokers must be stopped). */
export async function readReplicaLogs(brokers: readonly { readonly id: number; readonly dataDir: string }[], filter: (log: string) => boolean = () => true): Promise<ReplicaCopy[]> {
  const stores = await Promise.all(brokers.map(async (b) => ({ id: b.id, store: await LogStore.open({ path: b.dataDir }) })));
  try {
    const names = new Set(stores.flatMap((s) => s.store.listLogs()).filter(filter));
    const out: ReplicaCopy[] = [];
    for (const name of [...names].sort()) {
      const copies: { broker: number; log: LmdbLog }[] = [];
      for (const s of stores) if (s.store.listLogs().includes(name)) copies.push({ broker: s.id, log: await s.store.openLog(name, SETTINGS) });
      const commit = Math.max(...copies.map((c) => c.log.hardState().commit));
      const first = Math.max(...copies.map((c) => c.log.firstIndex()));
      for (const c of copies) {
        const end = Math.min(commit, c.log.lastIndex()) + 1;
        const entries = (end <= first ? [] : c.log.entries(index(first), index(end), Infinity)).map((e) => `${e.index}/${e.term}/${e.offset}/${createHash("sha1").update(e.data).digest("hex")}`);
        out.push({ log: name, broker: c.broker, commit, entries });
      }
    }
    return out;
  } finally {
    await Promise.all(stores.map((s) => s.store.close()));
  }
}
