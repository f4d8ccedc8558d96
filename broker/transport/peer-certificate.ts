/**
 * With TLS on, a peer's claimed broker id must match its credentials: the
 * certificate the dialer presented (already verified against tls.caFile by the
 * TLS handshake) must be valid for the host that `brokers` lists for the id it
 * claims in its hello, by the same rules a TLS client applies to a server
 * (subjectAltName DNS and IP entries; RFC 6125). Without this check any
 * broker of the cluster, or anyone holding a certificate of the same CA, could
 * speak as another broker.
 */
import type { TLSSocket, PeerCertificate } from "node:tls";
import { checkServerIdentity } from "node:tls";

/** The verified certificate of an inbound peer connection, or undefined (plain ws, or none presented). */
export function verifiedPeerCertificate(socket: unknown): PeerCertificate | undefined {
  const tls = socket as Partial<TLSSocket>;
  if (typeof tls.getPeerCertificate !== "function" || tls.authorized !== true) return undefined;
  const cert = tls.getPeerCertificate();
  return cert !== null && typeof cert === "object" && Object.keys(cert).length > 0 ? cert : undefined;
}

/**
 * Why the certificate does not prove broker `brokerId`, or undefined when it does.
 * @param host the host `brokers` lists for the claimed id (undefined: not a configured peer)
 */
export function peerCertificateMismatch(brokerId: number, host: string | undefined, cert: PeerCertificate | undefined): string | undefined {
  if (cert === undefined) return `broker ${brokerId} presented no verified certificate`;
  if (host === undefined) return `broker ${brokerId} has no host in this broker's brokers list`;
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const err = checkServerIdentity(bare, cert);
  return err === undefined ? undefined : `certificate of ${cert.subject?.CN ?? "?"} is not valid for ${bare}, the host of broker ${brokerId}: ${err.message}`;
}
