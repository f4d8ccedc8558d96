/**
 * The wire protocol: the one part of broker/ that client/ and cli/ import.
 * It depends on msgpackr and @node-rs/crc32 only (node:zlib, lz4-napi and
 * @mongodb-js/zstd are loaded on first use by compression.ts) (plus the Raft message types for
 * peer frames); never on lmdb, pino, ws or other broker internals.
 */
export * from "./acls.js";
export * from "./batch-codec.js";
export * from "./close-codes.js";
export * from "./compression.js";
export * from "./enums.js";
export * from "./errors.js";
export * from "./frames.js";
export * from "./group-routing.js";
export * from "./limits.js";
export * from "./murmur2.js";
export * from "./ops.js";
export * from "./record-batch.js";
export * from "./records.js";
export * from "./requests.js";
export * from "./results.js";
export * from "./topic-name.js";
export * from "./version.js";
