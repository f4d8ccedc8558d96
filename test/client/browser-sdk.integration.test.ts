/**
 * The SDK's browser build in a real browser against a real 3-broker
 * cluster: Debian's chromium, headless, driven by playwright-core, loads a
 * page from a local HTTP server; the page imports the bundle
 * (dist/browser/rlog.js, built here into a temporary directory by the same
 * code as `npm run build:browser`) and, through the SDK and the page's own
 * WebSocket:
 *
 * - creates a topic (admin), produces records with keys, binary values,
 *   headers, a record without a key and one without a value, half of them in
 *   gzip batches (CompressionStream) and half uncompressed;
 * - reads them back by partition (assign, from earliest) and through a
 *   consumer group (subscribe, from the beginning, offsets committed);
 * - sees lz4 refused with UNSUPPORTED_COMPRESSION.
 *
 * A broker that requires SCRAM-SHA-256 takes the page's login (PBKDF2
 * through WebCrypto): the page produces and reads back as the file user,
 * creates a user (admin.createUser derives its credential in the page) and
 * logs in as it, and a wrong password gets AUTHENTICATION_FAILED.
 *
 * The test then checks every record came back exactly once with its key,
 * value and headers intact, in both reads, that the group committed the
 * end offsets, and (reading the stored batches raw) that the page's gzip
 * records sit in gzip batches and the others in uncompressed ones. A second page, from an origin the brokers' `allowedOrigins`
 * does not list, gets BROKER_NOT_AVAILABLE from the SDK: the upgrade is
 * refused (HTTP 403) and the broker logs the origin.
 *
 * Needs /usr/bin/chromium (.ci/run installs Debian's chromium when missing);
 * skips and says so without it.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { buildBrowserBundle } from "../../client/browser/bundle.js";
import { RlogClient } from "../../client/index.js";
import { scramCredential } from "../../broker/protocol/scram.js";
import { storedUserJson } from "../../broker/protocol/scram-users-json.js";
import type * as Rlog from "../../client/index.js";
import { TestCluster, freeBrokerPorts } from "../broker/cluster-harness.js";
import { WireClient } from "../broker/wire-client.js";
import { readRecordBatchHeader } from "../../broker/protocol/record-batch.js";
import { Compression } from "../../broker/protocol/compression.js";

const CHROMIUM = "/usr/bin/chromium";
/** Records produced from the page: half uncompressed, half in gzip batches. */
const RECORDS = 60;
/** How long the page may take for all of it (a cold headless chromium on 2 busy cores). */
const PAGE_WAIT_MS = 120_000;
const TOPIC = "browser-sdk";
const GROUP = "browser-group";

/** One record as the page reports it (bytes as number arrays: they cross the page boundary as JSON). */
interface SeenRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: number[] | null;
  readonly headers: { readonly key: string; readonly value: number[] }[];
  readonly valueIsUint8Array: boolean;
}

/** What the page reports. */
interface PageReport {
  readonly created: number;
  readonly produced: { readonly partition: number; readonly offset: number }[];
  readonly assigned: SeenRecord[];
  readonly grouped: SeenRecord[];
  readonly lz4: string;
  readonly lz4Message: string;
  readonly failure?: string;
}

/** The record the page makes for index i (the test rebuilds it to compare). */
function expectedRecord(i: number): { key: string | null; value: number[] | null; headers: { key: string; value: number[] }[] } {
  return {
    key: i % 10 === 3 ? null : `key-${i}`,
    value: i === 7 ? null : [i, 255 - i, 0, 128, ...new TextEncoder().encode(`value-${i}`)],
    headers: [
      { key: "index", value: [...new TextEncoder().encode(String(i))] },
      { key: "bin", value: [0, 255, i] },
    ],
  };
}

/**
 * The page's part: runs inside chromium (serialized by playwright, so it
 * closes over nothing); `rlog` is the imported bundle.
 */
