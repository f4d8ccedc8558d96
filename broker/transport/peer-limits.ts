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
  /**
   * After a failed peer hello (wrong or missing proof), hellos from the same
   * remote address are refused for this long; the wait doubles with each
   * further failure (peer-auth-throttle.ts).
   */
  readonly authFailureBackoffMs: number;
  /** Longest such wait. */
  readonly authFailureBackoffMsMax: number;
  /** A remote address with no failed hello for this long starts again from authFailureBackoffMs. */
  readonly authFailureForgetMs: number;
  /** Most remote addresses remembered for throttling; the least recently failed is forgotten first. */
  readonly authFailureAddressesMax: number;
  /**
   * A Raft message from a peer whose term is more than this above the
   * group's current term is refused, and the peer connection closed (see
   * docs/SECURITY.md, "Hostile peer frames", for why this is safe for
   * liveness). Terms grow by about one per election; a million elections
   * at one per election timeout is days of continuous campaigning.
   */
  readonly peerTermJumpMax: number;
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
  authFailureBackoffMs: 100,
  authFailureBackoffMsMax: 10_000,
  authFailureForgetMs: 60_000,
  authFailureAddressesMax: 4096,
  peerTermJumpMax: 1_000_000,
});
