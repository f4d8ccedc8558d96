/**
 * How the CLI secures its connections: the --tls-ca, --tls-cert and --tls-key
 * options of every cluster command (defaults RLOG_TLS_CA, RLOG_TLS_CERT,
 * RLOG_TLS_KEY: file paths), read into the SDK's `tls` client option.
 *
 * A yargs middleware (added by withBrokers in options.ts) records the paths
 * once per run, before the command's handler; openClient and
 * singleBrokerClient (session.ts) read the files when they make a client.
 * One CLI process runs one command, so one record per process is all there
 * is; the command handlers and their argument types stay as they are.
 * (Credentials, when the CLI grows them, belong in the same record.)
 */
import { readFileSync } from "node:fs";
import type { Argv } from "yargs";
import { CliError, EXIT_USAGE, USAGE_CODE } from "./errors.js";

const usageError = (message: string): CliError => new CliError(USAGE_CODE, message, EXIT_USAGE);

/** The TLS options as given on the command line or in the environment (file paths). */
export interface TlsArgs {
  readonly "tls-ca"?: string | undefined;
  readonly "tls-cert"?: string | undefined;
  readonly "tls-key"?: string | undefined;
}

/** The SDK's tls option, as the CLI fills it. */
export interface CliTls {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

let recorded: TlsArgs = {};

/** Adds --tls-ca, --tls-cert and --tls-key (with their RLOG_TLS_* defaults) and the middleware that records them. */
export function withTls<T>(y: Argv<T>): Argv<T & TlsArgs> {
  const env = process.env;
  return y
    .option("tls-ca", {
      type: "string",
      requiresArg: true,
      ...(env["RLOG_TLS_CA"] === undefined ? {} : { default: env["RLOG_TLS_CA"] }),
      defaultDescription: "$RLOG_TLS_CA",
      describe: "PEM file of the CA the brokers' certificates chain to (for wss:// brokers)",
    })
    .option("tls-cert", {
      type: "string",
      requiresArg: true,
      ...(env["RLOG_TLS_CERT"] === undefined ? {} : { default: env["RLOG_TLS_CERT"] }),
      defaultDescription: "$RLOG_TLS_CERT",
      describe: "PEM file of a client certificate, for brokers that ask for one (tls.clientAuth)",
    })
    .option("tls-key", {
      type: "string",
      requiresArg: true,
      ...(env["RLOG_TLS_KEY"] === undefined ? {} : { default: env["RLOG_TLS_KEY"] }),
      defaultDescription: "$RLOG_TLS_KEY",
      describe: "PEM file of the private key of --tls-cert",
    })
    .middleware((args) => {
      recordTlsArgs(args as TlsArgs);
    }) as unknown as Argv<T & TlsArgs>;
}

/** Records the TLS options of this run (the middleware does; tests may too). */
export function recordTlsArgs(args: TlsArgs): void {
  recorded = { "tls-ca": args["tls-ca"], "tls-cert": args["tls-cert"], "tls-key": args["tls-key"] };
}

/**
 * The SDK tls option of this run, or undefined when no TLS option was given.
 * @throws CliError INVALID_ARGUMENT when a file cannot be read, or only one of --tls-cert and --tls-key is given
 */
export function cliTls(): CliTls | undefined {
  const { "tls-ca": ca, "tls-cert": cert, "tls-key": key } = recorded;
  if ((cert === undefined) !== (key === undefined)) throw usageError("--tls-cert and --tls-key go together (or RLOG_TLS_CERT and RLOG_TLS_KEY)");
  if (ca === undefined && cert === undefined) return undefined;
  return {
    ...(ca === undefined ? {} : { ca: readPem("--tls-ca", ca) }),
    ...(cert === undefined ? {} : { cert: readPem("--tls-cert", cert) }),
    ...(key === undefined ? {} : { key: readPem("--tls-key", key) }),
  };
}

function readPem(option: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw usageError(`${option}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}
