/**
 * Throttling of failed peer hellos, per remote address: after a failure the
 * address is refused for authFailureBackoffMs, doubling with each further
 * failure up to authFailureBackoffMsMax. Pure apart from the clock, which is
 * passed in. Memory is bounded: at most authFailureAddressesMax addresses
 * are remembered (the least recently failed is forgotten first), and an
 * address with no failure for authFailureForgetMs starts again from the
 * first backoff.
 *
 * A guess at the secret costs a connection, a hello and one HMAC, and after
 * n failures in a row the next guess waits up to authFailureBackoffMsMax:
 * online guessing of a secret worth the name is hopeless either way; the
 * throttle keeps the noise (and the log lines) down. A hostile client on
 * the same address as a real broker (one host, NAT) delays that broker's
 * hellos by at most authFailureBackoffMsMax; its links redial with backoff.
 */

/** The throttle's settings (a subset of PeerLimits). */
export interface PeerAuthThrottleLimits {
  readonly authFailureBackoffMs: number;
  readonly authFailureBackoffMsMax: number;
  readonly authFailureForgetMs: number;
  readonly authFailureAddressesMax: number;
}

interface Entry {
  /** Failures in a row (reset by a success or after authFailureForgetMs without one). */
  failures: number;
  /** Hellos from the address are refused until this time. */
  blockedUntilMs: number;
  lastFailureMs: number;
}

/** Per-address failed-hello throttle; see the file comment. */
export class PeerAuthThrottle {
  /** By address, least recently failed first (Map insertion order; a failure re-inserts). */
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly limits: PeerAuthThrottleLimits) {}

  /** Milliseconds `address` must still wait before a hello is heard; 0 when it may try now. */
  waitMs(address: string, nowMs: number): number {
    const e = this.entries.get(address);
    if (e === undefined) return 0;
    if (nowMs - e.lastFailureMs >= this.limits.authFailureForgetMs) {
      this.entries.delete(address);
      return 0;
    }
    return Math.max(0, e.blockedUntilMs - nowMs);
  }

  /** Record a failed hello from `address`; returns the wait now imposed on it. */
  failed(address: string, nowMs: number): number {
    const old = this.entries.get(address);
    const fresh = old === undefined || nowMs - old.lastFailureMs >= this.limits.authFailureForgetMs;
    const failures = fresh ? 1 : old.failures + 1;
    // 2^(failures-1) overflows nothing that matters: capped long before (exponent limited to 30).
    const waitMs = Math.min(this.limits.authFailureBackoffMs * 2 ** Math.min(failures - 1, 30), this.limits.authFailureBackoffMsMax);
    this.entries.delete(address);
    this.entries.set(address, { failures, blockedUntilMs: nowMs + waitMs, lastFailureMs: nowMs });
    while (this.entries.size > this.limits.authFailureAddressesMax) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return waitMs;
  }

  /** A hello from `address` succeeded: forget its failures. */
  succeeded(address: string): void {
    this.entries.delete(address);
  }

  /** Addresses remembered now (at most authFailureAddressesMax). */
  get size(): number {
    return this.entries.size;
  }
}
