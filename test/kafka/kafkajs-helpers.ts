/** kafkajs helpers shared by the Kafka listener's tests. */
import type { Admin } from "kafkajs";
import { sleep } from "../broker/cluster-harness.js";

/** How long createTopicsWhenLive retries while brokers look down (a loaded machine can delay peer heartbeats). */
const LIVE_WAIT_MS = 20_000;

/**
 * admin.createTopics, retried while every topic's error is
 * INVALID_REPLICATION_FACTOR: the controller refuses replicas on brokers
 * whose peer link is down, which on two shared cores can happen for a
 * moment. Any other failure is rethrown with the per-topic error types in
 * its message.
 */
export async function createTopicsWhenLive(admin: Admin, options: Parameters<Admin["createTopics"]>[0]): Promise<boolean> {
  const deadline = Date.now() + LIVE_WAIT_MS;
  for (;;) {
    try {
      return await admin.createTopics(options);
    } catch (err) {
      const errors = (err as { errors?: { type?: string; message?: string }[] }).errors ?? [];
      if (errors.length > 0 && errors.every((e) => e.type === "INVALID_REPLICATION_FACTOR") && Date.now() < deadline) {
        await sleep(200);
        continue;
      }
      const detail = errors.map((e) => `${e.type}: ${e.message}`).join("; ");
      throw new Error(`createTopics failed: ${(err as Error).message}${detail === "" ? "" : ` (${detail})`}`, { cause: err });
    }
  }
}
