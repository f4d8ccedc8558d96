/**
 * The broker's TLS material: the PEM files the `tls` config group names, read
 * once at start. Both listeners and the peer dialer use the same material.
 * An unreadable or malformed file stops the start with an error naming the
 * key and the path, never a half-configured listener.
 */
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import type { TlsSettings, TlsClientAuth } from "../../config/broker-config.js";
import { ConfigError } from "../../config/config-error.js";

/** The PEM bytes of a broker's TLS configuration. */
export interface TlsMaterial {
  /** This broker's certificate (chain), PEM. */
  readonly cert: Buffer;
  /** Its private key, PEM. */
  readonly key: Buffer;
  /** The CA bundle peer and client certificates must chain to; undefined when not configured. */
  readonly ca: Buffer | undefined;
  /** How the client listener asks for client certificates. */
  readonly clientAuth: TlsClientAuth;
}

/**
 * Reads the files of a `tls` group; undefined when TLS is off.
 * @throws ConfigError (INVALID_CONFIG) naming the key and the file when one cannot be read or does not hold what it should
 */
export function readTlsFiles(settings: TlsSettings): TlsMaterial | undefined {
  if (settings.certFile === null || settings.keyFile === null) return undefined;
  const cert = readPem("tls.certFile", settings.certFile);
  const key = readPem("tls.keyFile", settings.keyFile);
  const ca = settings.caFile === null ? undefined : readPem("tls.caFile", settings.caFile);
  try {
    // Parses all three now, so a key that does not match its certificate fails the start, not the first connection.
    createSecureContext({ cert, key, ...(ca === undefined ? {} : { ca }) });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const files = `${settings.certFile}, ${settings.keyFile}${settings.caFile === null ? "" : `, ${settings.caFile}`}`;
    throw new ConfigError([{ source: "tls.certFile, tls.keyFile, tls.caFile", key: "", reason: `TLS files unusable (${files}): ${why}` }]);
  }
  return { cert, key, ca, clientAuth: settings.clientAuth };
}

function readPem(key: string, path: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
    throw new ConfigError([{ source: key, key: "", reason: `cannot read ${path} (${code})` }]);
  }
  if (!bytes.includes("-----BEGIN ")) throw new ConfigError([{ source: key, key: "", reason: `${path} holds no PEM block (-----BEGIN ...)` }]);
  return bytes;
}

/**
 * Server options of a listener clients connect to (the client and admin
 * listeners): this broker's certificate, and client certificates asked for
 * and required as `tls.clientAuth` says. `handshakeTimeoutMs` cuts a TLS
 * handshake that never completes.
 */
export function clientListenerTlsOptions(tls: TlsMaterial, handshakeTimeoutMs: number): { cert: Buffer; key: Buffer; ca?: Buffer; requestCert: boolean; rejectUnauthorized: boolean; handshakeTimeout: number } {
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    requestCert: tls.clientAuth !== "none",
    rejectUnauthorized: tls.clientAuth === "required",
    handshakeTimeout: handshakeTimeoutMs,
  };
}
