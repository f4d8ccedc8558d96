/**
 * The entry of the SDK's browser build: the same API as client/index.ts,
 * bundled by client/browser/bundle.ts (`npm run build:browser`) into one
 * ES module, dist/browser/rlog.js, that a page imports:
 *
 *     import { RlogClient } from "./rlog.js";
 *     const client = new RlogClient({ brokers: ["wss://broker.example:9092"] });
 *
 * The bundle swaps the Node-only files (the ws transport, native CRC-32C,
 * node:zlib and native codecs, SCRAM on node:crypto) for browser ones; what
 * works and what does not is in docs/CLIENT.md, "In a browser".
 */
export * from "./index.js";
