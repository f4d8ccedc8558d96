/**
 * The live web console (docs/CONSOLE.md) in a real browser on a real
 * 3-broker cluster: each broker's admin listener on a port of its own, and
 * every broker's allowedOrigins naming the three admin origins (the page
 * comes from broker 1's and talks to all three client ports). Headless
 * chromium (playwright-core) opens broker 1's admin `/` while a producer
 * writes to a topic the test created; the page must show every broker and
 * every partition of the topic, take a click on "Transfer" for one
 * partition, and show the new leader in the table (checked against the
 * cluster through the Node SDK too). It then shows the topic's latest
 * records and saves a 1280x800 screenshot: into a temporary directory, or
 * docs/console.png when RLOG_UPDATE_SCREENSHOT=1.
 *
 * Automatic preferred-leader transfer is off (raft.preferredLeaderCheckTicks
 * 0): it would move the transferred leader back while the test looks.
 *
 * The console's files are built first (the package's own dist/, as npm run
 * build does): the brokers serve them from there.
 *
 * A second, one-broker cluster requires SCRAM: the console asks for a login,
 * shows AUTHENTICATION_FAILED for a wrong password and the cluster for the
 * right one.
 *
 * Needs /usr/bin/chromium (.ci/run installs Debian's chromium); skips and says so without it.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { buildBrowserBundle, PACKAGE_ROOT } from "../../client/browser/bundle.js";
import { buildConsole } from "../../client/browser/console-build.js";
import { RlogClient } from "../../client/index.js";
import { scramCredential } from "../../broker/protocol/scram.js";
import { storedUserJson } from "../../broker/protocol/scram-users-json.js";
import { TestCluster, freePorts, sleep } from "../broker/cluster-harness.js";

const CHROMIUM = "/usr/bin/chromium";
const TOPIC = "console-demo";
const PARTITIONS = 3;
/** Generous: a cold headless chromium on 2 busy cores. */
const PAGE_WAIT_MS = 60_000;
/** The screenshot's size (docs/console.png). */
const VIEWPORT = { width: 1280, height: 800 };

let cluster: TestCluster | undefined;
let browser: Browser | undefined;
let adminPorts: number[] = [];
let shotDir: string | undefined;

before(async () => {
  if (!existsSync(CHROMIUM)) return;
  await buildBrowserBundle();
  await buildConsole(PACKAGE_ROOT);
  // The admin origins must be known before the brokers start: their allowedOrigins name them.
  adminPorts = await freePorts(3);
  const allowedOrigins = adminPorts.map((p) => `http://127.0.0.1:${p}`);
  cluster = await TestCluster.start({ size: 3, extra: { allowedOrigins, raft: { preferredLeaderCheckTicks: 0 } }, extraFor: (id) => ({ adminPort: adminPorts[id - 1]! }) });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu"], timeout: 60_000 });
  shotDir = mkdtempSync(join(tmpdir(), "rlog-console-shot-"));
});

after(async () => {
  await browser?.close().catch(() => undefined); // playwright ends the chromium process tree
  await cluster?.stopAll();
  if (shotDir !== undefined) rmSync(shotDir, { recursive: true, force: true });
});

