/**
 * WebSocket close codes used by rlog listeners (client and peer). 4000-4999
 * is the range RFC 6455 leaves to applications. Sent on the wire: numeric,
 * append-only. Close reasons are short human text (at most 123 bytes).
 * The standard 1009 (message too big) is sent by ws itself for a frame over
 * the listener's maxPayload.
 */
export const CloseCode = {
  /** Normal shutdown of the connection by its owner (RFC 6455). */
  Normal: 1000,
  /** The broker is shutting down (RFC 6455 "going away"). */
  GoingAway: 1001,
  /** The client is not reading its responses: too many bytes queued unsent (RFC 6455 "policy violation"). */
  SlowClient: 1008,
  /** A frame that is not binary, not decodable, or not allowed at this point. */
  BadFrame: 4000,
  /** Wrong or missing cluster secret (peer listener), or a client that failed or skipped authentication (client listener). */
  AuthenticationFailed: 4001,
  /** No handshake (hello) within the allowed time. */
  HandshakeTimeout: 4002,
  /** The handshake named a protocol version the listener does not speak. */
  UnsupportedVersion: 4003,
  /** The listener is at its connection limit. */
  TooManyConnections: 4004,
  /** A newer connection from the same peer replaced this one. */
  Replaced: 4005,
  /** The peer answered as a different broker than the one dialed. */
  WrongPeer: 4006,
  /** The peer's data belongs to another cluster (a different cluster id). */
  WrongCluster: 4007,
  /**
   * An authenticated peer sent a well-formed message this broker refused as
   * impossible from a correct peer (entries that do not chain, an absurd
   * term, a write storage refused): that connection is closed, the broker
   * and the group go on.
   */
  PeerFault: 4008,
  /** The connection was idle (nothing running, nothing unsent, no frame) for connectionIdleMs; clients reconnect. */
  IdleTimeout: 4009,
} as const;
/** A value of `CloseCode`. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
