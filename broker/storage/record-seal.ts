/**
 * The checksum envelope of every stored record that is not an entry (hard
 * state, snapshot point, segment catalog record, log registry, store record,
 * broker identity): one prefix byte RECORD_SEAL (0xC1, the one byte msgpack
 * never uses, so no msgpack value starts with it), a CRC-32C as a
 * little-endian u32, then the msgpack body. The CRC covers the record's LMDB
 * key, then its body, so a record found under another key than the one it
 * was written under (a damaged key byte in a B-tree page) fails its check:
 *
 *     [0xC1][crc32c(key ++ body) u32 LE][body ...]
 *
 * A value without the prefix was written before checksums (legacy) and is
 * returned unchecked. A sealed value whose CRC does not match, or that is
 * shorter than its envelope, is corrupt. A damaged prefix byte makes a sealed
 * value look legacy; its body then starts with four CRC bytes, which the
 * decoder's shape checks refuse in all but rare cases (documented in
 * docs/STORAGE.md, "Checksums").
 */
import { StorageError } from "../raft/log-storage.js";
import { crc32c } from "./checksum.js";

/** First byte of a sealed record (msgpack never uses 0xC1). */
export const RECORD_SEAL = 0xc1;
/** Bytes of the envelope in front of the body. */
export const RECORD_SEAL_BYTES = 5;

/** Wrap a msgpack body, to be stored under `key`, in the checksum envelope (a new buffer). */
export function sealRecord(body: Uint8Array, key: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(RECORD_SEAL_BYTES + body.byteLength);
  out[0] = RECORD_SEAL;
  out.writeUInt32LE(crc32c(body, crc32c(key)), 1);
  out.set(body, RECORD_SEAL_BYTES);
  return out;
}

/**
 * The body of the record stored under `key`, checked when sealed (a legacy
 * value is returned as is). Throws StorageError CORRUPT_RECORD, naming `what`
 * and `log` (the log's name; omitted for store-wide records).
 */
export function openRecord(v: Uint8Array, key: Uint8Array, what: string, log?: string): Uint8Array {
  if (v.byteLength === 0) throw corruptRecord(`empty ${what} record`, log);
  if (v[0] !== RECORD_SEAL) return v;
  if (v.byteLength < RECORD_SEAL_BYTES) throw corruptRecord(`${what} record of ${v.byteLength} bytes is shorter than its checksum envelope`, log);
  const body = v.subarray(RECORD_SEAL_BYTES);
  const stored = (v[1]! | (v[2]! << 8) | (v[3]! << 16) | (v[4]! << 24)) >>> 0;
  if (crc32c(body, crc32c(key)) !== stored) throw corruptRecord(`${what} record checksum mismatch`, log);
  return body;
}

/** StorageError CORRUPT_RECORD for `log` (or a store-wide record). */
export function corruptRecord(message: string, log?: string): StorageError {
  return new StorageError("CORRUPT_RECORD", log === undefined ? message : `${log}: ${message}`, log === undefined ? {} : { log });
}