test("the console shows every broker and partition, transfers a leader on a click and shows the new one", { timeout: 240_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is not installed (.ci/run installs Debian's chromium)`);
    return;
  }
  const client = new RlogClient({ brokers: cluster!.urls(), clientId: "console-test" });
  await client.admin().createTopic({ name: TOPIC, partitions: PARTITIONS, replicationFactor: 3 });
  let producing = true;
  let produced = 0;
  const producer = client.producer();
  // Traffic for the rate chart and the latest records, until the test ends.
  const traffic = (async () => {
    while (producing) {
      const messages = Array.from({ length: 10 }, (_, i) => ({ key: `user-${(produced + i) % 7}`, value: JSON.stringify({ seq: produced + i, event: "page-view" }) }));
      await producer.send({ topic: TOPIC, messages });
      produced += messages.length;
      await sleep(100);
    }
  })();
  const page = await browser!.newPage({ viewport: VIEWPORT });
  try {
    page.setDefaultTimeout(PAGE_WAIT_MS);
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    const started = Date.now();
    await page.goto(`http://127.0.0.1:${adminPorts[0]}/`);

    // In-page checks are expressions (this file has no DOM types): every broker, up.
    await page.waitForFunction(`document.querySelectorAll("#brokers tbody tr").length === 3 && [...document.querySelectorAll("#brokers tbody tr .badge")].filter((b) => b.textContent === "up").length === 3`);
    // Every partition of the topic, each with its leader's view (a replica to move to).
    for (let p = 0; p < PARTITIONS; p++) {
      const row = `document.querySelector('tr[data-partition="${TOPIC}/${p}"]')`;
      await page.waitForFunction(`${row} !== null && ${row}.dataset.leader !== "0" && ${row}.querySelector("select").options.length > 0`);
    }
    t.diagnostic(`page showed the cluster after ${Date.now() - started} ms`);
    const brokerIds = await page.locator("#brokers tbody tr").evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-broker-id"))));
    assert.deepEqual(brokerIds, [1, 2, 3]);
    // Internal topics are hidden by default.
    const shownKeys = await page.locator("#partitions tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-partition") ?? ""));
    assert.deepEqual(shownKeys.filter((k) => k.startsWith(TOPIC + "/")).sort(), Array.from({ length: PARTITIONS }, (_, p) => `${TOPIC}/${p}`));
    assert.equal(shownKeys.filter((k) => k.startsWith("__")).length, 0);

    const row = `tr[data-partition="${TOPIC}/0"]`;
    const before = Number(await page.getAttribute(row, "data-leader"));
    const target = Number(await page.locator(`${row} select option`).first().getAttribute("value"));
    assert.notEqual(target, before);
    await page.selectOption(`${row} select`, String(target));
    await page.click(`${row} button`);
    await page.waitForFunction(`document.querySelector('${row}').dataset.leader === "${target}"`);
    t.diagnostic(`leader of ${TOPIC}/0 moved from ${before} to ${target}, shown after ${Date.now() - started} ms`);
    assert.equal((await client.admin().describeTopic(TOPIC)).partitions[0]!.leader, target, "the cluster agrees");
    assert.equal(await page.textContent(`${row} td.leader`), String(target));
    assert.match((await page.textContent("#message")) ?? "", new RegExp(`broker ${target} leads`));

    // The topic's latest records.
    await page.selectOption("#records-topic", TOPIC);
    await page.click("#records-show");
    await page.waitForFunction(`document.querySelectorAll("#records tbody tr").length > 0`);
    assert.match((await page.textContent("#records tbody")) ?? "", /page-view/);
    // A few seconds of history for the charts, then the picture.
    await sleep(5_000);
    await page.evaluate("window.scrollTo(0, 0)");
    const shot = process.env["RLOG_UPDATE_SCREENSHOT"] === "1" ? join(PACKAGE_ROOT, "docs/console.png") : join(shotDir!, "console.png");
    await page.screenshot({ path: shot });
    t.diagnostic(`screenshot ${shot}: ${statSync(shot).size} bytes; ${produced} records produced meanwhile`);
    assert.ok(statSync(shot).size > 10_000, "the screenshot holds a picture");
    assert.deepEqual(errors, [], "no page errors");
  } finally {
    producing = false;
    await traffic.catch(() => undefined);
    await page.close();
    await client.close();
  }
});

test("with SCRAM on, the console asks for a login: a wrong password is refused, the right one shows the cluster", { timeout: 180_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is not installed (.ci/run installs Debian's chromium)`);
    return;
  }
  const admin = { username: "admin", password: "console-test-password" };
  const usersFile = join(shotDir!, "users.json");
  writeFileSync(usersFile, JSON.stringify([storedUserJson(admin.username, await scramCredential(admin.password, new Uint8Array(32).fill(7), 4096))]));
  const [adminPort] = await freePorts(1);
  const secured = await TestCluster.start({
    size: 1,
    login: admin,
    extra: { adminPort, allowedOrigins: [`http://127.0.0.1:${adminPort}`], authentication: { mechanism: "scram", failureDelayMs: 100, scramUsersFile: usersFile } },
  });
  const page = await browser!.newPage({ viewport: VIEWPORT });
  try {
    page.setDefaultTimeout(PAGE_WAIT_MS);
    await page.goto(`http://127.0.0.1:${adminPort}/`);
    await page.waitForSelector("#login", { state: "visible" });
    assert.equal(await page.isVisible("#dashboard"), false, "nothing shown before the login");
    await page.fill("#login-user", admin.username);
    await page.fill("#login-password", "not-the-password");
    await page.click("#login button");
    await page.waitForFunction(`document.getElementById("login-error").textContent !== ""`);
    assert.match((await page.textContent("#login-error")) ?? "", /^AUTHENTICATION_FAILED/);
    await page.fill("#login-password", admin.password);
    // The page's /metrics fetch carries the login (HTTP Basic), which the admin listener asks for with SCRAM on.
    const metricsAnswer = page.waitForResponse((r) => new URL(r.url()).pathname === "/metrics");
    await page.click("#login button");
    await page.waitForFunction(`document.querySelectorAll("#brokers tbody tr .badge.ok").length >= 1`);
    assert.equal((await metricsAnswer).status(), 200, "the page's /metrics fetch is authenticated");
    assert.equal(await page.isVisible("#login"), false, "the form is gone after the login");
    assert.equal(await page.locator("#brokers tbody tr").count(), 1);
  } finally {
    await page.close();
    await secured.stopAll();
  }
});
