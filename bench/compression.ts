/**
 * The producer compression the bench asks for (`--compression`), and the one
 * place it reaches the SDK: every bench producer spreads
 * producerCompression(kind) into its options.
 *
 * The SDK's producer option `compression` ("none" | "gzip" | "lz4" | "zstd")
 * lands with the batch-format branch (issue 16); this tree's ProducerOptions
 * has no such key yet. Until then the option is passed loosely typed (so this
 * compiles on both sides of the merge) and the SDK ignores it;
 * compressionApplied() tells the report which of the two it was.
 */
import type { Producer } from "../client/index.js";

/** Codecs the bench accepts, as the SDK will name them. */
export const COMPRESSIONS = ["none", "gzip", "lz4", "zstd"] as const;

/** A codec name. */
export type Compression = (typeof COMPRESSIONS)[number];

/** Parse a --compression value; throws a RangeError naming the choices. */
export function parseCompression(raw: string | undefined): Compression {
  const v = raw ?? "none";
  if (!(COMPRESSIONS as readonly string[]).includes(v)) throw new RangeError(`--compression must be one of ${COMPRESSIONS.join(", ")}, got ${JSON.stringify(v)}`);
  return v as Compression;
}

/**
 * Producer options for `kind`, to spread into `client.producer({...})`.
 * "none" adds nothing (the SDK default). Other codecs add `{ compression }`,
 * typed loosely because ProducerOptions gains the key only with the
 * batch-format branch: at merge, type this as Pick<ProducerOptions, "compression">.
 */
export function producerCompression(kind: Compression): Record<string, unknown> {
  return kind === "none" ? {} : { compression: kind };
}

/**
 * Whether `producer` took the compression it was given: its resolved options
 * carry a `compression` key (the SDK in this tree has none and silently drops
 * the option). Reads a private field, on purpose and only here; at merge,
 * replace with the SDK's own accessor if it has one.
 */
export function compressionApplied(producer: Producer, kind: Compression): boolean {
  if (kind === "none") return true;
  const resolved = (producer as unknown as { readonly options?: Readonly<Record<string, unknown>> }).options;
  return resolved?.["compression"] === kind;
}

/** How the report names the compression of a run. */
export function compressionText(kind: Compression, applied: boolean): string {
  if (kind === "none") return "compression none";
  return applied ? `compression ${kind}` : `compression ${kind} requested, NOT applied (this SDK has no compression option yet)`;
}
