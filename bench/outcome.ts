/** What a workload gave: its figures, or why there are none. */

/** A workload that did not produce figures: `skipped` (why it did not run) or `error` (how it failed). */
export interface NotRun {
  readonly skipped?: string;
  readonly error?: string;
}

/** A workload's figures, or why there are none. */
export type Outcome<T> = { readonly value: T } | NotRun;

/** Whether the outcome has figures. */
export function has<T>(o: Outcome<T>): o is { readonly value: T } {
  return "value" in o;
}

/** The NotRun part of an outcome without figures (no stray keys). */
export function notRunOf(o: NotRun): NotRun {
  return { ...(o.skipped === undefined ? {} : { skipped: o.skipped }), ...(o.error === undefined ? {} : { error: o.error }) };
}

/** The outcome of a workload that was not selected. */
export const NOT_SELECTED: NotRun = Object.freeze({ skipped: "not selected" });
