/**
 * Splits a byte stream into lines without decoding it: lines end at "\n"
 * (a "\r" just before it is dropped too, so CRLF files work), and a last line
 * without a newline still counts. Lines are Buffers that view the input
 * chunks where they can (no copy); only a line that spans chunks is copied.
 * The carried-over partial line is bounded by `lineBytesMax`.
 */
import { CliError } from "../errors.js";

const LF = 0x0a;
const CR = 0x0d;

/** Splits chunks into lines; see the file comment. */
export class LineSplitter {
  /** Pieces of the line not yet ended; their total is `partialBytes` (<= lineBytesMax). */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** Lines handed out so far (for error messages: the next line's number is lines + 1). */
  lines = 0;

  /** @param lineBytesMax longest line accepted, in bytes */
  constructor(private readonly lineBytesMax: number) {}

  /**
   * The lines that `chunk` completes, in order.
   * @throws CliError INVALID_INPUT when a line exceeds lineBytesMax
   */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, start);
      if (nl === -1) break;
      let line = chunk.subarray(start, nl);
      if (this.partialBytes > 0) {
        line = Buffer.concat([...this.partial, line], this.partialBytes + line.length);
        this.partial = [];
        this.partialBytes = 0;
      }
      out.push(this.finish(line));
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (this.partialBytes + rest.length > this.lineBytesMax) {
        throw new CliError("INVALID_INPUT", `line ${this.lines + 1} is longer than ${this.lineBytesMax} bytes; records that large are refused anyway`);
      }
      this.partial.push(rest);
      this.partialBytes += rest.length;
    }
    return out;
  }

  /** At the end of the input: the last line when it had no newline. */
  end(): Buffer | undefined {
    if (this.partialBytes === 0) return undefined;
    const line = Buffer.concat(this.partial, this.partialBytes);
    this.partial = [];
    this.partialBytes = 0;
    return this.finish(line);
  }

  /** Bytes read past the last complete line (what an interrupted read leaves behind). */
  get pendingBytes(): number {
    return this.partialBytes;
  }

  private finish(line: Buffer): Buffer {
    this.lines++;
    if (this.lineBytesMax < line.length) {
      throw new CliError("INVALID_INPUT", `line ${this.lines} is longer than ${this.lineBytesMax} bytes; records that large are refused anyway`);
    }
    return line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line;
  }
}

/** A line split into key and value at the first separator; undefined when the line has none. */
export function splitKey(line: Buffer, separator: Buffer): { readonly key: Buffer; readonly value: Buffer } | undefined {
  const at = line.indexOf(separator);
  if (at === -1) return undefined;
  return { key: line.subarray(0, at), value: line.subarray(at + separator.length) };
}
