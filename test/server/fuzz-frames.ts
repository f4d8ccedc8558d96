/**
 * A seeded generator of hostile client frames, for fuzzing anything that
 * listens to clients: the listener with fake handlers (test/server/fuzz.test.ts)
 * and the real broker (test/broker/fuzz.integration.test.ts). One seed gives the same frames in the same order.
 *
 * Kinds (see FuzzKind): valid requests with random ids; random bytes;
 * byte-level mutations of valid frames; structural mutations of valid
 * requests (a field deleted, retyped, set to a huge, negative, fractional,
 * NaN or bigint number, an over-long string or array, an extra field, a
 * different op, a bad id); truncated frames; frames with trailing bytes;
 * msgpack values that are not maps; msgpackr extension values (Date, Set,
 * typed arrays, records); very deep nesting; handshakes mid-stream; text
 * frames; empty frames; frames just over frameBytesMax.
 *
 * Usage:
 *   const gen = new FuzzFrameGenerator(seed, { limits });
 *   const { kind, data } = gen.next();
 *   ws.send(data, { binary: typeof data !== "string" });
 */
import { Packr } from "msgpackr";
import { encodeRequest } from "../../broker/protocol/frames.js";
import { DEFAULT_LIMITS, FIXED_LIMITS, type Limits } from "../../broker/protocol/limits.js";
import { clientPackr } from "../../broker/protocol/msgpack.js";
import { OPS, type Request } from "../../broker/protocol/ops.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { SAMPLE_REQUESTS } from "../protocol/samples.js";

/** What a generated frame is, for counting and for failure messages. */
export type FuzzKind =
  | "valid"
  | "random-bytes"
  | "byte-mutation"
  | "field-mutation"
  | "truncated"
  | "trailing-bytes"
  | "non-map"
  | "msgpack-extension"
  | "deep-nesting"
  | "handshake"
  | "text"
  | "empty"
  | "oversized";

/** One generated frame. */
export interface FuzzFrame {
  readonly kind: FuzzKind;
  /** Bytes for a binary message, or a string for a text message. */
  readonly data: Uint8Array | string;
}

/** Generator settings. */
export interface FuzzFrameOptions {
  /**
   * The target's limits: "oversized" frames are just over frameBytesMax, and
   * strings and arrays are made just over stringLengthMax and arrayLengthMax
   * when that fits in a frame. Default DEFAULT_LIMITS.
   */
  readonly limits?: Limits;
  /** Relative weight of each kind; kinds left out keep their default, 0 turns a kind off. */
  readonly weights?: Partial<Record<FuzzKind, number>>;
  /** Valid requests to start from. Default: one sample of every op but handshake. */
  readonly samples?: readonly Request[];
}

/** Default weights: mostly damaged requests, some valid ones, a few connection-closing kinds. */
export const DEFAULT_FUZZ_WEIGHTS: Readonly<Record<FuzzKind, number>> = Object.freeze({
  valid: 20,
  "random-bytes": 4,
  "byte-mutation": 15,
  "field-mutation": 50,
  truncated: 4,
  "trailing-bytes": 2,
  "non-map": 2,
  "msgpack-extension": 3,
  "deep-nesting": 1,
  handshake: 1,
  text: 1,
  empty: 0.5,
  oversized: 0.5,
});

/** msgpack bytes that change the meaning of what follows (type markers, lengths). */
const SPECIAL_BYTES = [0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcf, 0xd3, 0xd4, 0xd6, 0xd7, 0xd8, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff];

/** Packs extension values (Date, Set, Map, typed arrays) and records, which clients must not send. */
const extensionPackr = new Packr({ useRecords: true, moreTypes: true });

/** The seeded frame generator; see the file comment. */
export class FuzzFrameGenerator {
  private readonly rnd: SeededRandom;
  private readonly limits: Limits;
  private readonly samples: readonly Request[];
  private readonly kinds: readonly FuzzKind[];
  private readonly cumulative: readonly number[];

