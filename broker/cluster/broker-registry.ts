/**
 * The brokers of the cluster as one broker knows them: the `brokers` of its
 * config (the registry's seed) and those registered in the controller
 * metadata (RegisterBroker), combined (docs/OPERATIONS.md, "Adding a broker").
 *
 * An id in both keeps this broker's config entry: the config is what the
 * operator wrote for this machine, and a registered id is refused when the
 * controller leader's config lists it (BROKER_ALREADY_REGISTERED), so the two
 * differ only on a broker whose config lists brokers added later, which then
 * name the same addresses.
 */
import type { BrokerEndpoint } from "../../config/broker-config.js";
import type { NodeId } from "../raft/types.js";
import type { RegisteredBroker } from "./metadata.js";

/** Where a broker of the cluster is known from. */
export type BrokerSource = "configured" | "registered";

/** One broker of the cluster, with its advertised addresses. */
export interface KnownBroker extends RegisteredBroker {
  readonly source: BrokerSource;
}

/** Configured ∪ registered, sorted by id; a configured entry wins over a registered one of the same id. */
export function knownBrokers(configured: readonly BrokerEndpoint[], registered: readonly RegisteredBroker[]): KnownBroker[] {
  const out = new Map<NodeId, KnownBroker>();
  for (const b of registered) out.set(b.id, { ...b, source: "registered" });
  for (const b of configured) {
    out.set(b.id as NodeId, { id: b.id as NodeId, host: b.host, clientPort: b.clientPort, peerPort: b.peerPort, ...(b.kafkaPort === undefined ? {} : { kafkaPort: b.kafkaPort }), source: "configured" });
  }
  return [...out.values()].sort((a, b) => a.id - b.id);
}
