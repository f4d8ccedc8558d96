/**
 * The URL of a listener from a host and a port, as brokers advertise it to
 * clients and dial each other: `ws://10.0.0.5:9092`, `ws://broker-1.example:9092`,
 * and for an IPv6 literal `ws://[fd00::5]:9092` (a bare `ws://fd00::5:9092`
 * is not a URL); `wss://` when the broker has TLS on. Shared by the broker, the CLI and tests.
 */

/** Whether a host is an IPv6 literal without brackets ("::1", "fd00::5"). */
function isBareIpv6(host: string): boolean {
  return host.includes(":") && !host.startsWith("[");
}

/** `ws://host:port` (`wss://` when `secure`: the listener serves TLS), bracketing an IPv6 literal. */
export function wsUrl(host: string, port: number, secure = false): string {
  return `${secure ? "wss" : "ws"}://${isBareIpv6(host) ? `[${host}]` : host}:${port}`;
}
