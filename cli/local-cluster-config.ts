/**
 * The configs of a local development cluster of N brokers on 127.0.0.1
 * (`rlog-cli cluster start-local --brokers N`), by the port scheme of
 * DESIGN.md: broker i listens for clients on 9091+i and for peers on 9191+i
 * (broker 1: 9092 and 9192), and serves admin HTTP (/metrics, /health,
 * /ready) on 9291+i (broker 1: 9292); 19091+i (Kafka protocol) is reserved
 * for a later listener. Its data lives under
 * `<dataRoot>/broker-i`.
 *
 * config/cluster-3/broker-{1,2,3}.json are exactly what this module makes for
 * N = 3 with the default data root (test/cli/local-cluster-config.test.ts
 * holds them equal), so the shipped files and `npm start` cannot drift apart.
 * They hold no clusterSecret: start-local gives each local cluster its own
 * random one (local-cluster-secret.ts) and hands it to the brokers as
 * RLOG_CLUSTER_SECRET. With `tls` (start-local --secure) each config also
 * names its broker's certificate, key and the cluster's CA.
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
/** Admin HTTP port of broker i is ADMIN_PORT_BASE + i (broker 1: 9292). */
export const ADMIN_PORT_BASE = 9291;
/** Kafka-protocol port of broker i is KAFKA_PORT_BASE + i (broker 1: 19092; docs/KAFKA.md). */
export const KAFKA_PORT_BASE = 19091;

/** Where the TLS files of a secure local cluster are (absolute paths; see cli/local-cluster-tls.ts). */
export interface LocalTlsFiles {
  readonly caFile: string;
  /** Broker id -> its certificate and key. */
  readonly brokers: ReadonlyMap<number, { readonly certFile: string; readonly keyFile: string }>;
}

/** What a secure local cluster's configs name: its certificates, and the users file holding its admin (cli/local-cluster-admin.ts). */
export interface LocalSecurityFiles {
  readonly tls: LocalTlsFiles;
  /** Absolute path of the SCRAM users file. */
  readonly usersFile: string;
  /** The super user: the admin's principal ("User:admin"), by SCRAM or by its client certificate. */
  readonly superUser: string;
}

/** The `tls` group of a secure local broker's config. */
export interface LocalTlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
  readonly clientAuth: "optional";
}

/** One broker's entry in `brokers`. */
export interface LocalBrokerEndpoint {
  readonly id: number;
  readonly host: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly kafkaPort: number;
}

/** The JSON config of one local broker, keys in the order the shipped files use. */
export interface LocalBrokerConfig {
  readonly "//": string;
  readonly brokerId: number;
  readonly host: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** Admin HTTP listener (docs/METRICS.md). */
  readonly adminPort: number;
  /** Kafka-protocol listener (docs/KAFKA.md). */
  readonly kafkaPort: number;
  /** Every broker's admin origin (http:// or https://), so the console each admin listener serves may connect to all brokers (docs/CONSOLE.md). */
  readonly allowedOrigins: readonly string[];
  readonly dataDir: string;
  readonly brokers: readonly LocalBrokerEndpoint[];
  readonly controllerVoters: readonly number[];
  readonly defaultPartitions: number;
  readonly defaultReplicationFactor: number;
  readonly logLevel: string;
  /** Only in a secure cluster's configs. */
  readonly tls?: LocalTlsConfig;
  /** Only in a secure cluster's configs: SCRAM logins, the admin from the users file. */
  readonly authentication?: { readonly mechanism: "scram"; readonly scramUsersFile: string };
  /** Only in a secure cluster's configs: ACLs checked, the admin a super user. */
  readonly authorization?: { readonly enabled: true; readonly superUsers: readonly string[] };
}

/** Whether `count` is a broker count start-local runs. */
export function isLocalBrokerCount(count: number): boolean {
  return Number.isInteger(count) && count >= LOCAL_BROKERS_MIN && count <= LOCAL_BROKERS_MAX;
}

