/**
 * A minimal protocol client for broker tests: one ws connection, handshake,
 * pipelined requests matched by id. Independent of the SDK on purpose, so
 * broker tests exercise the wire protocol directly.
 */
import { randomBytes } from "node:crypto";
import WebSocket from "ws";
import { decodeResponse, encodeRequest } from "../../broker/protocol/frames.js";
import { RlogError } from "../../broker/protocol/errors.js";
import type { OpName, RequestOf, ResultOf } from "../../broker/protocol/ops.js";
import { PROTOCOL_VERSION } from "../../broker/protocol/version.js";
import { saltedPasswordSync } from "../../broker/protocol/scram.js";
import { ScramClientExchange } from "../../broker/protocol/scram-client.js";

/** A SCRAM-SHA-256 login for brokers with authentication on. */
export interface WireLogin {
  readonly username: string;
  readonly password: string;
}

/** TLS options of a wss:// WireClient (PEM). */
export interface WireClientTls {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export class WireClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data: Buffer) => {
      const r = decodeResponse(data, 64 * 1024 * 1024);
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.ok) p.resolve(r.result);
      else p.reject(r.error);
    });
    ws.on("close", () => {
      for (const p of this.pending.values()) p.reject(new RlogError("BROKER_NOT_AVAILABLE", "connection closed"));
      this.pending.clear();
    });
  }

  /**
   * Connect and handshake; with `login`, also log in (SCRAM-SHA-256) and fail when refused.
   * @param tls for a wss:// url: the CA to trust, and a client certificate when the broker asks for one
   */
  static async connect(url: string, login?: WireLogin, tls?: WireClientTls): Promise<WireClient> {
    const ws = new WebSocket(url, tls === undefined ? {} : { ...tls });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    const c = new WireClient(ws);
    await c.request("handshake", { op: "handshake", version: PROTOCOL_VERSION, clientId: "test" });
    if (login !== undefined) {
      try {
        const exchange = new ScramClientExchange(login.username, randomBytes(18).toString("base64"));
        const first = await c.request("authenticate", { op: "authenticate", mechanism: "SCRAM-SHA-256", message: exchange.first() });
        const params = exchange.onServerFirst(first.message);
        if (!params.ok) throw new RlogError("AUTHENTICATION_FAILED", params.reason);
        const salted = saltedPasswordSync(login.password, params.value.salt, params.value.iterations);
        const final = await c.request("authenticate", { op: "authenticate", mechanism: "SCRAM-SHA-256", message: exchange.final(salted) });
        const verified = exchange.onServerFinal(final.message);
        if (!verified.ok) throw new RlogError("AUTHENTICATION_FAILED", verified.reason);
      } catch (err) {
        c.close();
        throw err;
      }
    }
    return c;
  }

  /** Send a request; rejects on an error response, a closed connection or after `timeoutMs`. */
  request<O extends OpName>(op: O, body: RequestOf<O>, timeoutMs = 20_000): Promise<ResultOf<O>> {
    if (this.ws.readyState !== WebSocket.OPEN) return Promise.reject(new RlogError("BROKER_NOT_AVAILABLE", "connection closed"));
    const id = this.nextId++;
    const frame = encodeRequest(id, { ...body, op } as RequestOf<O>, 64 * 1024 * 1024);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RlogError("TIMEOUT", `${op} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as ResultOf<O>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.ws.send(frame);
    });
  }

  close(): void {
    this.ws.close();
  }
}
