/**
 * Executable invariants for the Raft core, kept on in production. The core
 * may not import node:* modules, so it has its own tiny assert.
 */

/** A broken invariant: a bug, never an operating condition. */
export class InvariantError extends Error {
  constructor(message: string) {
    super(`invariant violated: ${message}`);
    this.name = "InvariantError";
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}