async function scenario(args: { brokers: string[]; topic: string; group: string; records: number; waitMs: number }): Promise<PageReport> {
  const rlog = (globalThis as unknown as { rlog: typeof Rlog }).rlog;
  const report: { -readonly [K in keyof PageReport]: PageReport[K] } = { created: 0, produced: [], assigned: [], grouped: [], lz4: "", lz4Message: "" };
  const deadline = Date.now() + args.waitMs;
  const seen = (r: Rlog.ConsumerRecord): SeenRecord => ({
    partition: r.partition,
    offset: r.offset,
    key: r.key === undefined ? null : new TextDecoder().decode(r.key),
    value: r.value === null ? null : Array.from(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: Array.from(h.value) })),
    valueIsUint8Array: r.value === null || r.value instanceof Uint8Array,
  });
  const record = (i: number): Rlog.ProducerMessage => ({
    key: i % 10 === 3 ? undefined : `key-${i}`,
    value: i === 7 ? null : new Uint8Array([i, 255 - i, 0, 128, ...new TextEncoder().encode(`value-${i}`)]),
    headers: [
      { key: "index", value: String(i) },
      { key: "bin", value: new Uint8Array([0, 255, i]) },
    ],
  });
  const client = new rlog.RlogClient({ brokers: args.brokers, clientId: "browser-sdk-test" });
  try {
    const created = await client.admin().createTopic({ name: args.topic, partitions: 3, replicationFactor: 3 });
    report.created = created.partitions.length;
    const half = args.records / 2;
    const plain = client.producer({ compression: "none" });
    const gzip = client.producer({ compression: "gzip", lingerMs: 20 });
    const sends: Promise<Rlog.RecordMetadata[]>[] = [];
    for (let i = 0; i < args.records; i++) sends.push((i < half ? plain : gzip).send({ topic: args.topic, messages: [record(i)] }));
    for (const metas of await Promise.all(sends)) for (const m of metas) report.produced.push({ partition: m.partition, offset: m.offset });
    try {
      await client.producer({ compression: "lz4" }).send({ topic: args.topic, messages: [{ value: "never" }] });
      report.lz4 = "sent";
    } catch (err) {
      report.lz4 = err instanceof rlog.RlogError ? err.codeName : String(err);
      report.lz4Message = err instanceof Error ? err.message : "";
    }

    const byPartition = client.consumer({ maxWaitMs: 200 });
    byPartition.assign([0, 1, 2].map((partition) => ({ topic: args.topic, partition, from: "earliest" as const })));
    for await (const r of byPartition.records()) {
      report.assigned.push(seen(r));
      if (report.assigned.length === args.records || Date.now() > deadline) break;
    }
    await byPartition.stop();

    const member = client.consumer({ groupId: args.group, maxWaitMs: 200, sessionTimeoutMs: 10_000, autoCommitIntervalMs: 0 });
    member.subscribe({ topics: [args.topic], fromBeginning: true });
    // run() rather than records(): the last record counts as processed once its handler returns, so stop() commits it.
    const giveUp = setTimeout(() => void member.stop(), Math.max(0, deadline - Date.now()));
    await member.run({
      eachRecord: (r) => {
        report.grouped.push(seen(r));
        if (report.grouped.length === args.records) void member.stop(); // inside a handler: not awaited
      },
    });
    clearTimeout(giveUp);
    await member.stop();
  } catch (err) {
    report.failure = err instanceof rlog.RlogError ? `${err.codeName}: ${err.message}` : String(err);
  } finally {
    await client.close();
  }
  return report;
}

/** What the SCRAM page reports: error codes, or what it read back. */
interface ScramReport {
  readonly readBack: string;
  readonly newUser: string;
  readonly wrongPassword: string;
}

/** The SCRAM page's part: log in, produce and read back, create a user, log in as it, and with a wrong password. */
async function scramScenario(args: { brokers: string[]; admin: { username: string; password: string } }): Promise<ScramReport> {
  const rlog = (globalThis as unknown as { rlog: typeof Rlog }).rlog;
  const code = (err: unknown): string => (err instanceof rlog.RlogError ? err.codeName : String(err));
  const login = (username: string, password: string): Rlog.RlogClient =>
    new rlog.RlogClient({ brokers: args.brokers, sasl: { mechanism: "scram-sha-256", username, password }, retry: { retriesMax: 2, totalTimeoutMs: 10_000 } });
  const report = { readBack: "", newUser: "", wrongPassword: "" };
  const admin = login(args.admin.username, args.admin.password);
  try {
    await admin.admin().createTopic({ name: "scram-browser", partitions: 1, replicationFactor: 1 });
    const [meta] = await admin.producer().send({ topic: "scram-browser", messages: [{ key: "k", value: "logged in from a page" }] });
    const consumer = admin.consumer({ maxWaitMs: 200 });
    consumer.assign([{ topic: "scram-browser", partition: 0, from: { offset: meta!.offset } }]);
    for await (const r of consumer.records()) {
      report.readBack = new TextDecoder().decode(r.value ?? new Uint8Array(0));
      break;
    }
    await admin.admin().createUser("browser-user", "made-in-a-page", { iterations: 4096 });
  } catch (err) {
    report.readBack ||= code(err);
  } finally {
    await admin.close();
  }
  const user = login("browser-user", "made-in-a-page");
  report.newUser = await user.admin().listTopics().then((topics) => `listed ${topics.length}`, code);
  await user.close();
  const wrong = login(args.admin.username, "not-the-password");
  report.wrongPassword = await wrong.admin().listTopics().then(() => "answered", code);
  await wrong.close();
  return report;
}

