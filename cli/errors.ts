/**
 * How rlog-cli reports failure: one line `CODE: message` on stderr and a
 * non-zero exit status. Codes come from the error itself (a broker error's
 * table name, a ConfigError's INVALID_CONFIG, a Node system error's ENOENT),
 * so scripts can match on the code and never need the message text.
 */

/** Exit status: success. */
export const EXIT_OK = 0;
/** Exit status: the command ran and failed (bad config, broker error, ...). */
export const EXIT_FAILURE = 1;
/** Exit status: the command line itself was wrong (unknown command or option, missing argument). */
export const EXIT_USAGE = 2;

/** Exit status after Ctrl-C (SIGINT) stopped a command early: 128 + 2, the shell convention. */
export const EXIT_INTERRUPTED = 130;

/** Code printed for command-line mistakes. */
export const USAGE_CODE = "INVALID_ARGUMENT";

/** A failure a command reports on purpose, with its own code and exit status. */
export class CliError extends Error {
  /** Upper-case code printed before the message. */
  readonly code: string;
  /** Process exit status, non-zero. */
  readonly exitCode: number;

  constructor(code: string, message: string, exitCode: number = EXIT_FAILURE) {
    super(message);
    this.name = "CliError";
    this.code = code;
    this.exitCode = exitCode;
  }
}

const CODE_PATTERN = /^[A-Z][A-Z0-9_]*$/;

/** Whether an error is a rejected command line (ours, or a YError from yargs itself). */
export function isUsageError(err: unknown): boolean {
  return (err instanceof CliError && err.code === USAGE_CODE) || (err instanceof Error && err.name === "YError");
}

/** The code to print for an error: its table name, its string code, else INTERNAL_ERROR. */
export function errorCode(err: unknown): string {
  if (isUsageError(err)) return USAGE_CODE;
  if (typeof err === "object" && err !== null) {
    const { codeName, code } = err as { codeName?: unknown; code?: unknown };
    if (typeof codeName === "string" && CODE_PATTERN.test(codeName)) return codeName; // broker protocol errors
    if (typeof code === "string" && CODE_PATTERN.test(code)) return code;
  }
  return "INTERNAL_ERROR";
}

/**
 * One line, `CODE: message`, with newlines in the message folded. A
 * command-line mistake also points at the help to read.
 * @param help the help command to suggest, e.g. "rlog-cli topic --help"
 */
export function errorLine(err: unknown, help = "rlog-cli --help"): string {
  const code = errorCode(err);
  let message = err instanceof Error ? err.message : String(err);
  if (message.startsWith(`${code}: `)) message = message.slice(code.length + 2); // Node's "ENOENT: ..." messages
  if (isUsageError(err)) message += ` (see "${help}")`;
  return `${code}: ${message.replace(/\s*\n\s*/g, " ").trim()}`;
}

/** The exit status for an error. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  return isUsageError(err) ? EXIT_USAGE : EXIT_FAILURE;
}