  constructor(seed: number, options: FuzzFrameOptions = {}) {
    this.rnd = new SeededRandom(seed);
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.samples = options.samples ?? OPS.filter((op) => op !== "handshake").map((op) => SAMPLE_REQUESTS[op]);
    if (this.samples.length === 0) throw new Error("fuzz: no sample requests");
    const weights = { ...DEFAULT_FUZZ_WEIGHTS, ...options.weights };
    this.kinds = (Object.keys(weights) as FuzzKind[]).filter((k) => weights[k] > 0);
    let sum = 0;
    this.cumulative = this.kinds.map((k) => (sum += weights[k]));
    if (sum <= 0) throw new Error("fuzz: every kind has weight 0");
  }

  /** The next frame. */
  next(): FuzzFrame {
    const kind = this.pickKind();
    return { kind, data: this.make(kind) };
  }

  private pickKind(): FuzzKind {
    const total = this.cumulative[this.cumulative.length - 1] ?? 0;
    const x = this.rnd.next() * total;
    const i = this.cumulative.findIndex((c) => x < c);
    return this.kinds[i === -1 ? this.kinds.length - 1 : i] ?? "valid";
  }

  private make(kind: FuzzKind): Uint8Array | string {
    const rnd = this.rnd;
    switch (kind) {
      case "valid":
        return this.validFrame();
      case "random-bytes":
        return randomBytes(rnd, rnd.chance(0.9) ? rnd.int(64) : rnd.int(4096));
      case "byte-mutation":
        return mutateBytes(rnd, this.validFrame());
      case "field-mutation":
        return this.fieldMutation();
      case "truncated": {
        const frame = this.validFrame();
        return frame.subarray(0, rnd.int(frame.byteLength));
      }
      case "trailing-bytes": {
        const frame = this.validFrame();
        return concat(frame, rnd.chance(0.5) ? this.validFrame() : randomBytes(rnd, 1 + rnd.int(8)));
      }
      case "non-map":
        return clientPackr.pack(rnd.pick<unknown>([null, 42, -1, "metadata", [1, "metadata"], true, 1.5, new Uint8Array([1, 2]), [{ id: 1, op: "metadata" }]]));
      case "msgpack-extension":
        return this.extensionFrame();
      case "deep-nesting":
        return this.deepNesting();
      case "handshake":
        return encodeRequest(this.randomId(), { op: "handshake", version: rnd.pick([0, 1, 2, 0xffff]), clientId: "fuzz" }, Number.MAX_SAFE_INTEGER);
      case "text":
        return rnd.pick(['{"id":1,"op":"metadata"}', "", "hello", "\u{1F4A5}".repeat(1 + rnd.int(10))]);
      case "empty":
        return new Uint8Array(0);
      case "oversized":
        return new Uint8Array(this.limits.frameBytesMax + 1 + rnd.int(64)).fill(0x90);
    }
  }

  /** A request id: mostly valid, unique-ish; the mutations take care of bad ones. */
  private randomId(): number {
    return 1 + this.rnd.int(FIXED_LIMITS.requestIdMax);
  }

  private validFrame(): Uint8Array {
    return encodeRequest(this.randomId(), this.rnd.pick(this.samples), Number.MAX_SAFE_INTEGER);
  }

  private fieldMutation(): Uint8Array {
    const rnd = this.rnd;
    const frame = deepCopy({ id: this.randomId(), ...this.rnd.pick(this.samples) }) as Record<string, unknown>;
    const rounds = 1 + (rnd.chance(0.25) ? rnd.int(3) : 0);
    for (let i = 0; i < rounds; i++) this.mutateOnce(frame);
    try {
      return clientPackr.pack(frame);
    } catch {
      // A value msgpack cannot hold (a bigint over 64 bits): damaged bytes instead.
      return mutateBytes(rnd, this.validFrame());
    }
  }

