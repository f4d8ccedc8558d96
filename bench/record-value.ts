/**
 * Record values the bench writes: `recordBytes` bytes, of which the first 16
 * are a stamp and the rest either incompressible filler (`random`, the
 * default: a codec must not flatter the figures) or JSON-like text
 * (`json`: order and event documents with realistic field names and repeated
 * structure, what compression is for; see jsonFiller).
 *
 *   [0, 8)    float64 LE  intended send time, ms since the epoch (sub-ms)
 *   [8, 12)   uint32 LE   writer: which bench producer wrote it
 *   [12, 16)  uint32 LE   seq: the writer's record number, from 0
 *
 * The send time is the time the record was scheduled, not when the event
 * loop got to it, so that a stalled sender shows up as latency
 * (no coordinated omission).
 */

/** Smallest record the stamp fits in. */
export const STAMP_BYTES = 16;

/** Kinds of value the bench can write (`--values`). */
export const VALUE_KINDS = ["random", "json"] as const;

/** A kind of value. */
export type ValueKind = (typeof VALUE_KINDS)[number];

/** What a value's stamp says. */
export interface Stamp {
  readonly sentEpochMs: number;
  readonly writer: number;
  readonly seq: number;
}

/** Deterministic incompressible bytes (xorshift32). */
export function filler(bytes: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let x = seed >>> 0 || 1;
  for (let k = 0; k < bytes; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[k] = x & 0xff;
  }
  return out;
}

/** A new value: `fill` with a stamp written over its first bytes. */
export function stampedValue(fill: Buffer, stamp: Stamp): Buffer {
  if (fill.length < STAMP_BYTES) throw new RangeError(`records must have at least ${STAMP_BYTES} bytes, got ${fill.length}`);
  const out = Buffer.allocUnsafe(fill.length);
  fill.copy(out);
  out.writeDoubleLE(stamp.sentEpochMs, 0);
  out.writeUInt32LE(stamp.writer >>> 0, 8);
  out.writeUInt32LE(stamp.seq >>> 0, 12);
  return out;
}

/** The stamp of a value, or undefined if it is too short to hold one. */
export function readStamp(value: Uint8Array): Stamp | undefined {
  if (value.length < STAMP_BYTES) return undefined;
  const view = new DataView(value.buffer, value.byteOffset, STAMP_BYTES);
  return { sentEpochMs: view.getFloat64(0, true), writer: view.getUint32(8, true), seq: view.getUint32(12, true) };
}

/** A key unique per (writer, seq), for sets of records. */
export function recordKey(writer: number, seq: number): number {
  return writer * 2 ** 32 + seq;
}

/**
 * A seeded 32-bit generator (mulberry32): the same seed gives the same
 * documents on every run and in every process.
 */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EVENT_TYPES = ["order.created", "order.paid", "order.shipped", "order.cancelled", "cart.updated", "payment.refunded"] as const;
const CURRENCIES = ["EUR", "USD", "GBP", "CHF"] as const;
const CITIES = ["Lyon", "Berlin", "Leeds", "Porto", "Gdansk", "Utrecht", "Bologna", "Aarhus"] as const;
const PRODUCTS = ["espresso beans 1kg", "oat milk 6x1l", "ceramic mug", "pour-over kettle", "paper filters x100", "grinder burr set", "travel tumbler", "descaler"] as const;
const WORDS = ["please", "leave", "the", "parcel", "at", "door", "ring", "twice", "gift", "wrap", "no", "invoice", "side", "entrance", "call", "on", "arrival"] as const;

function pick<T>(rnd: () => number, from: readonly T[]): T {
  return from[Math.floor(rnd() * from.length)]!;
}

/** A decimal string with two places, e.g. "17.40". */
function money(rnd: () => number, max: number): string {
  return (Math.floor(rnd() * max * 100) / 100).toFixed(2);
}

/**
 * `bytes` bytes of JSON-like text: an order/event document (about 1 KiB at
 * the default size) with the field names and shape a shop's event stream
 * has, and values drawn from small vocabularies by a seeded generator, so
 * that a batch of them compresses the way real JSON does (gzip about 7x
 * over a batch) rather than not at all (random) or absurdly well (zeros).
 * The first STAMP_BYTES are left as spaces for the stamp; the document is
 * padded with a `note` of words (or cut, for records smaller than one
 * document) to exactly `bytes`.
 */
export function jsonFiller(bytes: number, seed: number): Buffer {
  const rnd = seeded(seed);
  const body = bytes - STAMP_BYTES;
  const items: string[] = [];
  const head =
    `{"type":"${pick(rnd, EVENT_TYPES)}","version":3,"eventId":"evt-${Math.floor(rnd() * 1e9).toString(16).padStart(8, "0")}",` +
    `"occurredAt":"2026-12-02T${String(Math.floor(rnd() * 24)).padStart(2, "0")}:${String(Math.floor(rnd() * 60)).padStart(2, "0")}:${String(Math.floor(rnd() * 60)).padStart(2, "0")}.${String(Math.floor(rnd() * 1000)).padStart(3, "0")}Z",` +
    `"order":{"orderId":"ord-${String(Math.floor(rnd() * 1e7)).padStart(7, "0")}","currency":"${pick(rnd, CURRENCIES)}","status":"open",` +
    `"customer":{"customerId":"cus-${String(Math.floor(rnd() * 1e6)).padStart(6, "0")}","tier":"${rnd() < 0.2 ? "gold" : "standard"}",` +
    `"shippingAddress":{"city":"${pick(rnd, CITIES)}","postalCode":"${String(Math.floor(rnd() * 1e5)).padStart(5, "0")}","country":"${pick(rnd, ["FR", "DE", "GB", "PT", "PL", "NL", "IT", "DK"])}"}},` +
    `"items":[`;
  let text = head;
  const tail = (): string => `],"total":"${money(rnd, 400)}"},"source":"web","note":"`;
  // Items until the document (with its tail) nearly fills the record; at least one.
  for (let k = 0; k < 64; k++) {
    const item = `{"sku":"SKU-${String(Math.floor(rnd() * 1e5)).padStart(5, "0")}","name":"${pick(rnd, PRODUCTS)}","quantity":${1 + Math.floor(rnd() * 4)},"unitPrice":"${money(rnd, 60)}"}`;
    if (k > 0 && text.length + 1 + item.length + 60 > body) break;
    items.push(item);
    text = head + items.join(",");
  }
  text += tail();
  const close = '"}';
  while (text.length + close.length < body) text += `${pick(rnd, WORDS)} `;
  text = text.slice(0, Math.max(0, body - close.length)) + close;
  const out = Buffer.alloc(bytes, 0x20);
  out.write(text.slice(0, body), STAMP_BYTES, "latin1");
  return out;
}

/**
 * `count` distinct stamped values of one writer, of the given kind: the pool
 * a throughput producer cycles through. Every value has its own filler
 * (random: its own xorshift seed; json: its own document), seeded by writer
 * and position: values sharing one filler would make a batch of "random"
 * records compress 50 to 1, flattering any codec.
 */
export function valuePool(kind: ValueKind, bytes: number, writer: number, count: number): Buffer[] {
  return Array.from({ length: count }, (_, seq) => {
    const seed = ((writer + 1) * 1_000_003 + seq * 7_919 + 1) >>> 0 || 1;
    return stampedValue(kind === "random" ? filler(bytes, seed) : jsonFiller(bytes, seed), { sentEpochMs: 0, writer, seq });
  });
}