/** The codec of the stored batch holding each offset of `topic`/`partition`, read raw from its leader. */
async function storedCodecByOffset(client: RlogClient, topic: string, partition: number): Promise<Map<number, number>> {
  const leader = (await client.admin().describeTopic(topic)).partitions[partition]!.leader;
  const wire = await WireClient.connect(cluster!.url(leader));
  try {
    const codecs = new Map<number, number>();
    let offset = 0;
    for (;;) {
      const r = await wire.request("fetch", { op: "fetch", topic, partition, offset, maxBytes: 1 << 20, maxWaitMs: 0 });
      if (r.batches.length === 0) return codecs;
      for (const b of r.batches) {
        const h = readRecordBatchHeader(b.data, true);
        assert.ok(h.ok, h.ok ? "" : h.error.message);
        for (let i = 0; i < h.value.recordCount; i++) codecs.set(b.baseOffset + i, h.value.compression);
        offset = b.baseOffset + h.value.recordCount;
      }
    }
  } finally {
    wire.close();
  }
}

/** The refused page's part: one request through the SDK, reported as the error's code. */
async function refusedScenario(args: { brokers: string[] }): Promise<string> {
  const rlog = (globalThis as unknown as { rlog: typeof Rlog }).rlog;
  const client = new rlog.RlogClient({ brokers: args.brokers, retry: { retriesMax: 1, totalTimeoutMs: 5_000 } });
  try {
    await client.admin().listTopics();
    return "answered";
  } catch (err) {
    return err instanceof rlog.RlogError ? err.codeName : String(err);
  } finally {
    await client.close();
  }
}

/** A server for the page and the bundle, on 127.0.0.1 and a free port. */
interface PageServer {
  readonly origin: string;
  close(): Promise<void>;
}

