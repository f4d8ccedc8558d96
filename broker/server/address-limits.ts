/**
 * Open client connections per remote IP address, bounded by
 * `connectionsPerAddressMax`, so that one host cannot take every slot of
 * `connectionsMax`. IPv4 peers seen through an IPv6 socket ("::ffff:10.0.0.5")
 * count as their IPv4 address. The table holds only addresses with an open
 * connection, so it is bounded by connectionsMax.
 */
import { strict as assert } from "node:assert";

/** The count of open connections by remote address; see the file comment. */
export class AddressLimits {
  private readonly open = new Map<string, number>();

  /** @param perAddressMax most open connections from one address (connectionsPerAddressMax) */
  constructor(private readonly perAddressMax: number) {
    assert.ok(Number.isSafeInteger(perAddressMax) && perAddressMax >= 1, `connectionsPerAddressMax must be a positive integer, got ${perAddressMax}`);
  }

  /** The key connections from `remoteAddress` are counted under. */
  static keyOf(remoteAddress: string | undefined): string {
    if (remoteAddress === undefined) return "?";
    return remoteAddress.startsWith("::ffff:") && remoteAddress.includes(".") ? remoteAddress.slice(7) : remoteAddress;
  }

  /** Count one more connection from `key`; false (nothing counted) when it already has perAddressMax. */
  tryOpen(key: string): boolean {
    const n = this.open.get(key) ?? 0;
    if (n >= this.perAddressMax) return false;
    this.open.set(key, n + 1);
    return true;
  }

  /** One connection from `key` closed (it was counted by tryOpen). */
  close(key: string): void {
    const n = this.open.get(key);
    assert.ok(n !== undefined && n >= 1, `address-limits: close of ${key} that has no open connection`);
    if (n === 1) this.open.delete(key);
    else this.open.set(key, n - 1);
  }

  /** Open connections from `key`. */
  count(key: string): number {
    return this.open.get(key) ?? 0;
  }
}
