/**
 * A check of LMDB's free list, read straight from data.mdb (lmdb-js gives no
 * access to it). LMDB trusts the page numbers it lists: a damaged one is
 * handed out by the next write transaction that needs a page. A number past
 * the file's last page makes that write fail (EFBIG when it lies past the
 * largest file the filesystem allows: every write of the store fails, the
 * broker stops, and after a restart the scan would find nothing and the same
 * write would fail again: a crash loop, seen in the corruption test with a
 * free page number 0x7d00000bcd, one flipped byte); a number of a live page
 * would let LMDB overwrite it. So a free page number outside the file's
 * pages (2 .. last page), a page listed twice (runs that overlap: LMDB
 * refuses to commit a free list like that, MDB_BAD_TXN, so every write
 * failed, seen in the corruption test too), or a free list that cannot be
 * walked, is damage to LMDB's structure, as a key out of order is (see
 * verify.ts).
 *
 * Layout (LMDB 0.9.90 as built by lmdb-js, 64-bit little-endian; see
 * node_modules/lmdb/dependencies/lmdb/libraries/liblmdb/mdb.c): a page
 * starts with a 24-byte header (pgno u64, txnid u64, pad u16, flags u16,
 * lower u16, upper u16); pages 0 and 1 are the meta pages, whose MDB_meta
 * follows the header (magic u32, version u32, address u64, mapsize u64, two
 * 48-byte MDB_db records: free DB, main DB, then last page u64 and txnid
 * u64); the page size is the free DB's md_pad. LMDB uses the meta with the
 * higher txnid. The free DB is a B-tree keyed by txnid whose values are ID
 * lists: a u64 count, then that many u64 slots, each a page number, 0 (an
 * empty slot) or a negative run length -n (the next page number starts a
 * run of n free pages): lmdb-js's LMDB finds contiguous runs this way
 * (mdb_page_alloc).
 *
 * What it cannot see: a damaged number that still names a page of the file
 * (an empty slot flipped to a live page's number, say); LMDB would reuse
 * that page while it is live.
 *
 * Never throws and never loops: every read is bounds-checked, every page is
 * visited at most once, and depth is bounded.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

const MDB_MAGIC = 0xbeefc0de;
const PAGE_HEADER_BYTES = 24;
const META_OFFSET = PAGE_HEADER_BYTES;
/** Offsets inside MDB_meta. */
const META_DBS = 24;
const DB_BYTES = 48;
const META_LAST_PAGE = META_DBS + 2 * DB_BYTES;
const META_TXNID = META_LAST_PAGE + 8;
/** Offsets inside MDB_db. */
const DB_PAD = 0;
const DB_DEPTH = 6;
const DB_ROOT = 40;
/** Page flags. */
const P_BRANCH = 0x01;
const P_LEAF = 0x02;
const P_OVERFLOW = 0x04;
/** Node flag: the value lives on overflow pages. */
const F_BIGDATA = 0x01;
const NODE_HEADER_BYTES = 8;
/** An empty tree's root. */
const P_INVALID = 0xffff_ffff_ffff_ffffn;
/** Deeper than any real tree (LMDB's own cursor stack is 32). */
const DEPTH_MAX = 32;
/** Page sizes LMDB accepts. */
const PAGE_BYTES_MIN = 512;
const PAGE_BYTES_MAX = 65536;

/** What the check found: undefined when the free list is intact (or there is nothing to check). */
export type FreeListProblem = string | undefined;

interface Meta {
  readonly txnid: bigint;
  readonly pageBytes: number;
  readonly lastPage: number;
  readonly freeRoot: bigint;
  readonly freeDepth: number;
}

/**
 * Check the free list of the LMDB file `file` (see the file comment).
 * `onFreePage` sees each free page number and the file position of its 8
 * bytes (for tests and tools).
 */
