/**
 * The admin HTTP listener of one broker (docs/METRICS.md): plain node:http,
 * or node:https with the `tls` config group's certificate and client-
 * certificate mode when TLS is on, like the client listener.
 *
 *   GET /metrics  Prometheus text format (404 when metrics.enabled is false)
 *   GET /health   200 {status:"ok", brokerId, uptimeSeconds}: the process is up
 *   GET /ready    200 or 503 {ready, brokerId, notReady[], notReadyCount} (readiness.ts)
 *
 * Anything else: 404 JSON; a method other than GET or HEAD: 405 JSON with
 * Allow. Bounds: request bodies are never read (a request announcing one is
 * answered 413 and its connection closed), at most adminConnectionsMax
 * connections (more are closed at once by node:http's maxConnections), and
 * headers, a request and an idle keep-alive connection each get adminIdleMs.
 * The live console (docs/CONSOLE.md) is a fixed list of static files
 * (console-files.ts) served through the same route table, `/` its page.
 * Paths in `guard` (/metrics) first pass the gate of admin-auth.ts, which
 * follows the authentication and authorization settings.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { clientListenerTlsOptions, type TlsMaterial } from "../transport/tls-files.js";

/** A response a route computes: status, content type and body. */
export interface AdminResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  /** The Cache-Control header; "no-store" when absent (live figures must never be cached). */
  readonly cacheControl?: string;
  /** More response headers, lower-case names (a 401's www-authenticate). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A GET route: path -> response. */
export type AdminRoute = () => AdminResponse | Promise<AdminResponse>;

export interface AdminServerOptions {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  readonly tls?: TlsMaterial;
  readonly connectionsMax: number;
  readonly idleMs: number;
  readonly logger: Logger;
  /** GET routes by exact path ("/metrics"). */
  readonly routes: ReadonlyMap<string, AdminRoute>;
  /**
   * Paths that need the gate's consent (/metrics: admin-auth.ts). The gate
   * answers undefined to serve the route, or the refusal (401, 403) to send.
   */
  readonly guard?: {
    readonly paths: ReadonlySet<string>;
    readonly gate: (req: IncomingMessage) => Promise<AdminResponse | undefined>;
  };
}

/** A JSON response. */
export function jsonResponse(status: number, value: unknown): AdminResponse {
  return { status, contentType: "application/json; charset=utf-8", body: JSON.stringify(value) + "\n" };
}

/** Longest request path echoed back in a 404 body. */
const PATH_ECHO_CHARS_MAX = 200;

/** See the file comment. */
export class AdminServer {
  private readonly opts: AdminServerOptions;
  private http: Server | undefined;
  /** Requests answered since start (debug figure for logs). */
  private requestsCount = 0;

  constructor(opts: AdminServerOptions) {
    this.opts = opts;
  }

  /** Bind and listen. Resolves to the bound port (useful with port 0). */
  async start(): Promise<{ port: number }> {
    if (this.http !== undefined) throw new Error("admin listener already started");
    const { host, port, tls, idleMs, connectionsMax, logger } = this.opts;
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.onRequest(req, res);
    const timeouts = { headersTimeout: idleMs, requestTimeout: idleMs, keepAliveTimeout: idleMs };
    const http: Server =
      tls === undefined
        ? createServer(timeouts, handler)
        : createTlsServer({ ...timeouts, ...clientListenerTlsOptions(tls, idleMs) }, handler);
    http.maxConnections = connectionsMax;
    http.on("clientError", (_err, socket) => socket.destroy());
    this.http = http;
    await new Promise<void>((resolve, reject) => {
      http.once("error", reject);
      http.listen(port, host, () => {
        http.off("error", reject);
        resolve();
      });
    });
    const bound = (http.address() as AddressInfo).port;
    logger.info({ host, port: bound, tls: tls !== undefined }, "admin listener started");
    return { port: bound };
  }

  /** Stop listening and close every connection. */
  async close(): Promise<void> {
    const http = this.http;
    if (http === undefined) return;
    this.http = undefined;
    const closed = new Promise<void>((resolve) => http.close(() => resolve()));
    http.closeAllConnections();
    await closed;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requestsCount++;
    const method = req.method ?? "";
    const path = (req.url ?? "/").split("?", 1)[0]!;
    let out: AdminResponse;
    let close = false;
    if (method !== "GET" && method !== "HEAD") {
      out = jsonResponse(405, { error: "METHOD_NOT_ALLOWED", message: `${method.slice(0, 16)} is not allowed; use GET or HEAD` });
      res.setHeader("allow", "GET, HEAD");
      close = true;
    } else if (hasBody(req)) {
      out = jsonResponse(413, { error: "BODY_NOT_ALLOWED", message: "admin requests take no body" });
      close = true;
    } else {
      const route = this.opts.routes.get(path);
      if (route === undefined) {
        out = jsonResponse(404, { error: "NOT_FOUND", message: `no such path: ${path.slice(0, PATH_ECHO_CHARS_MAX)}`, paths: [...this.opts.routes.keys()] });
      } else {
        try {
          const guard = this.opts.guard;
          const refusal = guard !== undefined && guard.paths.has(path) ? await guard.gate(req) : undefined;
          out = refusal ?? (await route());
        } catch (err) {
          // A route that throws is a bug; answer 500 and keep serving (the broker is unaffected).
          this.opts.logger.error({ err, path }, "admin route failed");
          out = jsonResponse(500, { error: "INTERNAL_ERROR", message: "the route failed; see the broker log" });
        }
      }
    }
    if (close) res.setHeader("connection", "close");
    res.writeHead(out.status, { ...out.headers, "content-type": out.contentType, "content-length": Buffer.byteLength(out.body), "cache-control": out.cacheControl ?? "no-store" });
    res.end(method === "HEAD" ? undefined : out.body);
    if (close) req.socket.destroySoon();
    this.opts.logger.debug({ method: method.slice(0, 16), path: path.slice(0, PATH_ECHO_CHARS_MAX), status: out.status, requests: this.requestsCount }, "admin request");
  }
}

/** Whether a request announces a body (which the admin listener never reads). */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return (length !== undefined && length !== "0") || req.headers["transfer-encoding"] !== undefined;
}
