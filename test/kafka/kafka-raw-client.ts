/**
 * A raw Kafka-protocol connection for tests: writes hand-built request
 * frames (or any bytes at all) and reads size-prefixed response frames, and
 * reports when the broker closes. Used to check answers byte by byte where a
 * real client would hide them (SASL failures, bad input).
 */
import { connect as tcpConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { KafkaReader } from "../../broker/kafka/kafka-reader.js";
import { KafkaWriter } from "../../broker/kafka/kafka-writer.js";

/** A request frame: size, api key, version, correlation id, client id "raw-test", then `body`. */
export function requestFrame(apiKey: number, version: number, correlationId: number, body: (w: KafkaWriter) => void = () => undefined): Buffer {
  const w = new KafkaWriter().int16(apiKey).int16(version).int32(correlationId).string("raw-test");
  body(w);
  const payload = Buffer.concat(w.finish());
  const head = Buffer.alloc(4);
  head.writeInt32BE(payload.byteLength);
  return Buffer.concat([head, payload]);
}

/** One response: its correlation id and a reader over the body after it. */
export interface RawResponse {
  readonly correlationId: number;
  readonly body: KafkaReader;
}

/** See the file comment. */
export class RawKafkaConnection {
  private buffered = Buffer.alloc(0);
  private readonly responses: RawResponse[] = [];
  private waiters: (() => void)[] = [];
  /** Set once the socket has closed. */
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      while (this.buffered.byteLength >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (this.buffered.byteLength < 4 + size) break;
        const frame = this.buffered.subarray(4, 4 + size);
        this.buffered = this.buffered.subarray(4 + size);
        const r = new KafkaReader(frame);
        this.responses.push({ correlationId: r.int32(), body: r });
      }
      this.wake();
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
  }

  /** Connect over TCP, or TLS when `ca` is given. */
  static open(hostPort: string, ca?: Buffer): Promise<RawKafkaConnection> {
    const [host, port] = hostPort.split(":") as [string, string];
    return new Promise((resolve, reject) => {
      const socket = ca === undefined ? tcpConnect({ host, port: Number(port) }) : tlsConnect({ host, port: Number(port), ca, servername: host === "127.0.0.1" ? undefined : host });
      const ready = ca === undefined ? "connect" : "secureConnect";
      socket.once(ready, () => {
        socket.off("error", reject);
        resolve(new RawKafkaConnection(socket));
      });
      socket.once("error", reject);
    });
  }

  write(bytes: Uint8Array): void {
    if (!this.closed) this.socket.write(bytes);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return true;
  }

  /** The next response, or undefined when the connection closes (or `timeoutMs` passes) first. */
  async next(timeoutMs = 10_000): Promise<RawResponse | undefined> {
    await this.waitFor(() => this.responses.length > 0 || this.closed, timeoutMs);
    return this.responses.shift();
  }

  /** Whether the broker closed the connection within `timeoutMs`. */
  waitClosed(timeoutMs = 10_000): Promise<boolean> {
    return this.waitFor(() => this.closed, timeoutMs);
  }

  /** Half-close: no more bytes from this side. */
  end(): void {
    if (!this.closed) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
