import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { AdminServer } from "../../broker/admin/admin-server.js";
import { CONSOLE_CACHE_CONTROL, CONSOLE_FILES, consoleFileRoutes } from "../../broker/admin/console-files.js";

/** One raw request on a new connection; resolves with the whole answer (the server closes: Connection: close). */
function raw(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, "127.0.0.1", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let got = "";
    socket.on("data", (b) => (got += b.toString("utf8")));
    socket.on("close", () => resolve(got));
    socket.on("error", reject);
  });
}

test("the console's files: a fixed allow-list with content types and Cache-Control; anything else 404, a missing build 404 CONSOLE_NOT_BUILT", async () => {
  const dist = mkdtempSync(join(tmpdir(), "rlog-console-files-"));
  mkdirSync(join(dist, "console"));
  writeFileSync(join(dist, "console/index.html"), "<!doctype html><title>page</title>");
  writeFileSync(join(dist, "console/console.js"), "export {};");
  writeFileSync(join(dist, "console/console.css"), "body{}");
  writeFileSync(join(dist, "secret.txt"), "never served");
  // dist/browser/rlog.js is left out: served as "not built".
  const server = new AdminServer({ host: "127.0.0.1", port: 0, connectionsMax: 8, idleMs: 1_000, logger: pino({ level: "silent" }), routes: consoleFileRoutes(dist) });
  const { port } = await server.start();
  try {
    assert.deepEqual([...CONSOLE_FILES.keys()], ["/", "/console.css", "/console.js", "/console.js.map", "/rlog.js", "/rlog.js.map"]);
    const page = await raw(port, "/");
    assert.match(page, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(page, /content-type: text\/html; charset=utf-8\r\n/i);
    assert.match(page, new RegExp(`cache-control: ${CONSOLE_CACHE_CONTROL}\\r\\n`, "i"));
    assert.match(page, /\r\n\r\n<!doctype html><title>page<\/title>$/);
    assert.match(await raw(port, "/console.js?v=1"), /^HTTP\/1\.1 200 [\s\S]*content-type: text\/javascript; charset=utf-8\r\n[\s\S]*export \{\};$/i);
    assert.match(await raw(port, "/console.css"), /^HTTP\/1\.1 200 [\s\S]*content-type: text\/css; charset=utf-8\r\n/i);
    const missing = await raw(port, "/rlog.js");
    assert.match(missing, /^HTTP\/1\.1 404 [\s\S]*"error":"CONSOLE_NOT_BUILT"[\s\S]*npm run build/);
    // Only listed paths reach the disk: no traversal, no other file, no directory.
    for (const path of ["/../secret.txt", "/secret.txt", "/console/index.html", "/%2e%2e/secret.txt", "/console", "/index.html"]) {
      const answer = await raw(port, path);
      assert.match(answer, /^HTTP\/1\.1 (404|400) /, path);
      assert.doesNotMatch(answer, /never served/, path);
    }
  } finally {
    await server.close();
    rmSync(dist, { recursive: true, force: true });
  }
});
