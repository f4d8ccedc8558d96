/**
 * Typed reads of fields from an untrusted decoded msgpack map. Every failed
 * check throws an RlogError (INVALID_REQUEST unless said otherwise) whose
 * message names the field by its path, e.g. "records[3].value: expected
 * bytes, got string". Nothing else is ever thrown.
 */
import { RlogError, invalidField, type ErrorName } from "./errors.js";
import { FIXED_LIMITS } from "./limits.js";

/** A decoded msgpack map. */
export type WireMap = Readonly<Record<string, unknown>>;

/** A short description of an untrusted value for error messages (never echoes big payloads). */
export function describe(value: unknown): string {
  if (value === null) return "nil";
  if (value === undefined) return "nothing";
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    return Number.isInteger(value) || !Number.isFinite(value) ? String(value) : `non-integer ${value}`;
  }
  if (typeof value === "string") return `string(${value.length})`;
  if (typeof value === "bigint") return "a 64-bit integer outside ±2^53";
  if (value instanceof Uint8Array) return `bytes(${value.byteLength})`;
  if (Array.isArray(value)) return `array(${value.length})`;
  if (isWireMap(value)) return "map";
  if (typeof value === "object") return `an object of type ${Object.prototype.toString.call(value).slice(8, -1)}`;
  return typeof value;
}

/** Whether a value is a plain decoded map (not an array, bytes, Date, Map, Set, RegExp, Error ...). */
export function isWireMap(value: unknown): value is WireMap {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Whether a value is present: msgpack nil and a missing key both mean "absent". */
function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** Bounds for an integer field. */
export interface IntRange {
  readonly min: number;
  readonly max: number;
  /** Error code when out of range; INVALID_REQUEST by default. */
  readonly code?: ErrorName;
}

/**
 * Reads fields of one map, naming them by `path`. Own properties only:
 * "__proto__" or "constructor" keys never reach the prototype.
 */
export class FieldReader {
  constructor(
    private readonly map: WireMap,
    /** Path of the map itself, "" for the frame. */
    readonly path: string,
  ) {}

  /** Reader for a map value, or an error naming the path. */
  static of(value: unknown, path: string): FieldReader {
    if (!isWireMap(value)) throw invalidField(path === "" ? "frame" : path, `expected a map, got ${describe(value)}`);
    return new FieldReader(value, path);
  }

  /** The full path of a field of this map. */
  at(name: string): string {
    return this.path === "" ? name : `${this.path}.${name}`;
  }

  /** The raw value of a field (undefined when absent). */
  raw(name: string): unknown {
    return Object.prototype.hasOwnProperty.call(this.map, name) ? this.map[name] : undefined;
  }

  /** Whether a field is present (not missing, not nil). */
  has(name: string): boolean {
    return present(this.raw(name));
  }

  /** A required integer in [range.min, range.max]. */
  int(name: string, range: IntRange): number {
    return checkInt(this.raw(name), this.at(name), range);
  }

  /** An optional integer in range; undefined when absent. */
  optInt(name: string, range: IntRange): number | undefined {
    return this.has(name) ? this.int(name, range) : undefined;
  }

  /** A required string of at most `lengthMax` characters; `lengthMin` defaults to 0. */
  str(name: string, lengthMax: number, lengthMin = 0): string {
    return checkString(this.raw(name), this.at(name), lengthMax, lengthMin);
  }

  /** An optional string; undefined when absent. */
  optStr(name: string, lengthMax: number, lengthMin = 0): string | undefined {
    return this.has(name) ? this.str(name, lengthMax, lengthMin) : undefined;
  }

  /** A required boolean. */
  bool(name: string): boolean {
    const v = this.raw(name);
    if (typeof v !== "boolean") throw invalidField(this.at(name), `expected a boolean, got ${describe(v)}`);
    return v;
  }

  /** An optional boolean; undefined when absent. */
  optBool(name: string): boolean | undefined {
    return this.has(name) ? this.bool(name) : undefined;
  }

  /** Required bytes (msgpack bin). Returned as received, not copied. */
  bytes(name: string): Uint8Array {
    const v = this.raw(name);
    if (!(v instanceof Uint8Array)) throw invalidField(this.at(name), `expected bytes, got ${describe(v)}`);
    return v;
  }

  /** Optional bytes; undefined when absent. */
  optBytes(name: string): Uint8Array | undefined {
    return this.has(name) ? this.bytes(name) : undefined;
  }

  /** A required map, as a reader. */
  child(name: string): FieldReader {
    return FieldReader.of(this.raw(name), this.at(name));
  }

  /**
   * A required array of at most `lengthMax` elements (REQUEST_TOO_LARGE
   * beyond), each checked by `element` with its indexed path.
   */
  array<T>(name: string, lengthMax: number, element: (value: unknown, path: string) => T, lengthMin = 0): T[] {
    return checkArray(this.raw(name), this.at(name), lengthMax, element, lengthMin);
  }

  /** An optional array; undefined when absent. */
  optArray<T>(name: string, lengthMax: number, element: (value: unknown, path: string) => T, lengthMin = 0): T[] | undefined {
    return this.has(name) ? this.array(name, lengthMax, element, lengthMin) : undefined;
  }

  /** A required value that must be one of `allowed` (compared with ===). */
  oneOf<T extends string | number>(name: string, allowed: readonly T[]): T {
    const v = this.raw(name);
    for (const a of allowed) if (v === a) return a;
    throw invalidField(this.at(name), `expected one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${describeShort(v)}`);
  }
}

function describeShort(v: unknown): string {
  return typeof v === "string" && v.length <= 32 ? JSON.stringify(v) : describe(v);
}

/** Check an integer at `path` (see FieldReader.int). */
export function checkInt(v: unknown, path: string, range: IntRange): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw invalidField(path, `expected an integer, got ${describe(v)}`);
  }
  if (v < range.min || v > range.max) {
    const message = `${path}: expected an integer in [${range.min}, ${range.max}], got ${v}`;
    throw new RlogError(range.code ?? "INVALID_REQUEST", message, { field: path });
  }
  return v;
}

