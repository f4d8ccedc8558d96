/**
 * Builds the SDK's browser bundle: client/browser.ts through esbuild into
 * one ES module, dist/browser/rlog.js (platform browser, format esm, no
 * minification, with a source map and an esbuild metafile beside it).
 *
 *     node dist/client/browser/bundle.js     (npm run build:browser)
 *
 * Node-only files are swapped for their browser versions (BROWSER_SWAPS),
 * each of which declares its exports with the types of the Node file it
 * replaces, so tsc keeps the pairs in step. A `node:` import anywhere in
 * what the entry reaches fails the build (esbuild cannot resolve it for the
 * browser platform); test/architecture/browser-bundle.test.ts also checks
 * the metafile for Node-only packages and Buffer polyfills.
 *
 * Run as a script it also builds the live console (console-build.ts).
 *
 * A build tool, not part of the SDK: nothing in client/ imports this file.
 */
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Metafile, type Plugin } from "esbuild";
import { buildConsole } from "./console-build.js";

/** The package root: this file runs as dist/client/browser/bundle.js. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** Node-only source file -> the browser file that replaces it in the bundle (root-relative). */
export const BROWSER_SWAPS: Readonly<Record<string, string>> = Object.freeze({
  "client/network/socket.ts": "client/network/socket-browser.ts",
  "broker/protocol/crc32c.ts": "broker/protocol/crc32c-browser.ts",
  "broker/protocol/compression-codecs.ts": "broker/protocol/compression-codecs-browser.ts",
  "broker/protocol/scram-crypto.ts": "broker/protocol/scram-crypto-browser.ts",
});

/** Where the bundle goes by default, relative to the package root. */
export const BROWSER_BUNDLE_PATH = "dist/browser/rlog.js";

const toPosix = (p: string): string => p.split(sep).join("/");

/** The esbuild plugin that loads each swapped file's browser version in its place. */
function swapPlugin(root: string): Plugin {
  return {
    name: "rlog-browser-swaps",
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        const swap = BROWSER_SWAPS[toPosix(relative(root, args.path))];
        if (swap === undefined) return undefined;
        const path = join(root, swap);
        return { contents: await readFile(path, "utf8"), loader: "ts", resolveDir: dirname(path), watchFiles: [path] };
      });
    },
  };
}

/** What a build produced. */
export interface BrowserBundle {
  /** Absolute path of the bundle. */
  readonly outfile: string;
  /** esbuild's metafile: every input file and import the bundle holds. */
  readonly metafile: Metafile;
}

/** Build the bundle into `outfile` (absolute, or relative to the package root). */
export async function buildBrowserBundle(outfile: string = BROWSER_BUNDLE_PATH, root: string = PACKAGE_ROOT): Promise<BrowserBundle> {
  const out = resolve(root, outfile);
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(root, "client/browser.ts")],
    outfile: out,
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    sourcemap: true,
    metafile: true,
    logLevel: "warning",
    plugins: [swapPlugin(root)],
  });
  await writeFile(out.replace(/\.js$/, ".meta.json"), JSON.stringify(result.metafile));
  return { outfile: out, metafile: result.metafile };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { outfile, metafile } = await buildBrowserBundle(process.argv[2]);
  const bytes = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined)?.bytes ?? 0;
  console.log(`browser bundle: ${relative(process.cwd(), outfile)} (${Math.round(bytes / 1024)} KiB, ${Object.keys(metafile.inputs).length} inputs)`);
  // The live console rides along (dist/console/); only the default build, not a bundle written elsewhere.
  if (process.argv[2] === undefined) console.log(`console: ${relative(process.cwd(), await buildConsole(PACKAGE_ROOT))}`);
}
