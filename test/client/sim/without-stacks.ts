/** Run `f` with stack traces off: the seeded runs make RlogErrors by the thousand, and their stacks are most of the cost. */
export function withoutStacks<T>(f: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return f();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
