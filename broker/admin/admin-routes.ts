/**
 * The admin listener's routes (docs/METRICS.md, "Endpoints"): /metrics,
 * /health and /ready, over what the broker hands in; and the live console
 * (docs/CONSOLE.md): its files (console-files.ts) and /console/config.json,
 * which tells the page where the brokers' client listeners are.
 */
import type { AdminRoute } from "./admin-server.js";
import { jsonResponse } from "./admin-server.js";
import type { BrokerMetrics } from "./broker-metrics.js";
import { readiness, type ReadinessInput } from "./readiness.js";
import { consoleFileRoutes } from "./console-files.js";

/** What the console page needs to connect (GET /console/config.json). */
export interface ConsoleConfig {
  /** The broker serving the page. */
  readonly brokerId: number;
  /** Every known broker's client URL (ws:// or wss://), by id. */
  readonly brokers: readonly { readonly id: number; readonly clientUrl: string }[];
  /** The client listener's authentication mechanism: "scram" makes the page ask for a login. */
  readonly authentication: string;
}

export interface AdminRoutesOptions {
  readonly brokerId: number;
  /** Monotonic ms at process start of the broker (uptime's origin). */
  readonly startedAtMs: number;
  readonly monotonicMs: () => number;
  /** Undefined when metrics.enabled is false: /metrics is then not served (404). */
  readonly metrics: BrokerMetrics | undefined;
  /** The facts /ready decides on, taken at request time. */
  readonly readinessInput: () => ReadinessInput;
  /** The console's connection facts, taken at request time. */
  readonly consoleConfig: () => ConsoleConfig;
  /** Where the built console files are (dist/); the package's own dist when absent. */
  readonly distRoot?: string;
}

/** The GET routes by path. */
export function adminRoutes(opts: AdminRoutesOptions): ReadonlyMap<string, AdminRoute> {
  const routes = new Map<string, AdminRoute>();
  const metrics = opts.metrics;
  if (metrics !== undefined) {
    routes.set("/metrics", async () => ({ status: 200, contentType: metrics.contentType, body: await metrics.render() }));
  }
  routes.set("/health", () =>
    jsonResponse(200, { status: "ok", brokerId: opts.brokerId, uptimeSeconds: Math.round((opts.monotonicMs() - opts.startedAtMs) / 100) / 10 }),
  );
  routes.set("/ready", () => {
    const r = readiness(opts.readinessInput());
    return jsonResponse(r.ready ? 200 : 503, { ready: r.ready, brokerId: opts.brokerId, notReady: r.notReady, notReadyCount: r.notReadyCount });
  });
  routes.set("/console/config.json", () => jsonResponse(200, opts.consoleConfig()));
  for (const [path, route] of consoleFileRoutes(opts.distRoot)) routes.set(path, route);
  return routes;
}
