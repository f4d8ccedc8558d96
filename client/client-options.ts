/** RlogClient settings, their defaults and checks. */
import { DEFAULT_LIMITS } from "../broker/protocol/limits.js";
import { CLIENT_DEFAULTS } from "../broker/protocol/defaults.js";
import type { Logger } from "./logger.js";
import { silentLogger } from "./logger.js";
import { retryOptions, type RetryOptions } from "./retry/retry-options.js";
import { ScramLogin, type SaslOptions } from "./network/scram-login.js";

/**
 * TLS settings for wss:// brokers, handed to every connection's TLS socket
 * (node:tls connect options of the same names). PEM text or bytes.
 */
export interface ClientTlsOptions {
  /** CA certificate(s) the brokers' certificates must chain to; default: Node's public CA list. */
  readonly ca?: string | Buffer;
  /** Client certificate (for brokers with tls.clientAuth "optional" or "required"); its subject CN is the principal. */
  readonly cert?: string | Buffer;
  /** Private key of `cert`. */
  readonly key?: string | Buffer;
  /** false accepts any broker certificate: UNSAFE, for experiments only. Default true. */
  readonly rejectUnauthorized?: boolean;
  /** Name to check the broker certificate against (and send as SNI) instead of the URL's host. */
  readonly servername?: string;
}

/** Options of `new RlogClient()`. Times in ms. */
export interface ClientOptions {
  /** Bootstrap brokers' client URLs, e.g. ["ws://127.0.0.1:9092"]; the rest is learnt from metadata. */
  readonly brokers: readonly string[];
  /** Sent in every handshake, for broker logs. Default "rlog-client". */
  readonly clientId?: string;
  /** Time one request may take (long polls and produce commits add their own wait). Default 30 000. */
  readonly requestTimeoutMs?: number;
  /** Time to open a connection and complete its handshake. Default 10 000. */
  readonly connectTimeoutMs?: number;
  /** Retry settings for every retried operation. */
  readonly retry?: Partial<RetryOptions>;
  /** Where the SDK logs (pino-compatible); silent by default. */
  readonly logger?: Logger;
  /** Client-side cap on requests outstanding per connection; the broker's inflightRequestsMax caps it too. Default 128. */
  readonly inflightRequestsMax?: number;
  /** Requests waiting for a free slot per connection before new ones fail TOO_MANY_REQUESTS. Default 1024. */
  readonly queuedRequestsMax?: number;
  /** Largest response frame accepted, in bytes. Default 64 MiB. */
  readonly frameBytesMax?: number;
  /**
   * Metadata older than this is refreshed before a producer picks a partition,
   * so partitions added to a topic (alterTopic) come into use. Default 300 000 (5 min).
   */
  readonly metadataMaxAgeMs?: number;
  /** TLS settings for wss:// brokers (ignored for ws://); see ClientTlsOptions. */
  readonly tls?: ClientTlsOptions;
  /**
   * Credentials for brokers that require authentication (SCRAM-SHA-256,
   * RFC 7677). The password never leaves the client: it is salted and hashed
   * here, once per (salt, iterations). Without it, such a broker refuses the
   * connection with AUTHENTICATION_FAILED.
   */
  readonly sasl?: SaslOptions;
}

/** Client settings with defaults filled in. */
export interface ResolvedClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly retry: RetryOptions;
  readonly logger: Logger;
  readonly inflightRequestsMax: number;
  readonly queuedRequestsMax: number;
  readonly frameBytesMax: number;
  readonly metadataMaxAgeMs: number;
  readonly tls: ClientTlsOptions | undefined;
  /** The login every connection runs when a broker asks for it; undefined without `sasl`. */
  readonly sasl: ScramLogin | undefined;
}

/** Fill in defaults and check the values. */
export function resolveClientOptions(o: ClientOptions): ResolvedClientOptions {
  if (!Array.isArray(o?.brokers) || o.brokers.length === 0) throw new TypeError("brokers: give at least one broker URL");
  for (const url of o.brokers) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new TypeError(`brokers: ${JSON.stringify(url)} is not a URL`);
    }
    if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") throw new TypeError(`brokers: ${url} is not a ws:// or wss:// URL`);
  }
  const r: ResolvedClientOptions = {
    brokers: [...o.brokers],
    clientId: o.clientId ?? CLIENT_DEFAULTS.clientId,
    requestTimeoutMs: o.requestTimeoutMs ?? CLIENT_DEFAULTS.requestTimeoutMs,
    connectTimeoutMs: o.connectTimeoutMs ?? CLIENT_DEFAULTS.connectTimeoutMs,
    retry: retryOptions(o.retry),
    logger: o.logger ?? silentLogger,
    inflightRequestsMax: o.inflightRequestsMax ?? DEFAULT_LIMITS.inflightRequestsMax,
    queuedRequestsMax: o.queuedRequestsMax ?? CLIENT_DEFAULTS.queuedRequestsMax,
    frameBytesMax: o.frameBytesMax ?? CLIENT_DEFAULTS.frameBytesMax,
    metadataMaxAgeMs: o.metadataMaxAgeMs ?? CLIENT_DEFAULTS.metadataMaxAgeMs,
    tls: o.tls === undefined ? undefined : Object.freeze({ ...o.tls }),
    sasl: o.sasl === undefined ? undefined : new ScramLogin(o.sasl),
  };
  if (o.tls !== undefined && (typeof o.tls !== "object" || o.tls === null)) throw new TypeError("tls: give an object { ca?, cert?, key?, rejectUnauthorized?, servername? }");
  if ((o.tls?.cert === undefined) !== (o.tls?.key === undefined)) throw new TypeError("tls: cert and key go together");
  for (const name of ["requestTimeoutMs", "connectTimeoutMs", "inflightRequestsMax", "queuedRequestsMax", "frameBytesMax", "metadataMaxAgeMs"] as const) {
    const v = r[name];
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${String(v)}`);
  }
  return Object.freeze(r);
}