  private mutateOnce(frame: Record<string, unknown>): void {
    const rnd = this.rnd;
    const slots = collectSlots(frame);
    // Favour the envelope: id and op are what a broker reads first.
    const slot = slots.length === 0 || rnd.chance(0.15) ? { parent: frame as Container, key: rnd.pick(["id", "op"]) } : rnd.pick(slots);
    const current = get(slot);
    switch (rnd.int(6)) {
      case 0:
        remove(slot);
        return;
      case 1:
        set(slot, this.weirdValue());
        return;
      case 2:
        set(slot, this.stretch(current));
        return;
      case 3: {
        // An extra field somewhere (ignored by the protocol) or an odd key.
        const maps = slots.map((s) => get(s)).filter(isPlainMap);
        const target = maps.length > 0 && rnd.chance(0.5) ? rnd.pick(maps) : frame;
        // defineProperty: "__proto__" becomes an own key that is packed, not a prototype change.
        const key = rnd.pick(["extra", "__proto__", "constructor", "", "id", "op", "x".repeat(300)]);
        Object.defineProperty(target, key, { value: this.weirdValue(), enumerable: true, writable: true, configurable: true });
        return;
      }
      case 4:
        frame["op"] = rnd.pick<unknown>([...OPS, "", "Metadata", "toString", "hasOwnProperty", "__proto__", "op".repeat(1000), 3, null]);
        return;
      default:
        frame["id"] = rnd.pick<unknown>([0, -1, 1.5, 2 ** 32, 2 ** 32 - 1, 2 ** 53, -(2 ** 53), "1", null, NaN, BigInt(2) ** BigInt(63) - BigInt(1), [1], { id: 1 }]);
    }
  }

  /** A value of a random, probably wrong, type or range. */
  private weirdValue(): unknown {
    const rnd = this.rnd;
    const l = this.limits;
    const candidates: (() => unknown)[] = [
      () => null,
      () => undefined,
      () => rnd.chance(0.5),
      () => rnd.pick([0, -0, -1, 1, 2, 255, 256, 65_535, 65_536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32]),
      () => rnd.pick([1.5, -0.5, NaN, Infinity, -Infinity, Number.MIN_VALUE, 1e308]),
      () => rnd.pick([2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 2 ** 63, 2 ** 64, -(2 ** 63)]),
      () => rnd.pick([BigInt(2) ** BigInt(53), BigInt(2) ** BigInt(63) - BigInt(1), -(BigInt(2) ** BigInt(63)), BigInt(2) ** BigInt(64) - BigInt(1)]),
      () => rnd.pick(["", "x", "orders", "__consumer_offsets", ".", "..", "a/b", "\u0000", "\u{1F4A5}", "\uD800"]),
      () => "s".repeat(rnd.pick([l.stringLengthMax, l.stringLengthMax + 1, l.topicNameLengthMax + 1])),
      () => randomBytes(rnd, rnd.int(64)),
      () => [],
      () => [rnd.int(10), "x", null],
      () => ({}),
      () => ({ topic: "orders", partition: 0, value: new Uint8Array(1) }),
    ];
    return rnd.pick(candidates)();
  }

  /** The current value, grown or shrunk toward and past the limits. */
  private stretch(value: unknown): unknown {
    const rnd = this.rnd;
    if (typeof value === "number") return rnd.pick([value + 1, value - 1, -value, value * 2 ** 20, value + 0.5, value * 2 ** 40]);
    if (typeof value === "string") return rnd.chance(0.5) ? value.slice(0, rnd.int(value.length + 1)) : value.repeat(2 + rnd.int(300));
    if (Array.isArray(value)) {
      if (value.length === 0 || rnd.chance(0.3)) return [];
      // Just over arrayLengthMax when the frame stays under frameBytesMax, else a few thousand.
      const over = this.limits.arrayLengthMax + 1;
      const count = over * 16 < this.limits.frameBytesMax && rnd.chance(0.5) ? over : 1 + rnd.int(2000);
      const first: unknown = value[0];
      return Array.from({ length: count }, () => first);
    }
    if (value instanceof Uint8Array) return rnd.chance(0.5) ? value.subarray(0, rnd.int(value.length + 1)) : randomBytes(rnd, rnd.int(256));
    return this.weirdValue();
  }

