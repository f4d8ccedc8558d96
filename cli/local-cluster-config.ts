/**
 * The configs of a local development cluster of N brokers on 127.0.0.1
 * (`rlog-cli cluster start-local --brokers N`), by the port scheme of
 * DESIGN.md: broker i listens for clients on 9091+i and for peers on 9191+i
 * (broker 1: 9092 and 9192); 9291+i (admin HTTP) and 19091+i (Kafka
 * protocol) are reserved for later listeners. Its data lives under
 * `<dataRoot>/broker-i`.
 *
 * config/cluster-3/broker-{1,2,3}.json are exactly what this module makes for
 * N = 3 with the default data root (test/cli/local-cluster-config.test.ts
 * holds them equal), so the shipped files and `npm start` cannot drift apart.
 * Pure: no file system, no environment.
 */

/** Fewest brokers start-local runs. */
export const LOCAL_BROKERS_MIN = 1;
/**
 * Most brokers start-local runs: 7 is the highest replication factor a
 * broker accepts (limits.replicationFactorMax) and keeps the reserved port
 * ranges (9092-9098, 9192-9198, 9292-9298, 19092-19098) from touching.
 */
export const LOCAL_BROKERS_MAX = 7;
/** Brokers of `npm start` and of start-local without --brokers. */
export const LOCAL_BROKERS_DEFAULT = 3;
/** Data root of start-local without --data-dir (relative to the working directory). */
export const LOCAL_DATA_ROOT_DEFAULT = "./data";
/** The address every local broker binds and advertises. */
export const LOCAL_HOST = "127.0.0.1";

/** Client port of broker i is CLIENT_PORT_BASE + i (broker 1: 9092). */
export const CLIENT_PORT_BASE = 9091;
/** Peer port of broker i is PEER_PORT_BASE + i (broker 1: 9192). */
export const PEER_PORT_BASE = 9191;
/** Reserved: admin HTTP port of broker i will be ADMIN_PORT_BASE + i (broker 1: 9292). */
export const ADMIN_PORT_BASE = 9291;
/** Reserved: Kafka-protocol port of broker i will be KAFKA_PORT_BASE + i (broker 1: 19092). */
export const KAFKA_PORT_BASE = 19091;

/**
 * The cluster secret of every local cluster. Public on purpose (it is in the
 * repository); the comment in each config says so.
 */
export const LOCAL_CLUSTER_SECRET = "dev-only-insecure-cluster-secret-do-not-use-in-production";

/** One broker's entry in `brokers`. */
export interface LocalBrokerEndpoint {
  readonly id: number;
  readonly host: string;
  readonly clientPort: number;
  readonly peerPort: number;
}

/** The JSON config of one local broker, keys in the order the shipped files use. */
export interface LocalBrokerConfig {
  readonly "//": string;
  readonly brokerId: number;
  readonly host: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  readonly clusterSecret: string;
  readonly brokers: readonly LocalBrokerEndpoint[];
  readonly controllerVoters: readonly number[];
  readonly defaultPartitions: number;
  readonly defaultReplicationFactor: number;
  readonly logLevel: string;
}

/** Whether `count` is a broker count start-local runs. */
export function isLocalBrokerCount(count: number): boolean {
  return Number.isInteger(count) && count >= LOCAL_BROKERS_MIN && count <= LOCAL_BROKERS_MAX;
}

/** Where broker `id` of a local cluster is reached. */
export function localEndpoint(id: number): LocalBrokerEndpoint {
  return { id, host: LOCAL_HOST, clientPort: CLIENT_PORT_BASE + id, peerPort: PEER_PORT_BASE + id };
}

/** `<dataRoot>/broker-<id>`, written with "/" and without doubling a trailing one ("./data" -> "./data/broker-1"). */
export function localDataDir(dataRoot: string, id: number): string {
  return `${dataRoot.replace(/[/\\]+$/, "") || "/"}/broker-${id}`.replace(/^\/\//, "/");
}

/**
 * The configs of brokers 1..count, in id order.
 * @param dataRoot directory holding broker-i data directories; relative paths
 *   resolve against the brokers' working directory (the launcher's)
 * @throws RangeError when count is outside LOCAL_BROKERS_MIN..LOCAL_BROKERS_MAX
 */
export function localClusterConfigs(count: number, dataRoot: string = LOCAL_DATA_ROOT_DEFAULT): LocalBrokerConfig[] {
  if (!isLocalBrokerCount(count)) throw new RangeError(`a local cluster has ${LOCAL_BROKERS_MIN} to ${LOCAL_BROKERS_MAX} brokers, got ${count}`);
  const ids = Array.from({ length: count }, (_, i) => i + 1);
  const brokers = ids.map(localEndpoint);
  return brokers.map((self) => ({
    "//":
      `Broker ${self.id} of a ${count}-broker local development cluster. DEV ONLY: the clusterSecret below is public; ` +
      "set your own (or RLOG_CLUSTER_SECRET) for anything but a local trial. Every key is described in docs/CONFIG.md.",
    brokerId: self.id,
    host: self.host,
    clientPort: self.clientPort,
    peerPort: self.peerPort,
    dataDir: localDataDir(dataRoot, self.id),
    clusterSecret: LOCAL_CLUSTER_SECRET,
    brokers,
    controllerVoters: ids,
    defaultPartitions: 3,
    // As many copies as Kafka's usual default, never more than there are brokers.
    defaultReplicationFactor: Math.min(3, count),
    logLevel: "info",
  }));
}

/**
 * A config as the shipped files are written: two-space JSON with each
 * `brokers` entry on one line, and a final newline.
 */
export function formatLocalConfig(config: LocalBrokerConfig): string {
  const lines = JSON.stringify(config, null, 2).split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    // Fold each `{ ... }` inside the brokers array onto one line.
    if (line === "    {") {
      const fields: string[] = [];
      for (i++; i < lines.length && !/^ {4}\},?$/.test(lines[i]!); i++) fields.push(lines[i]!.trim().replace(/,$/, ""));
      const close = lines[i] ?? "    }";
      out.push(`    { ${fields.join(", ")} }${close.endsWith(",") ? "," : ""}`);
    } else if (/^ {2}"controllerVoters": \[$/.test(line)) {
      const items: string[] = [];
      for (i++; i < lines.length && !/^ {2}\],?$/.test(lines[i]!); i++) items.push(lines[i]!.trim().replace(/,$/, ""));
      out.push(`  "controllerVoters": [${items.join(", ")}]${(lines[i] ?? "").endsWith(",") ? "," : ""}`);
    } else {
      out.push(line);
    }
  }
  return out.join("\n") + "\n";
}