export function checkFreeList(file: string, onFreePage: (page: number, position: number) => void = () => undefined): FreeListProblem {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return undefined; // no file: nothing to check (the scan says what is missing)
  }
  try {
    return checkOpen(fd, fstatSync(fd).size, onFreePage);
  } finally {
    closeSync(fd);
  }
}

function readAt(fd: number, position: number, bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  const n = readSync(fd, b, 0, bytes, position);
  return n === bytes ? b : b.subarray(0, n);
}

function readMeta(fd: number, position: number): Meta | undefined {
  const b = readAt(fd, position + META_OFFSET, META_TXNID + 8);
  if (b.byteLength < META_TXNID + 8 || b.readUInt32LE(0) !== MDB_MAGIC) return undefined;
  const free = META_DBS;
  return {
    txnid: b.readBigUInt64LE(META_TXNID),
    pageBytes: b.readUInt32LE(free + DB_PAD),
    lastPage: Number(b.readBigUInt64LE(META_LAST_PAGE)),
    freeRoot: b.readBigUInt64LE(free + DB_ROOT),
    freeDepth: b.readUInt16LE(free + DB_DEPTH),
  };
}

function checkOpen(fd: number, fileBytes: number, onFreePage: (page: number, position: number) => void): FreeListProblem {
  const first = readMeta(fd, 0);
  if (first === undefined) return undefined; // not a meta page LMDB would accept: opening the store fails on its own
  const pageBytes = first.pageBytes;
  if (pageBytes < PAGE_BYTES_MIN || pageBytes > PAGE_BYTES_MAX || (pageBytes & (pageBytes - 1)) !== 0) return `meta page: page size ${pageBytes}`;
  const second = readMeta(fd, pageBytes);
  const meta = second !== undefined && second.txnid > first.txnid ? second : first;
  const pagesInFile = Math.floor(fileBytes / pageBytes);
  if (!Number.isSafeInteger(meta.lastPage) || meta.lastPage < 1) return `meta page: last page ${meta.lastPage}`;
  if (meta.freeRoot === P_INVALID) return undefined; // an empty free list
  const visited = new Set<number>();
  /** Every free run [first, last] found, to check that none overlaps another. */
  const runs: [number, number][] = [];
  /** Page `n` as a number, or what is wrong with it: a page to read must lie in the file; a free page may lie past its end (LMDB: "the file may be shorter if the freeDB lists the final pages"). */
  const pageOf = (n: bigint | number, what: string, read = true): number | string => {
    const p = Number(n);
    const end = read ? Math.min(meta.lastPage, pagesInFile - 1) : meta.lastPage;
    if (!Number.isSafeInteger(p) || p < 2 || p > end) return `${what}: page 0x${n.toString(16)} is outside the pages 2..${end}`;
    return p;
  };

  const walk = (pageNo: bigint | number, depth: number): FreeListProblem => {
    const p = pageOf(pageNo, "free list tree");
    if (typeof p === "string") return p;
    if (depth > Math.max(meta.freeDepth, 1) || depth > DEPTH_MAX) return `free list tree deeper than its recorded depth ${meta.freeDepth}`;
    if (visited.has(p)) return `free list tree visits page ${p} twice`;
    visited.add(p);
    const page = readAt(fd, p * pageBytes, pageBytes);
    if (page.byteLength < pageBytes) return `free list page ${p} is past the end of the file`;
    const flags = page.readUInt16LE(18);
    const lower = page.readUInt16LE(20);
    const keys = lower >> 1;
    if (PAGE_HEADER_BYTES + 2 * keys > pageBytes) return `free list page ${p}: ${keys} keys do not fit`;
    if ((flags & (P_BRANCH | P_LEAF)) === 0) return `free list page ${p}: flags ${flags.toString(16)} name neither a branch nor a leaf`;
    for (let i = 0; i < keys; i++) {
      const at = page.readUInt16LE(PAGE_HEADER_BYTES + 2 * i) + PAGE_HEADER_BYTES;
      if (at + NODE_HEADER_BYTES > pageBytes) return `free list page ${p}: node ${i} outside the page`;
      const lo = page.readUInt16LE(at);
      const hi = page.readUInt16LE(at + 2);
      const nodeFlags = page.readUInt16LE(at + 4);
      const keyBytes = page.readUInt16LE(at + 6);
      if ((flags & P_BRANCH) !== 0) {
        const problem = walk(BigInt(lo) | (BigInt(hi) << 16n) | (BigInt(nodeFlags) << 32n), depth + 1);
        if (problem !== undefined) return problem;
        continue;
      }
      const dataBytes = lo | (hi << 16);
      const dataAt = at + NODE_HEADER_BYTES + keyBytes;
      let ids: Buffer;
      let idsAt: number;
      if ((nodeFlags & F_BIGDATA) !== 0) {
        if (dataAt + 8 > pageBytes) return `free list page ${p}: node ${i} outside the page`;
        const o = pageOf(page.readBigUInt64LE(dataAt), `free list page ${p}, node ${i}: overflow`);
        if (typeof o === "string") return o;
        const pages = Math.ceil((PAGE_HEADER_BYTES + dataBytes) / pageBytes);
        if (o + pages - 1 > meta.lastPage || o + pages > pagesInFile) return `free list page ${p}, node ${i}: overflow pages ${o}..${o + pages - 1} past the end`;
        const head = readAt(fd, o * pageBytes, PAGE_HEADER_BYTES);
        if (head.byteLength < PAGE_HEADER_BYTES || (head.readUInt16LE(18) & P_OVERFLOW) === 0) return `free list page ${p}, node ${i}: page ${o} is not an overflow page`;
        idsAt = o * pageBytes + PAGE_HEADER_BYTES;
        ids = readAt(fd, idsAt, dataBytes);
        if (ids.byteLength < dataBytes) return `free list page ${p}, node ${i}: overflow past the end of the file`;
      } else {
        if (dataAt + dataBytes > pageBytes) return `free list page ${p}: node ${i} outside the page`;
        idsAt = p * pageBytes + dataAt;
        ids = page.subarray(dataAt, dataAt + dataBytes);
      }
      if (ids.byteLength < 8) return `free list page ${p}, node ${i}: an ID list of ${ids.byteLength} bytes`;
      const count = ids.readBigUInt64LE(0);
      if (count > BigInt(ids.byteLength / 8 - 1)) return `free list page ${p}, node ${i}: ${count} free pages in ${ids.byteLength} bytes`;
      // lmdb-js's LMDB packs runs: 0 is an empty slot, -n (as a signed u64) says the next number starts a run of n pages.
      let run = 1;
      for (let k = 1; k <= Number(count); k++) {
        const v = ids.readBigInt64LE(8 * k);
        if (v === 0n) continue;
        if (v < 0n) {
          if (-v > BigInt(meta.lastPage)) return `free list page ${p}, node ${i}: a run of ${-v} pages, more than the file's ${meta.lastPage}`;
          run = Number(-v);
          continue;
        }
        const free = pageOf(v, `free list page ${p}, node ${i}: free page`, false);
        if (typeof free === "string") return free;
        if (free + run - 1 > meta.lastPage) return `free list page ${p}, node ${i}: free pages ${free}..${free + run - 1} past the last page ${meta.lastPage}`;
        onFreePage(free, idsAt + 8 * k);
        runs.push([free, free + run - 1]);
        run = 1;
      }
    }
    return undefined;
  };
  const problem = walk(meta.freeRoot, 1);
  if (problem !== undefined) return problem;
  // A page listed twice would be handed out twice (lmdb-js's LMDB refuses to commit such a list: MDB_BAD_TXN, every time).
  runs.sort((a, b) => a[0] - b[0]);
  for (let k = 1; k < runs.length; k++) {
    if (runs[k]![0] <= runs[k - 1]![1]) return `free pages ${runs[k - 1]![0]}..${runs[k - 1]![1]} and ${runs[k]![0]}..${runs[k]![1]} overlap`;
  }
  return undefined;
}
