/**
 * Types of the browser SDK the console imports at run time as "./rlog.js"
 * (served at /rlog.js; esbuild keeps the import external): the SDK's own.
 */
export * from "../../../client/browser.js";