/** Where broker `id` of a local cluster is reached. */
export function localEndpoint(id: number): LocalBrokerEndpoint {
  return { id, host: LOCAL_HOST, clientPort: CLIENT_PORT_BASE + id, peerPort: PEER_PORT_BASE + id, kafkaPort: KAFKA_PORT_BASE + id };
}

/** The admin listeners' origins of local brokers `ids` (the console's page comes from one of them). */
export function localAdminOrigins(ids: readonly number[], secure: boolean): string[] {
  return ids.map((id) => `${secure ? "https" : "http"}://${LOCAL_HOST}:${ADMIN_PORT_BASE + id}`);
}

/** `<dataRoot>/broker-<id>`, written with "/" and without doubling a trailing one ("./data" -> "./data/broker-1"). */
export function localDataDir(dataRoot: string, id: number): string {
  return `${dataRoot.replace(/[/\\]+$/, "") || "/"}/broker-${id}`.replace(/^\/\//, "/");
}

/**
 * The configs of brokers 1..count, in id order.
 * @param dataRoot directory holding broker-i data directories; relative paths
 *   resolve against the brokers' working directory (the launcher's)
 * @param secure the files of a secure cluster: TLS on (client certificates optional), SCRAM logins, ACLs on
 * @throws RangeError when count is outside LOCAL_BROKERS_MIN..LOCAL_BROKERS_MAX
 */
export function localClusterConfigs(count: number, dataRoot: string = LOCAL_DATA_ROOT_DEFAULT, secure?: LocalSecurityFiles): LocalBrokerConfig[] {
  const tls = secure?.tls;
  if (!isLocalBrokerCount(count)) throw new RangeError(`a local cluster has ${LOCAL_BROKERS_MIN} to ${LOCAL_BROKERS_MAX} brokers, got ${count}`);
  const ids = Array.from({ length: count }, (_, i) => i + 1);
  const brokers = ids.map(localEndpoint);
  return brokers.map((self) => {
    const own = tls?.brokers.get(self.id);
    if (tls !== undefined && own === undefined) throw new RangeError(`no certificate for broker ${self.id}`);
    return {
      "//":
        `Broker ${self.id} of a ${count}-broker local development cluster${tls === undefined ? "" : " with TLS, SCRAM logins and ACLs on"}. ` +
        (count > 1 ? "The cluster secret comes from RLOG_CLUSTER_SECRET: rlog-cli cluster start-local sets it to the random one it keeps in <data>/local-cluster/cluster-secret. " : "") +
        "Every key is described in docs/CONFIG.md.",
      brokerId: self.id,
      host: self.host,
      clientPort: self.clientPort,
      peerPort: self.peerPort,
      adminPort: ADMIN_PORT_BASE + self.id,
      kafkaPort: KAFKA_PORT_BASE + self.id,
      allowedOrigins: localAdminOrigins(ids, tls !== undefined),
      dataDir: localDataDir(dataRoot, self.id),
      brokers,
      controllerVoters: ids,
      defaultPartitions: 3,
      // As many copies as Kafka's usual default, never more than there are brokers.
      defaultReplicationFactor: Math.min(3, count),
      logLevel: "info",
      ...(own === undefined || secure === undefined
        ? {}
        : {
            tls: { certFile: own.certFile, keyFile: own.keyFile, caFile: secure.tls.caFile, clientAuth: "optional" as const },
            authentication: { mechanism: "scram" as const, scramUsersFile: secure.usersFile },
            authorization: { enabled: true as const, superUsers: [secure.superUser] },
          }),
    };
  });
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
    } else if (/^ {2}"(controllerVoters|allowedOrigins)": \[$/.test(line)) {
      const items: string[] = [];
      for (i++; i < lines.length && !/^ {2}\],?$/.test(lines[i]!); i++) items.push(lines[i]!.trim().replace(/,$/, ""));
      out.push(`${line}${items.join(", ")}]${(lines[i] ?? "").endsWith(",") ? "," : ""}`);
    } else {
      out.push(line);
    }
  }
  return out.join("\n") + "\n";
}
