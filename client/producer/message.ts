/**
 * Producer messages as the caller gives them, and their conversion to wire
 * records with a size estimate. Every check happens before any message of a
 * send() is accepted, so a send is taken whole or not at all.
 */
import { invalidField, RlogError } from "../../broker/protocol/errors.js";
import { FIXED_LIMITS, type Limits } from "../../broker/protocol/limits.js";
import type { ProduceRecord, RecordHeader } from "../../broker/protocol/records.js";
import { toBytes, type BytesLike } from "../bytes.js";

/** A header as the caller gives it. */
export interface MessageHeader {
  readonly key: string;
  readonly value: BytesLike;
}

/** One message to send. Strings are sent as UTF-8. */
export interface ProducerMessage {
  /** Records with the same key go to the same partition, in order. Absent: no key. */
  readonly key?: BytesLike | undefined;
  /** null: a record without a value (a tombstone, Kafka's null value). */
  readonly value: BytesLike | null;
  /** A map (one header per key) or a list (repeated keys allowed). */
  readonly headers?: Readonly<Record<string, BytesLike>> | readonly MessageHeader[] | undefined;
  /** Create time in ms since the epoch; the producer's wall clock when absent (when its batch opened). */
  readonly timestampMs?: number | undefined;
  /** Send to this partition instead of the partitioner's choice. */
  readonly partition?: number | undefined;
}

/** A message converted for the wire. */
export interface PreparedMessage {
  readonly record: ProduceRecord;
  /** Key, value and header bytes: what counts against recordBytesMax and the buffer. */
  readonly bytes: number;
  readonly partition: number | undefined;
}

/** msgpack overhead of one record in a produce request (field names, lengths), roughly. */
export const RECORD_OVERHEAD_BYTES = 32;

const encoder = new TextEncoder();

/** The path of message `index` of a send, and of one of its fields, for error messages (built only on an error). */
function pathOf(index: number, field?: string): string {
  return field === undefined ? `messages[${index}]` : `messages[${index}].${field}`;
}

/** A mutable ProduceRecord while it is built (no object spread per record: this runs for every message sent). */
type RecordDraft = { -readonly [K in keyof ProduceRecord]: ProduceRecord[K] };

/**
 * Convert and check one message.
 * @param index its place in the send (messages[index]), for error messages
 * @throws RlogError INVALID_REQUEST (naming the field) or RECORD_TOO_LARGE
 */
export function prepareMessage(m: ProducerMessage, index: number, limits: Limits): PreparedMessage {
  if (typeof m !== "object" || m === null) throw invalidField(pathOf(index), "expected a message object");
  const value = m.value === null ? null : bytesField(m.value, index, "value");
  const key = m.key === undefined || m.key === null ? undefined : bytesField(m.key, index, "key");
  const headers = m.headers === undefined || m.headers === null ? NO_HEADERS : prepareHeaders(m.headers, pathOf(index, "headers"), limits);
  let bytes = (value?.byteLength ?? 0) + (key?.byteLength ?? 0);
  for (const h of headers) bytes += encoder.encode(h.key).byteLength + h.value.byteLength;
  if (bytes > limits.recordBytesMax) {
    throw new RlogError("RECORD_TOO_LARGE", `${pathOf(index)}: record of ${bytes} bytes exceeds recordBytesMax ${limits.recordBytesMax}`);
  }
  const ts = m.timestampMs;
  if (ts !== undefined && ts !== null && !(Number.isSafeInteger(ts) && ts >= 0 && ts <= FIXED_LIMITS.timestampMsMax)) {
    throw invalidField(pathOf(index, "timestampMs"), `expected an integer in 0 .. ${FIXED_LIMITS.timestampMsMax}`);
  }
  const p = m.partition;
  if (p !== undefined && p !== null && !(Number.isSafeInteger(p) && p >= 0)) throw invalidField(pathOf(index, "partition"), "expected a non-negative integer");
  const record: RecordDraft = { value };
  if (key !== undefined) record.key = key;
  if (headers.length > 0) record.headers = headers;
  if (ts !== undefined && ts !== null) record.timestampMs = ts;
  return { record, bytes, partition: p ?? undefined };
}

const NO_HEADERS: readonly RecordHeader[] = Object.freeze([]);

function bytesField(v: unknown, index: number, field: string): Uint8Array {
  if (typeof v === "string" || v instanceof Uint8Array) return toBytes(v);
  throw invalidField(pathOf(index, field), "expected a string, Buffer or Uint8Array");
}

function headerBytes(v: unknown, at: string): Uint8Array {
  if (typeof v === "string" || v instanceof Uint8Array) return toBytes(v);
  throw invalidField(at, "expected a string, Buffer or Uint8Array");
}

function prepareHeaders(h: NonNullable<ProducerMessage["headers"]>, at: string, limits: Limits): RecordHeader[] {
  const list: readonly MessageHeader[] = Array.isArray(h)
    ? (h as readonly MessageHeader[])
    : Object.entries(h as Readonly<Record<string, BytesLike>>).map(([key, value]) => ({ key, value }));
  if (list.length > limits.recordHeadersMax) throw invalidField(at, `${list.length} headers exceed recordHeadersMax ${limits.recordHeadersMax}`);
  return list.map((x, i) => {
    if (typeof x?.key !== "string") throw invalidField(`${at}[${i}].key`, "expected a string");
    if (x.key.length > limits.stringLengthMax) throw invalidField(`${at}[${i}].key`, `longer than stringLengthMax ${limits.stringLengthMax}`);
    return { key: x.key, value: headerBytes(x.value, `${at}[${i}].value`) };
  });
}
