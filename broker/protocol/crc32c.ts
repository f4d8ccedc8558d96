/**
 * CRC-32C (Castagnoli) for record batches, the one place broker/protocol
 * names its implementation: @node-rs/crc32, native and SIMD (prebuilt per
 * platform, no install script), as broker/storage/checksum.ts uses for
 * stored entries. The browser build of the SDK swaps this file for
 * crc32c-browser.ts (plain JavaScript; client/browser/bundle.ts); nothing else in the protocol loads a native
 * module unless a codec is used (compression.ts).
 */
import { crc32c as nativeCrc32c } from "@node-rs/crc32";

/** CRC-32C of `bytes` (the view's own bytes) as an unsigned 32-bit number. */
export function crc32c(bytes: Uint8Array): number {
  return nativeCrc32c(bytes) >>> 0;
}
