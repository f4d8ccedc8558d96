/**
 * A real browser against a real broker: Debian's chromium, headless, loads a
 * page from a local HTTP server, and the page's script opens a WebSocket to
 * the broker's client port and sends a handshake frame. A page whose origin
 * is in the broker's `allowedOrigins` gets the handshake answer; a page from
 * any other origin is refused at the upgrade (HTTP 403), before any frame:
 * the browser only sees the socket close without opening. The page reports
 * what happened with a fetch back to its own server.
 *
 * Needs /usr/bin/chromium (.ci/run installs Debian's chromium when missing);
 * skips and says so without it.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeResponse, encodeRequest } from "../../broker/protocol/frames.js";
import { PROTOCOL_VERSION } from "../../broker/protocol/version.js";
import { TestCluster, freeBrokerPorts } from "./cluster-harness.js";

const CHROMIUM = "/usr/bin/chromium";
/** How long a page may take to load, connect and report (a cold headless chromium on 2 busy cores). */
const REPORT_WAIT_MS = 60_000;

/** A page server: serves one page, and collects the reports its script sends to /report. */
interface PageServer {
  readonly origin: string;
  readonly report: Promise<string>;
  close(): Promise<void>;
}

/** The page's script: connect to `brokerUrl`, send the handshake, report "answered:<base64>" or "refused:<close code>". */
function page(brokerUrl: string, handshake: Uint8Array): string {
  return `<!doctype html><title>rlog origin test</title><script>
const frame = new Uint8Array([${[...handshake].join(",")}]);
const report = (what) => fetch("/report?" + encodeURIComponent(what));
let opened = false;
const ws = new WebSocket(${JSON.stringify(brokerUrl)});
ws.binaryType = "arraybuffer";
ws.onopen = () => { opened = true; ws.send(frame); };
ws.onmessage = (e) => { report("answered:" + btoa(String.fromCharCode(...new Uint8Array(e.data)))); ws.close(); };
ws.onclose = (e) => { if (!opened) report("refused:" + e.code); };
</script>`;
}

async function pageServer(brokerUrl: string, handshake: Uint8Array): Promise<PageServer> {
  let resolveReport: (what: string) => void = () => undefined;
  const report = new Promise<string>((resolve) => (resolveReport = resolve));
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/report") {
      resolveReport(decodeURIComponent(url.search.slice(1)));
      res.writeHead(204).end();
      return;
    }
    if (url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html" }).end(page(brokerUrl, handshake));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    report,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Open `url` in headless chromium and resolve with what the page reported; chromium is killed afterwards. */
async function visit(url: string, report: Promise<string>): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), "rlog-chromium-"));
  const browser: ChildProcess = spawn(CHROMIUM, ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", `--user-data-dir=${profile}`, url], {
    stdio: "ignore",
    detached: true, // its own process group: chromium's helper processes end with it
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      report,
      new Promise<string>((_, reject) => (timer = setTimeout(() => reject(new Error(`the page at ${url} reported nothing within ${REPORT_WAIT_MS} ms`)), REPORT_WAIT_MS))),
    ]);
  } finally {
    clearTimeout(timer);
    const exited = new Promise((resolve) => (browser.exitCode !== null ? resolve(undefined) : browser.once("exit", resolve)));
    try {
      process.kill(-browser.pid!, "SIGKILL");
    } catch {
      // already gone
    }
    await exited;
    rmSync(profile, { recursive: true, force: true });
  }
}

const handshake = encodeRequest(1, { op: "handshake", version: PROTOCOL_VERSION, clientId: "browser" });
let cluster: TestCluster | undefined;
let allowedPage: PageServer | undefined;
let otherPage: PageServer | undefined;

before(async () => {
  if (!existsSync(CHROMIUM)) return;
  // The pages' origins must be known before the broker starts: its allowedOrigins names one of them.
  const ports = await freeBrokerPorts(1);
  const brokerUrl = `ws://127.0.0.1:${ports[0]!.client}`;
  allowedPage = await pageServer(brokerUrl, handshake);
  otherPage = await pageServer(brokerUrl, handshake);
  cluster = await TestCluster.start({ size: 1, ports, extra: { allowedOrigins: [allowedPage.origin] } });
});

after(async () => {
  await cluster?.stopAll();
  await allowedPage?.close();
  await otherPage?.close();
});

test("a page from a listed origin talks to the broker from a real browser; a page from any other origin is refused at the upgrade", { timeout: 180_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is not installed (.ci/run installs Debian's chromium)`);
    return;
  }
  const allowed = await visit(allowedPage!.origin + "/", allowedPage!.report);
  assert.match(allowed, /^answered:/, allowed);
  const answer = decodeResponse(Buffer.from(allowed.slice("answered:".length), "base64"));
  assert.ok(answer.ok, "the handshake was answered with a result");
  assert.equal((answer.result as { brokerId?: number }).brokerId, 1);

  const other = await visit(otherPage!.origin + "/", otherPage!.report);
  // A refused upgrade never opens: the browser reports an abnormal close (1006) and no frame ever passed.
  assert.equal(other, "refused:1006");
  assert.match(cluster!.logTail(1, 200), /Origin/i, "the broker logged the refused origin");
});
