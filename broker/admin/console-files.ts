/**
 * The live web console's files on the admin listener (docs/CONSOLE.md): a
 * fixed allow-list of request path -> built file and content type, so no
 * request path ever reaches the file system (no traversal, no listing).
 * The files are what `npm run build` (client/browser/bundle.ts) wrote under
 * dist/: the page, its script and style sheet in dist/console/, and the
 * browser SDK in dist/browser/. Each is read when asked for (they are small,
 * and a rebuild shows without a broker restart); a missing one is a 404
 * saying to build, not a crash.
 *
 * Cache-Control "no-cache": a browser may keep a copy but asks again each
 * time, so a page never runs a script older than the broker serving it.
 */
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { jsonResponse, type AdminResponse, type AdminRoute } from "./admin-server.js";

/** dist/: this file runs as dist/broker/admin/console-files.js. */
export const DIST_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** One served file: where it is under dist/ and its content type. */
export interface ConsoleFile {
  readonly file: string;
  readonly contentType: string;
}

const JS = "text/javascript; charset=utf-8";
const MAP = "application/json; charset=utf-8";

/** Request path -> file under dist/ (the whole allow-list). */
export const CONSOLE_FILES: ReadonlyMap<string, ConsoleFile> = new Map([
  ["/", { file: "console/index.html", contentType: "text/html; charset=utf-8" }],
  ["/console.css", { file: "console/console.css", contentType: "text/css; charset=utf-8" }],
  ["/console.js", { file: "console/console.js", contentType: JS }],
  ["/console.js.map", { file: "console/console.js.map", contentType: MAP }],
  ["/rlog.js", { file: "browser/rlog.js", contentType: JS }],
  ["/rlog.js.map", { file: "browser/rlog.js.map", contentType: MAP }],
]);

/** The Cache-Control of console files (see the file comment). */
export const CONSOLE_CACHE_CONTROL = "no-cache";

/** The routes serving CONSOLE_FILES from `distRoot`. */
export function consoleFileRoutes(distRoot: string = DIST_ROOT): Map<string, AdminRoute> {
  const routes = new Map<string, AdminRoute>();
  for (const [path, f] of CONSOLE_FILES) {
    routes.set(path, async (): Promise<AdminResponse> => {
      let body: string;
      try {
        body = await readFile(join(distRoot, f.file), "utf8");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        return jsonResponse(404, { error: "CONSOLE_NOT_BUILT", message: `${f.file} is not under ${distRoot}: run npm run build` });
      }
      return { status: 200, contentType: f.contentType, body, cacheControl: CONSOLE_CACHE_CONTROL };
    });
  }
  return routes;
}
