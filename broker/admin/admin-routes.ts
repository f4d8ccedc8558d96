/**
 * The admin listener's routes (docs/METRICS.md, "Endpoints"): /metrics,
 * /health and /ready, over what the broker hands in.
 */
import type { AdminRoute } from "./admin-server.js";
import { jsonResponse } from "./admin-server.js";
import type { BrokerMetrics } from "./broker-metrics.js";
import { readiness, type ReadinessInput } from "./readiness.js";

export interface AdminRoutesOptions {
  readonly brokerId: number;
  /** Monotonic ms at process start of the broker (uptime's origin). */
  readonly startedAtMs: number;
  readonly monotonicMs: () => number;
  /** Undefined when metrics.enabled is false: /metrics is then not served (404). */
  readonly metrics: BrokerMetrics | undefined;
  /** The facts /ready decides on, taken at request time. */
  readonly readinessInput: () => ReadinessInput;
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
  return routes;
}