  private extensionFrame(): Uint8Array {
    const rnd = this.rnd;
    const value = rnd.pick<unknown>([new Date(1_700_000_000_000), new Set(["orders"]), new Map([["k", 1]]), new Float64Array([1, 2]), new Uint16Array([1]), new Error("boom"), /re/]);
    const request = deepCopy({ id: this.randomId(), ...rnd.pick(this.samples) }) as Record<string, unknown>;
    const slots = collectSlots(request);
    set(slots.length === 0 ? { parent: request, key: "extra" } : rnd.pick(slots), value);
    // Records (useRecords) turn every map into an extension too.
    return extensionPackr.pack(rnd.chance(0.3) ? { id: this.randomId(), op: "metadata" } : request);
  }

  /** { id, op: "metadata", topics: [[[[ ... ]]]] }, nested up to the frame limit. */
  private deepNesting(): Uint8Array {
    const head = clientPackr.pack({ id: this.randomId(), op: "metadata", topics: null });
    const depth = Math.min(this.limits.frameBytesMax - head.byteLength - 1, 100 + this.rnd.int(100_000));
    const out = new Uint8Array(head.byteLength + Math.max(depth, 0));
    out.set(head);
    // Replace the trailing nil with `depth` one-element arrays (0x91) ending in nil.
    out.fill(0x91, head.byteLength - 1);
    out[out.length - 1] = 0xc0;
    return out;
  }
}

/** 1 .. 6 byte-level mutations: flip a bit, set, insert, delete, truncate, duplicate a slice. msgpack markers are favoured. */
export function mutateBytes(rnd: SeededRandom, input: Uint8Array): Uint8Array {
  let b = Array.from(input);
  const n = 1 + rnd.int(6);
  for (let k = 0; k < n; k++) {
    const at = b.length === 0 ? 0 : rnd.int(b.length);
    const byte = rnd.chance(0.5) ? rnd.pick(SPECIAL_BYTES) : rnd.int(256);
    switch (rnd.int(6)) {
      case 0:
        b[at] = (b[at] ?? 0) ^ (1 << rnd.int(8));
        break;
      case 1:
        b[at] = byte;
        break;
      case 2:
        b.splice(at, 0, byte);
        break;
      case 3:
        b.splice(at, 1 + rnd.int(4));
        break;
      case 4:
        b = b.slice(0, at);
        break;
      default: {
        const len = 1 + rnd.int(16);
        b.splice(at, 0, ...b.slice(at, at + len));
      }
    }
  }
  return new Uint8Array(b);
}

type Container = Record<string, unknown> | unknown[];

/** A place in a request: a map key or an array index. */
interface Slot {
  readonly parent: Container;
  readonly key: string | number;
}

function collectSlots(root: Record<string, unknown>): Slot[] {
  const out: Slot[] = [];
  const walk = (parent: Container): void => {
    const keys: (string | number)[] = Array.isArray(parent) ? parent.map((_, i) => i) : Object.keys(parent);
    for (const key of keys) {
      out.push({ parent, key });
      const v = get({ parent, key });
      if (Array.isArray(v) || isPlainMap(v)) walk(v);
    }
  };
  walk(root);
  return out;
}

function get(slot: Slot): unknown {
  return Array.isArray(slot.parent) ? slot.parent[slot.key as number] : slot.parent[slot.key as string];
}

function set(slot: Slot, value: unknown): void {
  if (Array.isArray(slot.parent)) slot.parent[slot.key as number] = value;
  else slot.parent[slot.key as string] = value;
}

function remove(slot: Slot): void {
  if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
  else delete slot.parent[slot.key as string];
}

function isPlainMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function deepCopy(v: unknown): unknown {
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(deepCopy);
  if (isPlainMap(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deepCopy(x)]));
  return v;
}

function randomBytes(rnd: SeededRandom, length: number): Uint8Array {
  const b = new Uint8Array(length);
  for (let i = 0; i < length; i++) b[i] = rnd.int(256);
  return b;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}
