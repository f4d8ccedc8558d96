/** Checks on host names and addresses in a config. */

/**
 * Whether a host is an unspecified ("wildcard") address: 0.0.0.0 or ::
 * (also written [::] or 0:0:0:0:0:0:0:0). A listener may bind one to take
 * connections on every interface, but nothing elsewhere can connect to it,
 * so it is never a broker's advertised address (Kafka refuses it in
 * advertised.listeners for the same reason).
 */
export function isUnspecifiedHost(host: string): boolean {
  const h = host.trim().replace(/^\[(.*)\]$/, "$1");
  if (h === "0.0.0.0") return true;
  return h.includes(":") && /^[0:]+$/.test(h);
}
