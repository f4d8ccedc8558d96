/**
 * Builds the live web console (docs/CONSOLE.md) into dist/console/: the
 * page's script, broker/admin/console/console.ts, through esbuild (types stripped; npm
 * run build type-checks it with broker/admin/console/tsconfig.json), with its import of
 * "./rlog.js" kept external: the admin listener serves the SDK's browser
 * bundle at /rlog.js. index.html and console.css are copied as they are.
 * The admin listener serves these files (broker/admin/console-files.ts).
 *
 * A build tool run by bundle.ts, not part of the SDK.
 */
import { copyFile, mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { build } from "esbuild";

/** Where the console goes by default, relative to the package root. */
export const CONSOLE_DIST_DIR = "dist/console";

/** The files copied unchanged from broker/admin/console/. */
const STATIC_FILES = ["index.html", "console.css"] as const;

/** Build the console into `outDir` (absolute, or relative to `root`); resolves to the absolute directory. */
export async function buildConsole(root: string, outDir: string = CONSOLE_DIST_DIR): Promise<string> {
  const out = resolve(root, outDir);
  await mkdir(out, { recursive: true });
  await build({
    absWorkingDir: root,
    entryPoints: [join(root, "broker/admin/console/console.ts")],
    outfile: join(out, "console.js"),
    bundle: true,
    external: ["./rlog.js"],
    platform: "browser",
    format: "esm",
    target: "es2022",
    sourcemap: true,
    logLevel: "warning",
  });
  for (const f of STATIC_FILES) await copyFile(join(root, "broker/admin/console", f), join(out, f));
  return out;
}
