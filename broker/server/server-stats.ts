/**
 * Counters of the client listener, shared by the listener and its
 * sessions, and the snapshot `ClientServer.stats()` returns.
 */
import type { RlogError } from "../protocol/errors.js";

/** A snapshot of the listener's counters. */
export interface ClientServerStats {
  /** Open client connections (handshake done or pending); refused sockets are not counted. */
  readonly connections: number;
  /** Connections accepted since start. */
  readonly connectionsAccepted: number;
  /** Connections refused since start (connectionsMax, shutting down). */
  readonly connectionsRefused: number;
  /** Handlers running now, on all connections (including ones already answered TIMEOUT). */
  readonly requestsInflight: number;
  /** Requests answered since start: handshakes, results and error responses that carry a request id. */
  readonly requestsServed: number;
  /** Connections closed for breaking the protocol (text or undecodable frame, no handshake, duplicate id, ws-level errors). */
  readonly protocolViolations: number;
  /** Connections closed because the client did not read its responses (sendBufferBytesMax, sendStallMs, sendStallPressureMs). */
  readonly slowClientsClosed: number;
  /** Requests refused AUTHORIZATION_FAILED before dispatch. */
  readonly authorizationFailures: number;
  /** Authentications that failed (wrong proof, unknown user, bad message, a request before authenticating, a client certificate that does not verify). */
  readonly authenticationFailures: number;
  /** Connections closed after connectionIdleMs without activity. */
  readonly connectionsIdleClosed: number;
  /** WebSocket upgrades refused (HTTP 403) for an Origin not in allowedOrigins. */
  readonly originsRefused: number;
  /** Connections refused because their address had connectionsPerAddressMax open (also in connectionsRefused). */
  readonly addressLimitRefused: number;
  /** Response bytes held now (fetch reservations and unsent frames), all connections. */
  readonly responseBytesHeld: number;
  /** Fetches answered without records because no response budget came within their maxWaitMs. */
  readonly fetchesWithoutBudget: number;
  /** Error frames sent, by code name (e.g. NOT_LEADER), id-0 frames included. */
  readonly errorsByCode: Readonly<Record<string, number>>;
}

/**
 * At most this many distinct names in `errorsByCode`; the table has fewer,
 * but a handler could forward unknown codes from a newer peer. Extra names
 * are counted under "OTHER".
 */
const ERROR_NAMES_MAX = 64;

/** Mutable counters behind ClientServerStats. */
export class ServerCounters {
  connections = 0;
  connectionsAccepted = 0;
  connectionsRefused = 0;
  requestsInflight = 0;
  requestsServed = 0;
  protocolViolations = 0;
  slowClientsClosed = 0;
  authorizationFailures = 0;
  authenticationFailures = 0;
  connectionsIdleClosed = 0;
  originsRefused = 0;
  addressLimitRefused = 0;
  private readonly errorsByName = new Map<string, number>();

  /** Count one error frame sent. */
  countError(error: RlogError): void {
    const name = this.errorsByName.has(error.codeName) || this.errorsByName.size < ERROR_NAMES_MAX - 1 ? error.codeName : "OTHER";
    this.errorsByName.set(name, (this.errorsByName.get(name) ?? 0) + 1);
  }

  /** A frozen copy for callers, with the response budget's figures. */
  snapshot(budget: { readonly heldBytes: number; readonly deniedCount: number }): ClientServerStats {
    return Object.freeze({
      connections: this.connections,
      connectionsAccepted: this.connectionsAccepted,
      connectionsRefused: this.connectionsRefused,
      requestsInflight: this.requestsInflight,
      requestsServed: this.requestsServed,
      protocolViolations: this.protocolViolations,
      slowClientsClosed: this.slowClientsClosed,
      authorizationFailures: this.authorizationFailures,
      authenticationFailures: this.authenticationFailures,
      connectionsIdleClosed: this.connectionsIdleClosed,
      originsRefused: this.originsRefused,
      addressLimitRefused: this.addressLimitRefused,
      responseBytesHeld: budget.heldBytes,
      fetchesWithoutBudget: budget.deniedCount,
      errorsByCode: Object.freeze(Object.fromEntries(this.errorsByName)),
    });
  }
}
