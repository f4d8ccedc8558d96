/**
 * Limits and timings of the peer transport, with defaults. The broker
 * config may override them; docs/PROTOCOL.md lists them.
 */

/** Peer transport limits. */
export interface PeerLimits {
  /** Largest peer frame in bytes: the listener's maxPayload; bigger frames close the connection (1009). */
  readonly frameBytesMax: number;
  /** A sender closes a frame once its estimated size reaches this; many small messages share one frame. */
  readonly frameBytesTarget: number;
  /** Most messages waiting for one peer; the oldest are dropped beyond it. */
  readonly queueMessagesMax: number;
  /** Most estimated bytes waiting for one peer; the oldest are dropped beyond it. */
  readonly queueBytesMax: number;
  /** Stop handing frames to a socket while its unsent bytes exceed this (backpressure into the queue). */
  readonly socketBufferBytesMax: number;
  /** Time a new connection has to complete the hello exchange. */
  readonly helloWaitMs: number;
  /** First reconnect delay cap (equal jitter: the delay is between half the cap and the cap). */
  readonly reconnectDelayMsMin: number;
  /** Largest reconnect delay. */
  readonly reconnectDelayMsMax: number;
  /** Most inbound peer connections (authenticated or not) at once. */
  readonly connectionsMax: number;
  /** How long close() waits for a peer to acknowledge a close before cutting the socket. */
  readonly closeWaitMs: number;
  /**
   * An open link that sent no frame for this long sends a heartbeat frame (a
   * Raft frame with no messages): the peer's liveness signal (peer-liveness.ts).
   */
  readonly heartbeatIntervalMs: number;
}

const MiB = 1024 * 1024;

/** Defaults. */
export const DEFAULT_PEER_LIMITS: PeerLimits = Object.freeze({
  frameBytesMax: 64 * MiB,
  frameBytesTarget: 1 * MiB,
  queueMessagesMax: 10_000,
  queueBytesMax: 64 * MiB,
  socketBufferBytesMax: 8 * MiB,
  helloWaitMs: 5_000,
  reconnectDelayMsMin: 50,
  reconnectDelayMsMax: 5_000,
  connectionsMax: 256,
  closeWaitMs: 1_000,
  heartbeatIntervalMs: 100,
});
