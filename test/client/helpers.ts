/** Shared helpers for the client tests: a fake cluster per test, fast retry settings, polling. */
import { RlogClient } from "../../client/index.js";
import type { ClientOptions } from "../../client/index.js";
import { FakeCluster, type FakeClusterOptions } from "./fake-broker.js";

/** Retry settings short enough for tests. */
export const FAST_RETRY = { retriesMax: 20, initialBackoffMs: 5, backoffMsMax: 40, totalTimeoutMs: 5_000 } as const;

/** A client of `fake` with fast retries; `extra` overrides. */
export function clientOf(fake: FakeCluster, extra: Partial<ClientOptions> = {}): RlogClient {
  return new RlogClient({ brokers: [fake.urls[0] as string], clientId: "test", requestTimeoutMs: 2_000, connectTimeoutMs: 2_000, retry: FAST_RETRY, ...extra });
}

/**
 * Run `fn` with a started fake cluster and a client, then close both (even
 * when `fn` fails), so no socket outlives the test. When `fn` succeeds, also
 * check that client.close() alone closed every connection.
 */
export async function withCluster(
  fn: (fake: FakeCluster, client: RlogClient) => Promise<void>,
  options: { readonly fake?: FakeClusterOptions; readonly client?: Partial<ClientOptions> } = {},
): Promise<void> {
  const fake = await FakeCluster.start(options.fake);
  const client = clientOf(fake, options.client);
  try {
    await fn(fake, client);
    await client.close();
    await waitFor(() => fake.connectionCount() === 0, "client.close() to close every socket", 2_000);
  } finally {
    await client.close();
    await fake.stop();
  }
}

/** Poll `condition` until true; fail naming `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Resolve after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The values of records as strings. */
export function texts(records: readonly { readonly value: Uint8Array | null }[]): string[] {
  return records.map((r) => (r.value === null ? "<null>" : Buffer.from(r.value).toString()));
}
