/**
 * Cluster secret comparison. Both sides are hashed first so the compare
 * takes the same time whatever the lengths, then compared with
 * timingSafeEqual: the time taken says nothing about how much of a guess
 * was right.
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** Whether `given` equals `expected`, in time independent of their contents. */
export function secretMatches(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}
