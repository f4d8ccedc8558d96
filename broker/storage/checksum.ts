/**
 * CRC-32C (Castagnoli), the checksum of every stored entry and record
 * (docs/STORAGE.md, "Checksums"). A thin wrapper over @node-rs/crc32, a
 * native SIMD implementation (prebuilt binaries, no install scripts), so the
 * rest of the storage code names one function and the choice of library
 * lives here.
 *
 * CRC-32C rather than CRC-32: it is what iSCSI, ext4 metadata, Kafka record
 * batches and LevelDB/RocksDB blocks use, and x86 (SSE4.2) and ARMv8 compute
 * it in hardware.
 */
import { crc32c as nativeCrc32c } from "@node-rs/crc32";

/**
 * CRC-32C of `bytes` (only the view's own bytes), as an unsigned 32-bit
 * number. `seed` continues an earlier CRC: crc32c(b, crc32c(a)) equals the
 * CRC of a followed by b.
 */
export function crc32c(bytes: Uint8Array, seed = 0): number {
  return nativeCrc32c(bytes, seed) >>> 0;
}
