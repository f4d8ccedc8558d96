/**
 * SCRAM-SHA-256 on three real broker processes (authentication.mechanism
 * "scram"), over real TLS sockets (wss://, mutual TLS between the brokers): the first user from authentication.scramUsersFile; no
 * credentials, a wrong password and a replayed exchange refused with
 * AUTHENTICATION_FAILED; produce and consume with the right password; a
 * user created with the CLI on one broker logs in on another (metadata
 * replicated); a deleted user's logins fail; users survive a restart of
 * every broker.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { RlogClient, RlogError, ErrorCode } from "../../client/index.js";
import { decodeResponse, encodeRequest } from "../../broker/protocol/frames.js";
import { PROTOCOL_VERSION } from "../../broker/protocol/version.js";
import { saltedPasswordSync, scramCredential } from "../../broker/protocol/scram.js";
import { ScramClientExchange } from "../../broker/protocol/scram-client.js";
import { storedUserJson } from "../../broker/protocol/scram-users-json.js";
import { makeBrokerCertificate, makeCertificateAuthority, type CertificateFiles } from "../../cli/security/certificates.js";
import { TestCluster, sleep } from "../broker/cluster-harness.js";
import { runCli } from "../cli/run-cli.js";

const ADMIN = { username: "admin", password: "admin-password-for-tests" };
const TOPIC = "secured";
/** How long a metadata change may take to reach every broker (generous: 2 cores shared). */
const PROPAGATION_MS = 15_000;

let cluster: TestCluster;
let usersDir: string;
/** PEM of the cluster's CA, and its file (for the CLI's RLOG_TLS_CA). */
let caPem: Buffer;
let caFile: string;

before(async () => {
  // The users file must exist before the brokers start (the harness makes its own directory as it starts them).
  usersDir = mkdtempSync(join(tmpdir(), "rlog-scram-users-"));
  const usersFile = join(usersDir, "users.json");
  writeFileSync(usersFile, JSON.stringify([storedUserJson(ADMIN.username, await scramCredential(ADMIN.password, Buffer.alloc(32, 3), 4096))]));
  const ca = await makeCertificateAuthority(usersDir);
  caFile = ca.certFile;
  caPem = readFileSync(caFile);
  const certs = new Map<number, CertificateFiles>();
  for (const id of [1, 2, 3]) certs.set(id, await makeBrokerCertificate(ca, usersDir, `broker-${id}`));
  cluster = await TestCluster.start({
    size: 3,
    tls: {
      configFor: (id) => ({ certFile: certs.get(id)!.certFile, keyFile: certs.get(id)!.keyFile, caFile, clientAuth: "none" }),
      client: { ca: caPem },
    },
    extra: { authentication: { mechanism: "scram", failureDelayMs: 100, scramUsersFile: usersFile } },
    login: ADMIN,
  });
});

after(async () => {
  await cluster?.stopAll();
  rmSync(usersDir, { recursive: true, force: true });
});

function client(urls: readonly string[], login?: { username: string; password: string }): RlogClient {
  return new RlogClient({
    brokers: [...urls],
    clientId: "scram-test",
    tls: { ca: caPem },
    retry: { retriesMax: 3, totalTimeoutMs: 10_000 },
    ...(login === undefined ? {} : { sasl: { mechanism: "scram-sha-256" as const, ...login } }),
  });
}

/** Whether `login` can connect to broker `id` (and only it) and read metadata; the error code when not. */
async function tryLogin(id: number, login: { username: string; password: string } | undefined): Promise<string> {
  const c = client([cluster.url(id)], login);
  try {
    await c.admin().listTopics();
    return "ok";
  } catch (err) {
    return err instanceof RlogError ? err.codeName : String(err);
  } finally {
    await c.close();
  }
}

/** Poll until tryLogin gives `want` (a change still reaching the broker), at most PROPAGATION_MS. */
async function eventually(id: number, login: { username: string; password: string }, want: string): Promise<void> {
  const deadline = Date.now() + PROPAGATION_MS;
  let got = "";
  while (Date.now() < deadline) {
    got = await tryLogin(id, login);
    if (got === want) return;
    await sleep(100);
  }
  assert.fail(`broker ${id}, user ${login.username}: wanted ${want}, got ${got}`);
}

const cliEnv = (login: { username: string; password: string }): Record<string, string> => ({ RLOG_USERNAME: login.username, RLOG_PASSWORD: login.password, RLOG_TLS_CA: caFile });

test("no credentials and a wrong password are refused with AUTHENTICATION_FAILED", async () => {
  assert.equal(await tryLogin(1, undefined), "AUTHENTICATION_FAILED");
  assert.equal(await tryLogin(2, { username: ADMIN.username, password: "wrong" }), "AUTHENTICATION_FAILED");
  assert.equal(await tryLogin(3, { username: "nobody", password: "wrong" }), "AUTHENTICATION_FAILED");
  const cli = await runCli(["topic", "list", "--brokers", cluster.url(1)], { env: { RLOG_TLS_CA: caFile } });
  assert.equal(cli.status, 1);
  assert.match(cli.stderr, /^AUTHENTICATION_FAILED: .*--username and --password/);
});

/** One raw WebSocket connection: frames out as given, decoded responses in. */
async function rawExchange(
  url: string,
  frames: readonly Uint8Array[],
  onResponse: (i: number, result: Record<string, unknown> | RlogError) => Uint8Array | "close" | undefined,
): Promise<{ closeCode: number }> {
  const ws = new WebSocket(url, { perMessageDeflate: false, ca: caPem });
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
  let i = 0;
  ws.on("message", (data: Buffer) => {
    const r = decodeResponse(data, 1 << 20);
    const next = onResponse(i++, r.ok ? (r.result as Record<string, unknown>) : r.error);
    if (next === "close") ws.close(1000, "done");
    else if (next !== undefined) ws.send(next);
  });
  for (const f of frames) ws.send(f);
  const timer = setTimeout(() => ws.terminate(), 10_000);
  const closeCode = await closed;
  clearTimeout(timer);
  return { closeCode };
}

