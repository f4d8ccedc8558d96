/**
 * Reading the handshake result. The broker is trusted, but its limits are
 * used to size requests, so each one is checked and a missing or bad value
 * falls back to the protocol default.
 */
import { DEFAULT_LIMITS, type Limits } from "../../broker/protocol/limits.js";
import type { HandshakeResult } from "../../broker/protocol/results.js";

/** The broker's handshake answer with checked limits. */
export function readHandshake(map: Readonly<Record<string, unknown>>): HandshakeResult {
  const brokerId = positive(map["brokerId"]) ?? 0;
  const version = positive(map["version"]) ?? 0;
  const raw = map["limits"];
  const given = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {};
  const limits: Record<string, number> = {};
  for (const [name, fallback] of Object.entries(DEFAULT_LIMITS)) limits[name] = positive(given[name]) ?? fallback;
  const auth = map["authentication"];
  const listed = typeof auth === "object" && auth !== null ? (auth as Record<string, unknown>)["mechanisms"] : undefined;
  const mechanisms = Array.isArray(listed) ? listed.filter((m): m is string => typeof m === "string") : [];
  return { brokerId, version, limits: Object.freeze(limits) as unknown as Limits, authentication: { mechanisms } };
}

function positive(v: unknown): number | undefined {
  return typeof v === "number" && Number.isSafeInteger(v) && v > 0 ? v : undefined;
}