/** Check a string at `path` (see FieldReader.str). */
export function checkString(v: unknown, path: string, lengthMax: number, lengthMin = 0): string {
  if (typeof v !== "string") throw invalidField(path, `expected a string, got ${describe(v)}`);
  if (v.length < lengthMin) throw invalidField(path, lengthMin === 1 ? "must not be empty" : `must have at least ${lengthMin} characters`);
  if (v.length > lengthMax) throw invalidField(path, `longer than ${lengthMax} characters (${v.length})`);
  return v;
}

/** Check an array at `path` (see FieldReader.array). */
export function checkArray<T>(
  v: unknown,
  path: string,
  lengthMax: number,
  element: (value: unknown, path: string) => T,
  lengthMin = 0,
): T[] {
  if (!Array.isArray(v)) throw invalidField(path, `expected an array, got ${describe(v)}`);
  if (v.length > lengthMax) {
    throw new RlogError("REQUEST_TOO_LARGE", `${path}: more than ${lengthMax} elements (${v.length})`, { field: path });
  }
  if (v.length < lengthMin) throw invalidField(path, lengthMin === 1 ? "must not be empty" : `needs at least ${lengthMin} elements`);
  const out: T[] = [];
  for (let i = 0; i < v.length; i++) out.push(element(v[i], `${path}[${i}]`));
  return out;
}

/** Range of a non-negative integer up to 2^53 - 1 (offsets, byte counts, ids). */
export const NON_NEGATIVE: IntRange = Object.freeze({ min: 0, max: FIXED_LIMITS.integerMax });

/** Range of a broker id: 1 .. brokerIdMax. */
export const BROKER_ID: IntRange = Object.freeze({ min: 1, max: FIXED_LIMITS.brokerIdMax });

/** Range of a record timestamp. */
export const TIMESTAMP_MS: IntRange = Object.freeze({ min: 0, max: FIXED_LIMITS.timestampMsMax });
