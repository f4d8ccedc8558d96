/** Shared helpers for protocol tests. */

/** Deep copy with every Uint8Array (including Buffer) as a plain Uint8Array, for deepEqual. */
export function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** Deep clone of a decoded-like value as a mutable map (bytes kept as is). */
export function mutable(v: unknown): Record<string, unknown> {
  const copy = (x: unknown): unknown => {
    if (x instanceof Uint8Array) return x;
    if (Array.isArray(x)) return x.map(copy);
    if (typeof x === "object" && x !== null) return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, copy(y)]));
    return x;
  };
  return copy(v) as Record<string, unknown>;
}
