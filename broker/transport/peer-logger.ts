/**
 * The slice of a pino logger the transport uses (fields first, then a fixed
 * message), so main can hand in `logger.child({ component: "peer" })` and
 * tests can leave it out.
 */

/** A pino-compatible logger. */
export interface PeerLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** Discards everything. */
export const SILENT_LOGGER: PeerLogger = { info: () => undefined, warn: () => undefined };