test("a replayed SCRAM exchange is refused with AUTHENTICATION_FAILED", async () => {
  // Record the client's frames of one successful exchange with broker 1.
  const handshake = encodeRequest(1, { op: "handshake", version: PROTOCOL_VERSION, clientId: "recorder" }, 1 << 20);
  const exchange = new ScramClientExchange(ADMIN.username, "recordedNonce0123456789");
  const first = encodeRequest(2, { op: "authenticate", mechanism: "SCRAM-SHA-256", message: exchange.first() }, 1 << 20);
  const recorded: Uint8Array[] = [handshake, first];
  let principal: unknown;
  let users: unknown;
  await rawExchange(cluster.url(1), recorded, (i, r) => {
    assert.ok(!(r instanceof RlogError), r instanceof RlogError ? r.message : "");
    if (i === 0) return undefined; // the handshake's answer
    if (i === 1) {
      const params = exchange.onServerFirst(r["message"] as Uint8Array);
      assert.ok(params.ok);
      const final = encodeRequest(3, { op: "authenticate", mechanism: "SCRAM-SHA-256", message: exchange.final(saltedPasswordSync(ADMIN.password, params.value.salt, params.value.iterations)) }, 1 << 20);
      recorded.push(final);
      return final;
    }
    if (i === 2) {
      principal = r["principal"];
      return encodeRequest(4, { op: "listUsers" }, 1 << 20);
    }
    users = r["users"];
    return "close";
  });
  assert.equal(principal, "User:admin", "the recorded exchange itself succeeded");
  assert.ok(Array.isArray(users), "and the connection then served a request");
  assert.equal(recorded.length, 3);

  // Replay the three frames, byte for byte, on a new connection (to another broker too).
  for (const id of [1, 2]) {
    const answers: (Record<string, unknown> | RlogError)[] = [];
    const { closeCode } = await rawExchange(cluster.url(id), recorded, (_i, r) => {
      answers.push(r);
      return undefined;
    });
    const last = answers[answers.length - 1];
    assert.ok(last instanceof RlogError, "the replayed client-final is refused");
    assert.equal(last.code, ErrorCode.AUTHENTICATION_FAILED);
    assert.equal(closeCode, 4001);
  }
});

test("the right password: create a topic, produce and consume", async () => {
  const c = client(cluster.urls(), ADMIN);
  try {
    await c.admin().createTopic({ name: TOPIC, partitions: 2, replicationFactor: 3 });
    const producer = c.producer({ lingerMs: 1 });
    await producer.send({ topic: TOPIC, messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 4}`, value: `v${i}` })) });
    await producer.flush();
    const consumer = c.consumer({ maxWaitMs: 100 });
    consumer.assign([0, 1].map((partition) => ({ topic: TOPIC, partition, from: "earliest" as const })));
    const values = new Set<string>();
    for await (const r of consumer.records()) {
      values.add(String(r.value));
      if (values.size === 20) break;
    }
    await consumer.stop();
    assert.equal(values.size, 20);
  } finally {
    await c.close();
  }
});

test("user create on one broker, log in on another; user list; user delete; file users are protected", async () => {
  const alice = { username: "alice", password: "alice-password-123" };
  const created = await runCli(["user", "create", "alice", "--password-stdin", "--iterations", "4096", "--brokers", cluster.url(1)], { input: `${alice.password}\n`, env: cliEnv(ADMIN) });
  assert.equal(created.status, 0, created.stderr);
  await eventually(3, alice, "ok");

  const listed = await runCli(["user", "list", "--json", "--brokers", cluster.url(2)], { env: cliEnv(alice) });
  assert.equal(listed.status, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout.toString()), [
    { name: "admin", mechanism: "SCRAM-SHA-256", iterations: 4096, source: "file" },
    { name: "alice", mechanism: "SCRAM-SHA-256", iterations: 4096, source: "metadata" },
  ]);
  assert.doesNotMatch(listed.stdout.toString(), /storedKey|serverKey|salt/);

  const fileUser = await runCli(["user", "delete", "admin", "--brokers", cluster.url(1)], { env: cliEnv(ADMIN) });
  assert.equal(fileUser.status, 1);
  assert.match(fileUser.stderr, /^INVALID_REQUEST: .*scramUsersFile/);

  const deleted = await runCli(["user", "delete", "alice", "--brokers", cluster.url(2)], { env: cliEnv(ADMIN) });
  assert.equal(deleted.status, 0, deleted.stderr);
  for (const id of [1, 2, 3]) await eventually(id, alice, "AUTHENTICATION_FAILED");
});

test("users survive a restart of every broker", async () => {
  const bob = { username: "bob", password: "bob-password-456" };
  const c = client(cluster.urls(), ADMIN);
  try {
    await c.admin().createUser(bob.username, bob.password, { iterations: 4096 });
  } finally {
    await c.close();
  }
  for (const id of [1, 2, 3]) await eventually(id, bob, "ok");
  for (const id of [1, 2, 3]) await cluster.kill(id);
  for (const id of [1, 2, 3]) await cluster.restart(id);
  await cluster.waitReady(30_000);
  for (const id of [1, 2, 3]) await eventually(id, bob, "ok");
  assert.equal(await tryLogin(1, { username: bob.username, password: "not-bobs" }), "AUTHENTICATION_FAILED");
});