async function pageServer(bundleDir: string): Promise<PageServer> {
  const page = `<!doctype html><meta charset="utf-8"><title>rlog browser SDK test</title>
<script type="module">import * as rlog from "/rlog.js"; globalThis.rlog = rlog;</script>`;
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    if (path === "/") res.writeHead(200, { "content-type": "text/html" }).end(page);
    else if (path === "/rlog.js" || path === "/rlog.js.map") {
      res.writeHead(200, { "content-type": path.endsWith(".js") ? "text/javascript" : "application/json" }).end(readFileSync(join(bundleDir, path.slice(1))));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let bundleDir: string | undefined;
let cluster: TestCluster | undefined;
let allowedPage: PageServer | undefined;
let otherPage: PageServer | undefined;
let browser: Browser | undefined;

before(async () => {
  if (!existsSync(CHROMIUM)) return;
  bundleDir = mkdtempSync(join(tmpdir(), "rlog-browser-bundle-"));
  await buildBrowserBundle(join(bundleDir, "rlog.js"));
  allowedPage = await pageServer(bundleDir);
  otherPage = await pageServer(bundleDir);
  // The page's origin must be known before the brokers start: their allowedOrigins names it.
  const ports = await freeBrokerPorts(3);
  cluster = await TestCluster.start({ size: 3, ports, extra: { allowedOrigins: [allowedPage.origin] } });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu"], timeout: 60_000 });
});

after(async () => {
  await browser?.close().catch(() => undefined); // playwright kills the chromium process tree
  await cluster?.stopAll();
  await allowedPage?.close();
  await otherPage?.close();
  if (bundleDir !== undefined) rmSync(bundleDir, { recursive: true, force: true });
});

/** Open `origin` in a fresh page and wait for the bundle to load. */
async function openPage(origin: string): Promise<import("playwright-core").Page> {
  const page = await browser!.newPage();
  page.setDefaultTimeout(PAGE_WAIT_MS);
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  await page.goto(origin + "/");
  await page.waitForFunction(() => (globalThis as { rlog?: unknown }).rlog !== undefined, undefined, { timeout: 60_000 }).catch((err: unknown) => {
    throw new Error(`the bundle did not load: ${String(err)}; page errors: ${errors.join("; ")}`);
  });
  return page;
}

test("the browser build produces and consumes against a 3-broker cluster from headless chromium", { timeout: 300_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is not installed (.ci/run installs Debian's chromium)`);
    return;
  }
  const page = await openPage(allowedPage!.origin);
  const started = Date.now();
  const report = await page.evaluate(scenario, { brokers: cluster!.urls(), topic: TOPIC, group: GROUP, records: RECORDS, waitMs: PAGE_WAIT_MS - 10_000 });
  t.diagnostic(`page scenario took ${Date.now() - started} ms`);
  await page.close();
  assert.equal(report.failure, undefined, report.failure);
  assert.equal(report.created, 3);
  assert.equal(report.produced.length, RECORDS);
  assert.equal(report.lz4, "UNSUPPORTED_COMPRESSION");
  assert.match(report.lz4Message, /browser build/);

  for (const [name, seen] of [["by partition", report.assigned], ["through the group", report.grouped]] as const) {
    assert.equal(seen.length, RECORDS, `${name}: every record came back`);
    const at = new Set(seen.map((r) => `${r.partition}:${r.offset}`));
    assert.equal(at.size, RECORDS, `${name}: no record twice`);
    assert.ok(seen.every((r) => r.valueIsUint8Array), `${name}: values are Uint8Arrays`);
    const byIndex = new Map<number, SeenRecord>();
    for (const r of seen) byIndex.set(Number(new TextDecoder().decode(new Uint8Array(r.headers.find((h) => h.key === "index")!.value))), r);
    for (let i = 0; i < RECORDS; i++) {
      const r = byIndex.get(i);
      assert.ok(r !== undefined, `${name}: record ${i} came back`);
      assert.deepEqual({ key: r.key, value: r.value, headers: r.headers }, expectedRecord(i), `${name}: record ${i} intact`);
      assert.deepEqual({ partition: r.partition, offset: r.offset }, report.produced[i], `${name}: record ${i} where its send said`);
    }
  }

  // The group committed what it read: the end of every partition.
  const client = new RlogClient({ brokers: cluster!.urls(), clientId: "browser-sdk-check" });
  try {
    // The page's gzip batches are stored as gzip (CompressionStream made them), the others uncompressed.
    const codecs = new Map<number, Map<number, number>>();
    for (const partition of [0, 1, 2]) codecs.set(partition, await storedCodecByOffset(client, TOPIC, partition));
    report.produced.forEach(({ partition, offset }, i) => {
      assert.equal(codecs.get(partition)!.get(offset), i < RECORDS / 2 ? Compression.None : Compression.Gzip, `record ${i}: its batch's codec`);
    });
    const group = await client.admin().describeGroup(GROUP);
    const committed = group.offsets.filter((o) => o.topic === TOPIC).reduce((sum, o) => sum + o.offset, 0);
    assert.equal(committed, RECORDS, "committed offsets add up to every record");
  } finally {
    await client.close();
  }
});

test("a page logs in with SCRAM-SHA-256 through WebCrypto, creates a user and logs in as it; a wrong password is refused", { timeout: 180_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is not installed (.ci/run installs Debian's chromium)`);
    return;
  }
  const admin = { username: "admin", password: "admin-password-for-browser-tests" };
  const usersFile = join(bundleDir!, "users.json");
  writeFileSync(usersFile, JSON.stringify([storedUserJson(admin.username, await scramCredential(admin.password, new Uint8Array(32).fill(5), 4096))]));
  const secured = await TestCluster.start({
    size: 1,
    login: admin,
    extra: { allowedOrigins: [allowedPage!.origin], authentication: { mechanism: "scram", failureDelayMs: 100, scramUsersFile: usersFile } },
  });
  try {
    const page = await openPage(allowedPage!.origin);
    const report = await page.evaluate(scramScenario, { brokers: secured.urls(), admin });
    await page.close();
    assert.deepEqual(report, { readBack: "logged in from a page", newUser: "listed 1", wrongPassword: "AUTHENTICATION_FAILED" });
  } finally {
    await secured.stopAll();
  }
});

test("a page from an origin the brokers do not allow gets BROKER_NOT_AVAILABLE from the SDK", { timeout: 120_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is not installed (.ci/run installs Debian's chromium)`);
    return;
  }
  const page = await openPage(otherPage!.origin);
  const code = await page.evaluate(refusedScenario, { brokers: [cluster!.url(1)] });
  await page.close();
  assert.equal(code, "BROKER_NOT_AVAILABLE");
  assert.match(cluster!.logTail(1, 400), new RegExp(otherPage!.origin.replace(/[.:/]/g, "\\$&")), "the broker logged the refused origin");
});
