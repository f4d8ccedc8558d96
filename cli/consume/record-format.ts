/**
 * How `rlog-cli consume` prints a record, one line each:
 * - `value`: the value's bytes as they are, then "\n";
 * - `key-value`: key bytes, the separator, value bytes, "\n" (a record
 *   without a key prints an empty key);
 * - `json`: one JSON object per line,
 *   `{"partition","offset","timestamp","key","value"}` with key and value as
 *   UTF-8 strings (key null when absent). A key or value that is not valid
 *   UTF-8 is given in base64 instead, and the object then says so with
 *   `"keyEncoding":"base64"` / `"valueEncoding":"base64"`. Headers, when a
 *   record has any, are `"headers":[{"key","value"}]` with the same rule
 *   (`"valueEncoding":"base64"` per header).
 *
 * The raw formats write bytes unchanged, so a value holding "\n" spans
 * lines there; use json when values may contain newlines or binary data.
 */
import { isUtf8 } from "node:buffer";
import type { ConsumerRecord } from "../../client/index.js";

/** The output formats. */
export const FORMATS = ["value", "key-value", "json"] as const;

/** One of FORMATS. */
export type OutputFormat = (typeof FORMATS)[number];

const NEWLINE = Buffer.from("\n");

/** A string field and, when it had to be base64, the marker saying so. */
function text(bytes: Buffer): { readonly text: string; readonly base64: boolean } {
  return isUtf8(bytes) ? { text: bytes.toString("utf8"), base64: false } : { text: bytes.toString("base64"), base64: true };
}

const EMPTY = Buffer.alloc(0);

/** The JSON line of a record (without the newline). */
export function recordJson(r: ConsumerRecord): string {
  const key = r.key === undefined ? undefined : text(r.key);
  const value = r.value === null ? undefined : text(r.value);
  const o: Record<string, unknown> = { partition: r.partition, offset: r.offset, timestamp: r.timestampMs, key: key?.text ?? null, value: value?.text ?? null };
  if (key?.base64 === true) o["keyEncoding"] = "base64";
  if (value?.base64 === true) o["valueEncoding"] = "base64";
  if (r.headers.length > 0) {
    o["headers"] = r.headers.map((h) => {
      const v = text(h.value);
      return v.base64 ? { key: h.key, value: v.text, valueEncoding: "base64" } : { key: h.key, value: v.text };
    });
  }
  return JSON.stringify(o);
}

/**
 * Appends the printed form of `r` to `out` (pieces to concatenate) and
 * returns the number of bytes appended.
 */
export function appendRecord(out: Buffer[], r: ConsumerRecord, format: OutputFormat, keySeparator: Buffer): number {
  const v = r.value ?? EMPTY; // a null value (tombstone) prints as an empty line; JSON shows null
  switch (format) {
    case "value":
      out.push(v, NEWLINE);
      return v.length + 1;
    case "key-value": {
      const key = r.key ?? EMPTY;
      out.push(key, keySeparator, v, NEWLINE);
      return key.length + keySeparator.length + v.length + 1;
    }
    case "json": {
      const line = Buffer.from(recordJson(r) + "\n", "utf8");
      out.push(line);
      return line.length;
    }
  }
}
