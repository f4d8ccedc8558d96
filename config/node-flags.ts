/**
 * The Node.js flags a launcher starts a broker process with: the part of
 * running a broker that must be decided before the process exists, as a JVM
 * broker's heap and GC options are.
 *
 * Garbage collection. V8 collects with helper threads by default (parallel
 * scavenges, concurrent marking and sweeping). On a host where the brokers
 * have fewer than two cores each, as in the local 3-broker cluster on a
 * small machine, those helpers compete with the other brokers' main
 * threads for the same cores, and throughput drops: a 3-broker cluster on
 * 2 cores produced 80k records/s with the default and 96-107k with
 * `--single-threaded-gc` (docs/PERFORMANCE.md, "Garbage collection on a
 * shared host"). `auto` therefore picks single-threaded collection when
 * brokersOnHost > cores / 2, and leaves V8's default otherwise. The flag
 * cannot be set once a process runs (v8.setFlagsFromString after start-up
 * corrupts the collector's state) nor through NODE_OPTIONS (Node refuses
 * it there), so it is a launch argument.
 */

/** How a launcher runs the brokers' garbage collector. */
export type BrokerGc = "auto" | "single-threaded" | "parallel";

export const BROKER_GC_MODES: readonly BrokerGc[] = ["auto", "single-threaded", "parallel"];

/** Node flags that make V8 collect on the main thread only. */
export const SINGLE_THREADED_GC_FLAGS: readonly string[] = ["--single-threaded-gc"];

/** What `auto` resolves to for `brokersOnHost` brokers sharing `cores` cores. */
export function resolveBrokerGc(gc: BrokerGc, brokersOnHost: number, cores: number): "single-threaded" | "parallel" {
  if (gc !== "auto") return gc;
  return brokersOnHost > cores / 2 ? "single-threaded" : "parallel";
}

/** The node flags for a broker process (put before the script). */
export function brokerNodeFlags(gc: BrokerGc, brokersOnHost: number, cores: number): readonly string[] {
  return resolveBrokerGc(gc, brokersOnHost, cores) === "single-threaded" ? SINGLE_THREADED_GC_FLAGS : [];
}
