/**
 * The producer compression the bench asks for (`--compression`), and the one
 * place it reaches the SDK: every bench producer spreads
 * producerCompression(kind) into its options.
 */
import type { ProducerOptions } from "../client/index.js";

/** Codecs the bench accepts, as the SDK names them. */
export const COMPRESSIONS = ["none", "gzip", "lz4", "zstd"] as const;

/** A codec name. */
export type Compression = (typeof COMPRESSIONS)[number];

/** Parse a --compression value; throws a RangeError naming the choices. */
export function parseCompression(raw: string | undefined): Compression {
  const v = raw ?? "none";
  if (!(COMPRESSIONS as readonly string[]).includes(v)) throw new RangeError(`--compression must be one of ${COMPRESSIONS.join(", ")}, got ${JSON.stringify(v)}`);
  return v as Compression;
}

/** Producer options for `kind`, to spread into `client.producer({...})`. */
export function producerCompression(kind: Compression): Pick<ProducerOptions, "compression"> {
  return { compression: kind };
}

/** How the report names the compression of a run. */
export function compressionText(kind: Compression): string {
  return `compression ${kind}`;
}
