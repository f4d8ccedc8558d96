/**
 * The logger the SDK writes to: a minimal structured interface (fields
 * first, then a message), which a pino logger satisfies. The SDK never
 * imports pino; by default it logs nothing.
 */

/** A structured logger: `log.warn({ broker: 2 }, "connection closed")`. */
export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

const ignore = (): void => undefined;

/** The default logger: discards everything. */
export const silentLogger: Logger = Object.freeze({ debug: ignore, info: ignore, warn: ignore, error: ignore });
