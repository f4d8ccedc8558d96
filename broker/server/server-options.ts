/**
 * Options of the client listener, their defaults, and the checks that turn
 * them into the settings a session reads. Every bound has an explicit value.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { AUTHENTICATION_DEFAULTS } from "../protocol/defaults.js";
import type { ScramCredential } from "../protocol/scram.js";
import { FIXED_LIMITS, type Limits } from "../protocol/limits.js";
import type { RlogError } from "../protocol/errors.js";
import type { Request } from "../protocol/ops.js";
import type { TlsMaterial } from "../transport/tls-files.js";
import type { OpHandlers } from "./handlers.js";

/**
 * Asked about every request (handshake aside) before it is dispatched, with
 * the connection's principal: an error (AUTHORIZATION_FAILED) refuses it,
 * undefined lets it through.
 */
export type RequestAuthorize = (principal: string, request: Request) => RlogError | undefined;
/** How clients authenticate (the broker config's `authentication` group). */
export interface AuthenticationOptions {
  /** "none": every connection is User:ANONYMOUS; "scram": SCRAM-SHA-256 before any other request. */
  readonly mechanism: "none" | "scram";
  /** A failed authentication is answered, and the connection closed, this long after the failing message. */
  readonly failureDelayMs: number;
  /** The stored credential of a user (users file, then controller metadata), or undefined. */
  readonly lookupUser: (name: string) => ScramCredential | undefined;
}

/** The authentication settings a session reads. */
export interface AuthenticationSettings extends AuthenticationOptions {
  /** Per-listener random key of the fake salts given to unknown users (broker/security/scram-server.ts). */
  readonly fakeSaltKey: Uint8Array;
}

/** Bytes of the fake-salt key. */
const FAKE_SALT_KEY_BYTES = 32;

/** What the broker hands the client listener. */
export interface ClientServerOptions {
  /** Interface to bind, e.g. "0.0.0.0" or "127.0.0.1". */
  readonly host: string;
  /** Port to bind; 0 picks a free one (start() resolves to the bound port). */
  readonly port: number;
  /** This broker's id (1 .. 2^31 - 1), announced in the handshake. */
  readonly brokerId: number;
  /** The limits enforced on clients and announced in the handshake. */
  readonly limits: Limits;
  /** The broker's operation handlers (the seam; see handlers.ts). */
  readonly handlers: OpHandlers;
  /**
   * The broker's logger, root or a component child. The listener adds
   * `{ component: "client-listener" }` unless a `component` is already
   * bound, and makes a child per connection `{ connectionId, remote }`
   * (plus `clientId` after the handshake).
   */
  readonly logger: Logger;
  /**
   * Backstop for a handler that never settles: after this long the request
   * is answered TIMEOUT and its ctx.signal aborted (the handler keeps its
   * in-flight slot until it settles). Handlers are expected to honour their
   * own deadlines (fetch maxWaitMs, produce timeoutMs) well before this.
   * Default: max(requestTimeoutMsMax, fetchWaitMsMax) + 30 s.
   */
  readonly requestTimeoutMs?: number;
  /** Time a new connection has to send its handshake before it is closed 4002. Default: limits.handshakeWaitMsMax. */
  readonly handshakeWaitMs?: number;
  /**
   * Most bytes of responses queued unsent on one connection; past it the
   * client is taken to not be reading and the connection is closed (1008).
   * A backstop behind the response budgets (response-budget.ts), which stop
   * reading such a client first. At least frameBytesMax. Default:
   * limits.connectionResponseBytesMax + limits.frameBytesMax.
   */
  readonly sendBufferBytesMax?: number;
  /** Browser Origins allowed to connect (origin-check.ts); "*" allows all (unsafe). Default: none. */
  readonly allowedOrigins?: readonly string[];
  /** How long a close waits for the client's close frame before cutting the socket. Default 1000. */
  readonly closeWaitMs?: number;
  /** Authorization of each request (broker/security/authorizer.ts); every request is allowed when absent. */
  readonly authorize?: RequestAuthorize;
  /** Serve wss:// with this material (and its clientAuth); plain ws:// when absent. */
  readonly tls?: TlsMaterial;
  /** Client authentication. Default: mechanism "none". */
  readonly authentication?: AuthenticationOptions;
}

/** The options with every default filled in and checked. */
export interface ServerSettings {
  readonly host: string;
  readonly port: number;
  readonly brokerId: number;
  readonly limits: Limits;
  readonly handlers: OpHandlers;
  readonly requestTimeoutMs: number;
  readonly handshakeWaitMs: number;
  readonly sendBufferBytesMax: number;
  readonly closeWaitMs: number;
  /** See ClientServerOptions.authorize; undefined: every request is allowed. */
  readonly authorize: RequestAuthorize | undefined;
  /** wss:// when set; see ClientServerOptions.tls. */
  readonly tls: TlsMaterial | undefined;
  readonly authentication: AuthenticationSettings;
  readonly allowedOrigins: readonly string[];
  /**
   * Sockets beyond connectionsMax that may be in the middle of being refused
   * (error frame, close). Past connectionsMax + this, new TCP connections are
   * dropped at once by the HTTP server (`maxConnections`), without a frame.
   */
  readonly refusingConnectionsMax: number;
}

