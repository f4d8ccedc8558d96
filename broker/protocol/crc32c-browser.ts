/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) in plain
 * JavaScript: what the browser build of the SDK uses in place of
 * crc32c.ts (whose @node-rs/crc32 is a native module). The bundler swaps
 * the file (client/browser/bundle.ts); Node keeps the native one, and a unit
 * test checks that both agree.
 *
 * Slicing by 4: four 256-entry tables, one 32-bit step per four bytes
 * (about 4x the byte-at-a-time loop; a browser checks only fetched and
 * produced batches, so this is not on a hot server path).
 */
import type { crc32c as nativeCrc32c } from "./crc32c.js";

const POLYNOMIAL = 0x82f63b78;

/** TABLES[k][b]: the CRC contribution of byte b followed by k zero bytes. */
const TABLES: readonly Uint32Array[] = (() => {
  const t0 = new Uint32Array(256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    t0[b] = c >>> 0;
  }
  const tables = [t0];
  for (let k = 1; k < 4; k++) {
    const prev = tables[k - 1]!;
    const t = new Uint32Array(256);
    for (let b = 0; b < 256; b++) t[b] = ((prev[b]! >>> 8) ^ t0[prev[b]! & 0xff]!) >>> 0;
    tables.push(t);
  }
  return tables;
})();

/** CRC-32C of `bytes` (the view's own bytes) as an unsigned 32-bit number. */
export const crc32c: typeof nativeCrc32c = (bytes: Uint8Array): number => {
  const [t0, t1, t2, t3] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let c = 0xffffffff;
  let i = 0;
  const end4 = bytes.length - (bytes.length % 4);
  for (; i < end4; i += 4) {
    c ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    c = t3[c & 0xff]! ^ t2[(c >>> 8) & 0xff]! ^ t1[(c >>> 16) & 0xff]! ^ t0[c >>> 24]!;
  }
  for (; i < bytes.length; i++) c = t0[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
