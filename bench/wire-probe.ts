/**
 * A one-broker protocol probe: one WebSocket, the handshake, then requests
 * matched by id. The SDK routes requests to whichever broker it likes; the
 * bench needs to ask one named broker (is it up, what does it lead, how far
 * behind are its followers), which this does. Every request has a deadline.
 */
import WebSocket from "ws";
import { RlogError } from "../broker/protocol/errors.js";
import { decodeResponse, encodeRequest } from "../broker/protocol/frames.js";
import type { OpName, RequestOf, ResultOf } from "../broker/protocol/ops.js";
import { PROTOCOL_VERSION } from "../broker/protocol/version.js";

const FRAME_BYTES_MAX = 64 * 1024 * 1024;
/** Outstanding requests per probe; the bench sends a handful at most. */
const PENDING_MAX = 64;

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** What a probe of a wss:// broker trusts. */
export interface ProbeTls {
  /** PEM of the CA the brokers' certificates chain to. */
  readonly ca: Buffer;
  /** A client certificate and its key (--secure: the probes' principal, a super user, needs no login). */
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** A connection to one broker; see the file comment. */
export class WireProbe {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data: Buffer) => {
      const r = decodeResponse(data, FRAME_BYTES_MAX);
      const p = this.pending.get(r.id);
      if (p === undefined) return;
      this.pending.delete(r.id);
      clearTimeout(p.timer);
      if (r.ok) p.resolve(r.result);
      else p.reject(r.error);
    });
    ws.on("close", () => this.failAll());
    ws.on("error", () => this.failAll());
  }

  /** Connect and handshake, or reject within `timeoutMs`. */
  /** @param tls for wss:// brokers: the CA their certificates chain to, and a client certificate if any */
  static async connect(url: string, timeoutMs = 2_000, tls?: ProbeTls): Promise<WireProbe> {
    const ws = new WebSocket(url, { handshakeTimeout: timeoutMs, ...(tls === undefined ? {} : { ...tls }) });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    const probe = new WireProbe(ws);
    try {
      await probe.request("handshake", { op: "handshake", version: PROTOCOL_VERSION, clientId: "rlog-bench-probe" }, timeoutMs);
    } catch (err) {
      probe.close();
      throw err;
    }
    return probe;
  }

  /** One request; rejects on an error response, a closed socket or after `timeoutMs`. */
  request<O extends OpName>(op: O, body: RequestOf<O>, timeoutMs = 5_000): Promise<ResultOf<O>> {
    if (this.ws.readyState !== WebSocket.OPEN) return Promise.reject(new RlogError("BROKER_NOT_AVAILABLE", "probe connection closed"));
    if (this.pending.size >= PENDING_MAX) return Promise.reject(new RlogError("TOO_MANY_REQUESTS", "probe has too many requests outstanding"));
    const id = this.nextId++;
    const frame = encodeRequest(id, { ...body, op } as RequestOf<O>, FRAME_BYTES_MAX);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RlogError("TIMEOUT", `${op} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: (v) => resolve(v as ResultOf<O>), reject, timer });
      this.ws.send(frame);
    });
  }

  close(): void {
    this.failAll();
    this.ws.terminate();
  }

  private failAll(): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new RlogError("BROKER_NOT_AVAILABLE", "probe connection closed"));
    }
    this.pending.clear();
  }
}

/** Connect, send one request, close. */
export async function probeOnce<O extends OpName>(url: string, op: O, body: RequestOf<O>, timeoutMs = 3_000, tls?: ProbeTls): Promise<ResultOf<O>> {
  const probe = await WireProbe.connect(url, timeoutMs, tls);
  try {
    return await probe.request(op, body, timeoutMs);
  } finally {
    probe.close();
  }
}
