/**
 * How a CLI command gets a client: check quickly that some broker answers
 * (the SDK's own retries would take tens of seconds to give up on a cluster
 * that is not running), then hand out an RlogClient with the SDK's normal
 * retry settings, which ride out leader elections. Also turns broker errors
 * into one-line messages that say what to do next.
 *
 * Loaded by handlers with `await import()`: it pulls in the SDK.
 */
import { ErrorCode, RlogClient, RlogError } from "../client/index.js";
import { CliError, EXIT_FAILURE } from "./errors.js";
import { parseBrokers } from "./options.js";
import { cliTls } from "./client-security.js";
import { connectionCredentials } from "./credentials.js";

/** Client id the CLI sends in its handshakes (visible in broker logs). */
export const CLI_CLIENT_ID = "rlog-cli";

/** How long the reachability check may take before the CLI gives up. */
const PROBE_TOTAL_MS = 5_000;

/** The probe's retry settings: a few quick tries, not the SDK's 30 s. */
const PROBE_RETRY = { retriesMax: 3, initialBackoffMs: 100, backoffMsMax: 500, totalTimeoutMs: PROBE_TOTAL_MS };

/** What error messages may mention. */
export interface ErrorContext {
  readonly brokers: readonly string[];
  readonly topic?: string;
  readonly partition?: number;
  /** Partition count of the topic, when known. */
  readonly partitions?: number;
}

/**
 * The failure for "no broker answered": one line naming the URLs tried and
 * what to do.
 */
export function noBrokerError(brokers: readonly string[], lastError?: string): CliError {
  return new CliError(
    "BROKER_NOT_AVAILABLE",
    `cannot reach any broker at ${brokers.join(", ")} (is the cluster running? start one with: npm start, or point --brokers / RLOG_BROKERS at it)` +
      (lastError === undefined ? "" : `; last error: ${lastError}`),
    EXIT_FAILURE,
  );
}

/**
 * A connected client for the --brokers value.
 * @throws CliError BROKER_NOT_AVAILABLE when no broker answers within a few seconds; INVALID_ARGUMENT for a bad URL
 */
export async function openClient(brokersOption: string): Promise<{ client: RlogClient; brokers: string[] }> {
  const brokers = parseBrokers(brokersOption);
  const tls = cliTls();
  const secure = tls === undefined ? {} : { tls };
  const probe = new RlogClient({ brokers, clientId: CLI_CLIENT_ID, connectTimeoutMs: PROBE_TOTAL_MS, retry: PROBE_RETRY, ...secure, ...login() });
  try {
    await probe.connect();
  } catch (err) {
    const unreachable = err instanceof RlogError && (err.code === ErrorCode.BROKER_NOT_AVAILABLE || err.code === ErrorCode.TIMEOUT);
    throw unreachable ? noBrokerError(brokers, (err as RlogError).message) : explain(err, { brokers });
  } finally {
    await probe.close();
  }
  return { client: new RlogClient({ brokers, clientId: CLI_CLIENT_ID, ...secure, ...login() }), brokers };
}

/** A one-shot client that asks exactly one broker (no retries); for per-broker questions like cluster status. */
export function singleBrokerClient(url: string, timeoutMs: number): RlogClient {
  const tls = cliTls();
  return new RlogClient({
    brokers: [url],
    clientId: CLI_CLIENT_ID,
    connectTimeoutMs: timeoutMs,
    requestTimeoutMs: timeoutMs,
    retry: { retriesMax: 0, totalTimeoutMs: timeoutMs },
    ...(tls === undefined ? {} : { tls }),
    ...login(),
  });
}

/**
 * The error to report for `err`: broker and SDK errors keep their code, and
 * the common ones get a message that says what to do; anything else is
 * returned unchanged (main.ts prints it).
 */
export function explain(err: unknown, ctx: ErrorContext): unknown {
  if (err instanceof CliError || !(err instanceof RlogError)) return err;
  const code = err.codeName;
  const topic = ctx.topic === undefined ? "" : `"${ctx.topic}"`;
  const fail = (message: string): CliError => new CliError(code, message, EXIT_FAILURE);
  switch (err.code) {
    case ErrorCode.AUTHENTICATION_FAILED:
      return fail(
        connectionCredentials() === undefined
          ? `${err.message}`.replace(/ \(rlog-cli: .*\)$/, "") + " (give --username and --password, or set RLOG_USERNAME and RLOG_PASSWORD)"
          : `${err.message} (check --username / --password, or RLOG_USERNAME / RLOG_PASSWORD)`,
      );
    case ErrorCode.BROKER_NOT_AVAILABLE:
      // A broker named in the request (a reassignment's replicas, a decommission): the message says which and why.
      if (err.details?.field !== undefined) return fail(err.message);
      return fail(`${err.message} (is the cluster running? see: rlog-cli cluster status)`);
    case ErrorCode.UNKNOWN_TOPIC:
      return ctx.topic === undefined ? err : fail(`topic ${topic} does not exist; list topics with: rlog-cli topic list`);
    case ErrorCode.UNKNOWN_PARTITION:
      if (ctx.topic !== undefined && ctx.partition !== undefined && ctx.partitions !== undefined) {
        return fail(`topic ${topic} has no partition ${ctx.partition} (it has ${ctx.partitions}: 0 to ${ctx.partitions - 1})`);
      }
      return err;
    case ErrorCode.TOPIC_ALREADY_EXISTS:
      return ctx.topic === undefined ? err : fail(`topic ${topic} already exists; see it with: rlog-cli topic describe ${ctx.topic}`);
    case ErrorCode.INVALID_REPLICATION_FACTOR:
    case ErrorCode.INVALID_PARTITIONS:
    case ErrorCode.INVALID_TOPIC:
      return fail(err.message);
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.LEADER_NOT_AVAILABLE:
    case ErrorCode.NOT_CONTROLLER:
    case ErrorCode.TIMEOUT:
      return fail(`${err.message} (are enough brokers up? see: rlog-cli cluster status)`);
    default:
      return err;
  }
}

/** The SDK's `sasl` option for the CLI's credentials, or nothing. */
function login(): { sasl?: { mechanism: "scram-sha-256"; username: string; password: string } } {
  const c = connectionCredentials();
  return c === undefined ? {} : { sasl: { mechanism: c.mechanism, username: c.username, password: c.password } };
}
