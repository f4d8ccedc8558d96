/**
 * The admin listener on a real broker with authentication.mechanism "scram"
 * (docs/SECURITY.md, "The admin listener"): /metrics needs HTTP Basic of a
 * SCRAM user (401 with the challenge, after failureDelayMs, without it or
 * with a wrong password), and with authorization on also DESCRIBE on the
 * cluster (403 without the ACL, 200 with it and for a super user); /health
 * and /ready stay open. Over TLS, a verified client certificate logs in as
 * User:<CN> without a password.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeBrokerCertificate, makeCertificateAuthority, makeClientCertificate } from "../../cli/security/certificates.js";
import { scramCredential } from "../../broker/protocol/scram.js";
import { storedUserJson } from "../../broker/protocol/scram-users-json.js";
import { RlogClient } from "../../client/index.js";
import { freePorts, sleep, TestCluster } from "../broker/cluster-harness.js";
import { aclOf, grant } from "../security/acl-helpers.js";

const ADMIN = { username: "admin", password: "admin-password" };
const READER = { username: "reader", password: "reader-password" };
const NOBODY = { username: "nobody", password: "nobody-password" };
const FAILURE_DELAY_MS = 300;
const READY_WAIT_MS = 30_000;

interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  readonly tookMs: number;
}

/** HTTPS material for get(): the CA to trust, and a client certificate to present. */
interface Tls {
  readonly ca: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** One GET to 127.0.0.1:port, with HTTP Basic when a login is given; HTTPS when `tls` is given. */
function get(port: number, path: string, login?: { username: string; password: string }, tls?: Tls): Promise<Answer> {
  const started = performance.now();
  const headers = login === undefined ? {} : { authorization: `Basic ${Buffer.from(`${login.username}:${login.password}`).toString("base64")}` };
  return new Promise((resolve, reject) => {
    const options = { host: "127.0.0.1", port, path, agent: false, headers, ...tls };
    const send = tls === undefined ? request : httpsRequest;
    const req = send(options, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"), tookMs: performance.now() - started }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

function assertUnauthenticated(a: Answer, what: string): void {
  assert.equal(a.status, 401, `${what}: ${a.body}`);
  assert.equal(a.headers["www-authenticate"], 'Basic realm="rlog", charset="UTF-8"');
  assert.equal((JSON.parse(a.body) as { error: string }).error, "AUTHENTICATION_FAILED");
  assert.ok(a.tookMs >= FAILURE_DELAY_MS - 5, `${what}: answered after failureDelayMs (took ${a.tookMs.toFixed(0)} ms)`);
}

function assertMetrics(a: Answer, what: string): void {
  assert.equal(a.status, 200, `${what}: ${a.body}`);
  assert.match(String(a.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
  // Not parsed strictly: prom-client's default event-loop-lag gauges read "Nan" in a broker's first moments (admin-listener.integration.test.ts parses scrapes).
  assert.match(a.body, /^# TYPE rlog_\w+ /m, `${what}: rlog metric families`);
}

/** /health and /ready answer without credentials (/ready once the broker is ready). */
async function assertProbesOpen(port: number, tls?: Tls): Promise<void> {
  assert.equal((await get(port, "/health", undefined, tls)).status, 200);
  const deadline = Date.now() + READY_WAIT_MS;
  for (;;) {
    const r = await get(port, "/ready", undefined, tls);
    if (r.status === 200) break;
    assert.equal(r.status, 503, r.body);
    if (Date.now() > deadline) assert.fail(`/ready still 503 after ${READY_WAIT_MS} ms: ${r.body}`);
    await sleep(100);
  }
}

async function usersFile(dir: string): Promise<string> {
  const path = join(dir, "users.json");
  const users = await Promise.all([ADMIN, READER, NOBODY].map(async (u, i) => storedUserJson(u.username, await scramCredential(u.password, new Uint8Array(32).fill(i + 1), 4096))));
  writeFileSync(path, JSON.stringify(users));
  return path;
}

test("SCRAM on, authorization off: /metrics needs a SCRAM user's Basic login; /health and /ready stay open", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "rlog-admin-auth-"));
  const [adminPort] = await freePorts(1);
  const cluster = await TestCluster.start({
    size: 1,
    login: ADMIN,
    extra: { adminPort, authentication: { mechanism: "scram", failureDelayMs: FAILURE_DELAY_MS, scramUsersFile: await usersFile(dir) } },
  });
  try {
    await assertProbesOpen(adminPort!);
    assertUnauthenticated(await get(adminPort!, "/metrics"), "no credentials");
    assertUnauthenticated(await get(adminPort!, "/metrics", { username: NOBODY.username, password: "not-it" }), "wrong password");
    assertUnauthenticated(await get(adminPort!, "/metrics", { username: "ghost", password: NOBODY.password }), "unknown user");
    assertMetrics(await get(adminPort!, "/metrics", NOBODY), "any user, authorization off");
    const again = await get(adminPort!, "/metrics", NOBODY);
    assertMetrics(again, "the same login again (cached)");
  } finally {
    await cluster.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("SCRAM and authorization on: /metrics needs describe on the cluster (403 without), a super user passes", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "rlog-admin-authz-"));
  const [adminPort] = await freePorts(1);
  const cluster = await TestCluster.start({
    size: 1,
    login: ADMIN,
    extra: {
      adminPort,
      authentication: { mechanism: "scram", failureDelayMs: FAILURE_DELAY_MS, scramUsersFile: await usersFile(dir) },
      authorization: { enabled: true, superUsers: [`User:${ADMIN.username}`] },
    },
  });
  const client = new RlogClient({ brokers: cluster.urls(), clientId: "admin-auth-test", sasl: { mechanism: "scram-sha-256", ...ADMIN } });
  try {
    await assertProbesOpen(adminPort!);
    assertUnauthenticated(await get(adminPort!, "/metrics"), "no credentials");
    assertUnauthenticated(await get(adminPort!, "/metrics", { username: READER.username, password: "not-it" }), "wrong password");
    assertMetrics(await get(adminPort!, "/metrics", ADMIN), "super user");
    const refused = await get(adminPort!, "/metrics", READER);
    assert.equal(refused.status, 403, refused.body);
    assert.deepEqual(JSON.parse(refused.body), {
      error: "AUTHORIZATION_FAILED",
      message: "User:reader may not describe cluster rlog-cluster",
      principal: "User:reader",
      operation: "describe",
      resource: { type: "cluster", name: "rlog-cluster" },
    });
    await grant(client.admin(), aclOf(`User:${READER.username}`, "cluster", "", "describe"));
    // The grant resolves once committed; the broker applies it as it follows the controller log, so allow it a moment.
    const deadline = Date.now() + READY_WAIT_MS;
    let granted = await get(adminPort!, "/metrics", READER);
    while (granted.status === 403 && Date.now() < deadline) {
      await sleep(50);
      granted = await get(adminPort!, "/metrics", READER);
    }
    assertMetrics(granted, "reader with describe on the cluster");
    const nobody = await get(adminPort!, "/metrics", NOBODY);
    assert.equal(nobody.status, 403, nobody.body);
  } finally {
    await client.close();
    await cluster.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("over TLS with client certificates optional: a verified certificate is User:<CN> without a password", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "rlog-admin-auth-tls-"));
  const ca = await makeCertificateAuthority(dir);
  const brokerCert = await makeBrokerCertificate(ca, dir, "broker-1", ["127.0.0.1"], true);
  const caPem = readFileSync(ca.certFile);
  const certOf = async (cn: string): Promise<Tls> => {
    const c = await makeClientCertificate(ca, dir, `client-${cn}`, cn);
    return { ca: caPem, cert: readFileSync(c.certFile), key: readFileSync(c.keyFile) };
  };
  const [adminPort] = await freePorts(1);
  const cluster = await TestCluster.start({
    size: 1,
    login: ADMIN,
    tls: { configFor: () => ({ certFile: brokerCert.certFile, keyFile: brokerCert.keyFile, caFile: ca.certFile, clientAuth: "optional" }), client: { ca: caPem } },
    extra: {
      adminPort,
      authentication: { mechanism: "scram", failureDelayMs: FAILURE_DELAY_MS, scramUsersFile: await usersFile(dir) },
      authorization: { enabled: true, superUsers: [`User:${ADMIN.username}`] },
    },
  });
  try {
    const noCert: Tls = { ca: caPem };
    await assertProbesOpen(adminPort!, noCert);
    assertUnauthenticated(await get(adminPort!, "/metrics", undefined, noCert), "no certificate, no login");
    assertMetrics(await get(adminPort!, "/metrics", ADMIN, noCert), "no certificate, Basic login over HTTPS");
    assertMetrics(await get(adminPort!, "/metrics", undefined, await certOf(ADMIN.username)), "certificate of the super user");
    const reader = await get(adminPort!, "/metrics", undefined, await certOf(READER.username));
    assert.equal(reader.status, 403, reader.body);
    assert.equal((JSON.parse(reader.body) as { principal: string }).principal, "User:reader");
  } finally {
    await cluster.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
});
