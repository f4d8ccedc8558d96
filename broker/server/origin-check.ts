/**
 * The browser Origin allow-list of the client listener. A web page can open
 * a WebSocket to any address its browser reaches (127.0.0.1 included), and
 * the browser then sends the page's Origin header; it cannot omit or forge
 * it. Programs that are not browsers (the SDK, the CLI) send no Origin. So:
 * - no Origin header: allowed (the listener's other checks apply);
 * - an Origin listed in `allowedOrigins` (exact, as browsers serialize it:
 *   "https://app.example.com", "http://localhost:8080"): allowed;
 * - "*" in the list: every Origin allowed. UNSAFE: any page the broker's
 *   users visit could produce, consume and administer;
 * - any other Origin, "null" (file:// pages, sandboxed frames) included:
 *   refused with HTTP 403 at the upgrade, before any WebSocket frame.
 */

/** What the listener needs to decide on an Origin: the list, frozen at start. */
export interface OriginPolicy {
  /** Whether `origin` (the header's value, undefined when absent) may open a connection. */
  allows(origin: string | undefined): boolean;
}

/** The policy for `allowedOrigins` (see the file comment). */
export function originPolicy(allowedOrigins: readonly string[]): OriginPolicy {
  const any = allowedOrigins.includes("*");
  const listed = new Set(allowedOrigins);
  return {
    allows: (origin) => origin === undefined || any || listed.has(origin),
  };
}
