/**
 * Shared helpers for client listener tests: a ClientServer on 127.0.0.1
 * port 0 with a capturing logger, and a bare test client over real ws that
 * sends raw frames and collects responses by id.
 */
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";
import { WebSocket } from "ws";
import { decodeResponse, encodeRequest, type DecodedResponse } from "../../broker/protocol/frames.js";
import { DEFAULT_LIMITS, type Limits } from "../../broker/protocol/limits.js";
import type { Request } from "../../broker/protocol/ops.js";
import { PROTOCOL_VERSION } from "../../broker/protocol/version.js";
import { ClientServer } from "../../broker/server/client-server.js";
import type { OpHandlers } from "../../broker/server/handlers.js";
import type { ClientServerOptions } from "../../broker/server/server-options.js";

/** One captured pino line. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** pino level numbers. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** A debug-level pino logger that keeps its lines in memory (at most `linesMax`, oldest dropped). */
export function captureLogger(linesMax = 20_000): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString("utf8").split("\n")) {
        if (text === "") continue;
        lines.push(JSON.parse(text) as LogLine);
        if (lines.length > linesMax) lines.shift();
      }
      done();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines };
}

/** A started server and what tests need to reach and inspect it. */
export interface TestServer {
  readonly server: ClientServer;
  readonly url: string;
  readonly lines: LogLine[];
  readonly limits: Limits;
}

/** Options for startServer: handlers and limit overrides; everything else has test defaults. */
export interface TestServerOptions {
  readonly handlers: OpHandlers;
  readonly limits?: Partial<Limits>;
  readonly extra?: Partial<Omit<ClientServerOptions, "limits" | "handlers" | "logger">>;
}

/** Start a ClientServer on 127.0.0.1, port 0, broker id 7, short close wait. */
export async function startServer(options: TestServerOptions): Promise<TestServer> {
  const { logger, lines } = captureLogger();
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const server = new ClientServer({
    host: "127.0.0.1",
    port: 0,
    brokerId: 7,
    limits,
    handlers: options.handlers,
    logger,
    closeWaitMs: 300,
    ...options.extra,
  });
  const { port } = await server.start();
  return { server, url: `ws://127.0.0.1:${port}`, lines, limits };
}

/** How a connection ended. */
export interface Closed {
  readonly code: number;
  readonly reason: string;
}

/** A raw protocol client: frames out, responses in (by id), close observed. */
export class TestClient {
  /** Every response received, in arrival order. */
  readonly responses: DecodedResponse[] = [];
  /** Resolves when the socket closes. */
  readonly closed: Promise<Closed>;
  private readonly waiters = new Map<number, (r: DecodedResponse) => void>();
  private closedValue: Closed | undefined;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on("close", (code, reason) => {
        this.closedValue = { code, reason: reason.toString("utf8") };
        resolve(this.closedValue);
      });
    });
    ws.on("error", () => undefined);
    ws.on("message", (data: Buffer) => {
      const r = decodeResponse(data, 1 << 30);
      this.responses.push(r);
      const wake = this.waiters.get(r.id);
      if (wake !== undefined) {
        this.waiters.delete(r.id);
        wake(r);
      }
    });
  }

  /** Open a connection (no handshake yet). */
  static async connect(url: string): Promise<TestClient> {
    const ws = new WebSocket(url, { maxPayload: 1 << 30, perMessageDeflate: false });
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
      ws.once("close", () => reject(new Error("closed before open")));
    });
    return client;
  }

  /** Open a connection and complete the handshake. */
  static async open(url: string): Promise<TestClient> {
    const client = await TestClient.connect(url);
    const r = await client.request(1, { op: "handshake", version: PROTOCOL_VERSION, clientId: "test" });
    if (!r.ok) throw new Error(`handshake failed: ${r.error.message}`);
    return client;
  }

  /** Whether the socket has closed. */
  get isClosed(): boolean {
    return this.closedValue !== undefined;
  }

  /** Send a request and wait for the response with its id (rejects if the connection closes first). */
  request(id: number, request: Request): Promise<DecodedResponse> {
    const response = this.response(id);
    this.send(encodeRequest(id, request, 1 << 30));
    return response;
  }

  /** Wait for the next response with `id` (one that arrives from now on). */
  response(id: number, waitMs = 5000): Promise<DecodedResponse> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new Error(`no response to id ${id} within ${waitMs} ms`));
      }, waitMs);
      this.waiters.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      void this.closed.then(() => {
        // Let frames that arrived just before the close be delivered first.
        setImmediate(() => {
          if (this.waiters.delete(id)) {
            clearTimeout(timer);
            reject(new Error(`connection closed before a response to id ${id}`));
          }
        });
      });
    });
  }

  /** Send raw bytes (binary) or a string (text frame). */
  send(data: Uint8Array | string): void {
    this.ws.send(data, { binary: typeof data !== "string" });
  }

  /** Wait for the close, failing after `waitMs`. */
  async waitClosed(waitMs = 5000): Promise<Closed> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`connection not closed within ${waitMs} ms`)), waitMs)));
    try {
      return await Promise.race([this.closed, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Close from the client side and wait for it. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.ws.close(1000, "test done");
    const timer = setTimeout(() => this.ws.terminate(), 1000);
    await this.closed;
    clearTimeout(timer);
  }
}

/** The result map of a success response; fails the test on an error response. */
export function okResult(r: DecodedResponse): Readonly<Record<string, unknown>> {
  if (!r.ok) throw new Error(`expected success, got ${r.error.codeName}: ${r.error.message}`);
  return r.result;
}

/** Poll `condition` until true; fail with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Sleep `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Open TCP handles (sockets and servers) of this process. Only the server
 * and clients under test use TCP in a test process, so 0 means all closed.
 */
export function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r.startsWith("TCP")).length;
}
