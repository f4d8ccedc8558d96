/**
 * The broker process: load the config, wire the real clock, disk, sockets
 * and signals to a Broker, and log to stdout (nothing else goes to stdout).
 *
 *   node dist/broker/main.js --config config/broker.json
 *   rlog-cli broker start --config config/broker.json
 *
 * SIGTERM or SIGINT: controlled shutdown (leadership moves to other replicas
 * first). A second signal exits at once. Exit codes: 0 clean stop, 1 bad
 * config or start-up failure, 70 a fatal failure: the broker reported one
 * (a bug: a write refused for a reason other than a full disk or an I/O
 * error, which the broker rides out; docs/STORAGE.md, "A full disk") or a
 * promise was rejected with no one to handle it (a bug). This file is the
 * only broker code that ends the process.
 */
import { pathToFileURL } from "node:url";
import { pino } from "pino";
import { loadConfig } from "../config/index.js";
import { Broker } from "./broker.js";
import { enableHopTraceFromEnv } from "./diagnostics/hop-trace-file.js";

/** Exit status after a fatal failure (EX_SOFTWARE). */
export const FATAL_EXIT_CODE = 70;

export interface RunBrokerOptions {
  /** JSON config file; RLOG_* environment variables apply on top. */
  readonly configFile?: string;
}

/** Start a broker and stop it on SIGTERM/SIGINT. Resolves once it has stopped. */
export async function runBroker(opts: RunBrokerOptions): Promise<void> {
  enableHopTraceFromEnv(); // a diagnostic for the bench (--hop-trace); off unless RLOG_HOP_TRACE is set
  const config = loadConfig(opts.configFile === undefined ? {} : { file: opts.configFile });
  const logger = pino({ level: config.logLevel, base: { broker: config.brokerId } });
  const fatal = (err: unknown, message: string): never => {
    logger.fatal({ err }, `${message}; exiting`);
    process.exit(FATAL_EXIT_CODE);
  };
  process.on("unhandledRejection", (reason) => fatal(reason, "unhandled promise rejection"));
  const broker = new Broker({ config, logger, onFatal: fatal });
  let stopping: Promise<void> | undefined;
  // Settles as the controlled shutdown does, once a signal started one.
  let stopRequested: (stopped: Promise<void>) => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  const stop = (signal: string): void => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    logger.info({ signal }, "stopping: controlled shutdown");
    stopping = broker.stop(true);
    stopRequested(stopping);
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  try {
    await broker.start();
  } catch (err) {
    logger.fatal({ err }, "broker failed to start");
    await broker.stop(false).catch(() => undefined);
    throw err;
  }
  await stopped;
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const configFile = argValue("--config");
  runBroker(configFile === undefined ? {} : { configFile }).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