/** Added to the longest wait a client may ask for to get the default requestTimeoutMs. */
export const REQUEST_TIMEOUT_GRACE_MS = 30_000;

/** Default closeWaitMs. */
export const CLOSE_WAIT_MS_DEFAULT = 1_000;

/** Default refusingConnectionsMax. */
export const REFUSING_CONNECTIONS_MAX = 64;

/**
 * Fill in defaults and check every value.
 * @throws RangeError on a value out of range (a configuration bug, caught at start-up)
 */
export function resolveSettings(options: ClientServerOptions): ServerSettings {
  const { limits } = options;
  positiveInt("limits.frameBytesMax", limits.frameBytesMax);
  positiveInt("limits.connectionsMax", limits.connectionsMax);
  positiveInt("limits.inflightRequestsMax", limits.inflightRequestsMax);
  positiveInt("limits.handshakeWaitMsMax", limits.handshakeWaitMsMax);
  positiveInt("limits.connectionIdleMs", limits.connectionIdleMs);
  positiveInt("limits.connectionsPerAddressMax", limits.connectionsPerAddressMax);
  positiveInt("limits.connectionResponseBytesMax", limits.connectionResponseBytesMax);
  positiveInt("limits.brokerResponseBytesMax", limits.brokerResponseBytesMax);
  positiveInt("limits.sendStallMs", limits.sendStallMs);
  positiveInt("limits.sendStallPressureMs", limits.sendStallPressureMs);
  if (limits.connectionResponseBytesMax < 2 * limits.frameBytesMax || limits.brokerResponseBytesMax < limits.connectionResponseBytesMax) {
    throw new RangeError(
      `need 2 * frameBytesMax ${2 * limits.frameBytesMax} <= connectionResponseBytesMax ${limits.connectionResponseBytesMax} <= brokerResponseBytesMax ${limits.brokerResponseBytesMax}`,
    );
  }
  if (limits.sendStallPressureMs > limits.sendStallMs) throw new RangeError(`sendStallPressureMs ${limits.sendStallPressureMs} must be at most sendStallMs ${limits.sendStallMs}`);
  if (!Number.isSafeInteger(options.port) || options.port < 0 || options.port > 65_535) throw new RangeError(`port must be 0 .. 65535, got ${options.port}`);
  if (!Number.isSafeInteger(options.brokerId) || options.brokerId < 1 || options.brokerId > FIXED_LIMITS.brokerIdMax) {
    throw new RangeError(`brokerId must be 1 .. ${FIXED_LIMITS.brokerIdMax}, got ${options.brokerId}`);
  }
  const settings: ServerSettings = {
    host: options.host,
    port: options.port,
    brokerId: options.brokerId,
    limits,
    handlers: options.handlers,
    requestTimeoutMs: options.requestTimeoutMs ?? Math.max(limits.requestTimeoutMsMax, limits.fetchWaitMsMax) + REQUEST_TIMEOUT_GRACE_MS,
    handshakeWaitMs: options.handshakeWaitMs ?? limits.handshakeWaitMsMax,
    sendBufferBytesMax: options.sendBufferBytesMax ?? limits.connectionResponseBytesMax + limits.frameBytesMax,
    closeWaitMs: options.closeWaitMs ?? CLOSE_WAIT_MS_DEFAULT,
    tls: options.tls,
    allowedOrigins: Object.freeze([...(options.allowedOrigins ?? [])]),
    refusingConnectionsMax: REFUSING_CONNECTIONS_MAX,
    authorize: options.authorize,
    authentication: {
      mechanism: options.authentication?.mechanism ?? "none",
      failureDelayMs: options.authentication?.failureDelayMs ?? AUTHENTICATION_DEFAULTS.failureDelayMs,
      lookupUser: options.authentication?.lookupUser ?? (() => undefined),
      fakeSaltKey: randomBytes(FAKE_SALT_KEY_BYTES),
    },
  };
  const { failureDelayMs } = settings.authentication;
  if (!Number.isSafeInteger(failureDelayMs) || failureDelayMs < 0 || failureDelayMs > 0x7fff_ffff) {
    throw new RangeError(`authentication.failureDelayMs must be 0 .. ${0x7fff_ffff} ms, got ${failureDelayMs}`);
  }
  positiveInt("requestTimeoutMs", settings.requestTimeoutMs);
  positiveInt("handshakeWaitMs", settings.handshakeWaitMs);
  positiveInt("closeWaitMs", settings.closeWaitMs);
  positiveInt("sendBufferBytesMax", settings.sendBufferBytesMax);
  if (settings.sendBufferBytesMax < limits.frameBytesMax) {
    throw new RangeError(`sendBufferBytesMax ${settings.sendBufferBytesMax} must be at least frameBytesMax ${limits.frameBytesMax} (one response)`);
  }
  return settings;
}

function positiveInt(name: string, value: number): void {
  // Timers take at most 2^31 - 1 ms; larger values would fire at once.
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  if (name.endsWith("Ms") || name.endsWith("MsMax")) {
    if (value > 0x7fff_ffff) throw new RangeError(`${name} must be at most ${0x7fff_ffff} ms, got ${value}`);
  }
}
