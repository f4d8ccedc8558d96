/**
 * The Kafka listener with everything on, as a deployment runs it: three
 * real brokers with TLS, SCRAM-SHA-256 logins and ACLs; the users (a super
 * user "admin" and "alice", who has no ACLs) come from the users file.
 * Checks, over real TLS sockets:
 * - kafkajs with ssl + SASL SCRAM-SHA-256 as admin creates a topic and sees
 *   it in Metadata; PLAIN (offered on TLS) logs in too;
 * - a wrong password fails with an authentication error: on the wire,
 *   SASL_AUTHENTICATION_FAILED after failureDelayMs, then the broker closes;
 * - alice gets TOPIC_AUTHORIZATION_FAILED creating a topic and describing
 *   its configs, and listTopics does not show her the admin's topic;
 * - before login, anything but ApiVersions / SaslHandshake /
 *   SaslAuthenticate closes the connection; SaslAuthenticate before
 *   SaslHandshake gets ILLEGAL_SASL_STATE; SaslHandshake v0 gets
 *   UNSUPPORTED_VERSION; an unknown mechanism UNSUPPORTED_SASL_MECHANISM
 *   with the offered list;
 * - kcat (librdkafka) with SASL_SSL and SCRAM-SHA-256 lists the cluster.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import kafkajs from "kafkajs";
import { ApiKey } from "../../broker/kafka/api-keys.js";
import { KafkaError } from "../../broker/kafka/kafka-errors.js";
import { scramCredential } from "../../broker/protocol/scram.js";
import { storedUserJson } from "../../broker/protocol/scram-users-json.js";
import { makeBrokerCertificate, makeCertificateAuthority } from "../../cli/security/certificates.js";
import { TestCluster } from "../broker/cluster-harness.js";
import { RawKafkaConnection, requestFrame } from "./kafka-raw-client.js";
import { kcat } from "./kcat.js";
import { createTopicsWhenLive } from "./kafkajs-helpers.js";

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;

const ADMIN = { username: "admin", password: "admin-password-for-tests" };
const ALICE = { username: "alice", password: "alice-password" };
const TOPIC = "sec-orders";
/** authentication.failureDelayMs of the brokers: a failed login is answered no sooner. */
const FAILURE_DELAY_MS = 300;

let dir: string;
let cluster: TestCluster;
let caPem: Buffer;
let caFile: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "rlog-kafka-security-"));
  const ca = await makeCertificateAuthority(dir);
  caFile = ca.certFile;
  caPem = readFileSync(ca.certFile);
  const certs = new Map<number, { certFile: string; keyFile: string }>();
  for (const id of [1, 2, 3]) certs.set(id, await makeBrokerCertificate(ca, dir, `broker-${id}`));
  const usersFile = join(dir, "users.json");
  const users = [storedUserJson(ADMIN.username, await scramCredential(ADMIN.password, Buffer.alloc(32, 5), 4096)), storedUserJson(ALICE.username, await scramCredential(ALICE.password, Buffer.alloc(32, 6), 4096))];
  writeFileSync(usersFile, JSON.stringify(users));
  cluster = await TestCluster.start({
    size: 3,
    kafka: true,
    tls: {
      configFor: (id) => ({ certFile: certs.get(id)!.certFile, keyFile: certs.get(id)!.keyFile, caFile: ca.certFile, clientAuth: "optional" }),
      client: { ca: caPem },
    },
    login: ADMIN,
    extra: {
      authentication: { mechanism: "scram", failureDelayMs: FAILURE_DELAY_MS, scramUsersFile: usersFile },
      authorization: { enabled: true, superUsers: [`User:${ADMIN.username}`] },
    },
  });
});

after(async () => {
  await cluster?.stopAll();
  rmSync(dir, { recursive: true, force: true });
});

function kafkaClient(login: { username: string; password: string }, mechanism: "scram-sha-256" | "plain" = "scram-sha-256"): kafkajs.Kafka {
  return new Kafka({
    clientId: "kafka-security-test",
    brokers: cluster.kafkaBrokers(),
    ssl: { ca: [caPem] },
    sasl: { mechanism, ...login } as kafkajs.SASLOptions,
    logLevel: logLevel.NOTHING,
    // Generous: three TLS brokers on two shared cores.
    connectionTimeout: 10_000,
    authenticationTimeout: 10_000,
    requestTimeout: 30_000,
    retry: { retries: 8, initialRetryTime: 200 },
  });
}

/** A kafkajs admin as `login`, connected; disconnected after `use`. */
async function withAdmin<T>(login: { username: string; password: string }, use: (admin: kafkajs.Admin) => Promise<T>, mechanism?: "scram-sha-256" | "plain"): Promise<T> {
  const admin = kafkaClient(login, mechanism).admin();
  try {
    await admin.connect();
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

test("kafkajs over TLS with SCRAM-SHA-256 as the super user creates a topic and sees it in Metadata", { timeout: 60_000 }, async () => {
  await withAdmin(ADMIN, async (admin) => {
    assert.equal(await createTopicsWhenLive(admin, { topics: [{ topic: TOPIC, numPartitions: 2, replicationFactor: 3 }], timeout: 15_000 }), true);
    const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    assert.equal(meta.topics[0]?.partitions.length, 2);
  });
});

test("PLAIN over TLS logs in (checked against the stored SCRAM credential)", { timeout: 60_000 }, async () => {
  const topics = await withAdmin(ADMIN, (admin) => admin.listTopics(), "plain");
  assert.ok(topics.includes(TOPIC), topics.join(","));
});

test("a wrong password: kafkajs reports an authentication error; on the wire SASL_AUTHENTICATION_FAILED after the delay, then the close", { timeout: 60_000 }, async () => {
  await assert.rejects(withAdmin({ username: ADMIN.username, password: "wrong" }, (admin) => admin.listTopics()), (err: Error) => {
    assert.match(`${err.name} ${err.message}`, /SASL|authentication/i);
    return true;
  });

  const c = await RawKafkaConnection.open(cluster.kafkaBrokers()[0]!, caPem);
  try {
    c.write(requestFrame(ApiKey.SaslHandshake, 1, 1, (w) => w.string("PLAIN")));
    const hs = await c.next();
    assert.ok(hs !== undefined);
    assert.equal(hs.body.int16(), KafkaError.NONE);
    assert.deepEqual(
      hs.body.array((r) => r.string()),
      ["SCRAM-SHA-256", "PLAIN"],
    );
    const sentMs = Date.now();
    c.write(requestFrame(ApiKey.SaslAuthenticate, 1, 2, (w) => w.bytes(Buffer.from(`\u0000${ADMIN.username}\u0000not-the-password`))));
    const auth = await c.next();
    assert.ok(auth !== undefined, "an answer before the close");
    assert.ok(Date.now() - sentMs >= FAILURE_DELAY_MS - 20, `answered after ${Date.now() - sentMs} ms`);
    assert.equal(auth.correlationId, 2);
    assert.equal(auth.body.int16(), KafkaError.SASL_AUTHENTICATION_FAILED);
    assert.match(auth.body.nullableString() ?? "", /unknown user or wrong password/);
    assert.ok(await c.waitClosed(), "the broker closes the connection");
  } finally {
    c.destroy();
  }
});

test("alice (no ACLs) gets TOPIC_AUTHORIZATION_FAILED and does not see the admin's topic", { timeout: 60_000 }, async () => {
  await withAdmin(ALICE, async (admin) => {
    await assert.rejects(admin.createTopics({ topics: [{ topic: "alice-topic", numPartitions: 1, replicationFactor: 1 }] }), (err: { errors?: { type: string }[]; type?: string }) => {
      assert.equal(err.errors?.[0]?.type ?? err.type, "TOPIC_AUTHORIZATION_FAILED", JSON.stringify(err));
      return true;
    });
    await assert.rejects(admin.createTopics({ topics: [{ topic: "alice-topic", numPartitions: 1, replicationFactor: 1 }], validateOnly: true }), (err: { errors?: { type: string }[] }) => {
      assert.equal(err.errors?.[0]?.type, "TOPIC_AUTHORIZATION_FAILED", "validate_only checks the ACLs too");
      return true;
    });
    await assert.rejects(admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: TOPIC }], includeSynonyms: false }), (err: { type?: string }) => {
      assert.equal(err.type, "TOPIC_AUTHORIZATION_FAILED", JSON.stringify(err));
      return true;
    });
    assert.ok(!(await admin.listTopics()).includes(TOPIC));
  });
});

test("before login: Metadata closes the connection; SaslAuthenticate first is ILLEGAL_SASL_STATE; SaslHandshake v0 and unknown mechanisms are refused", { timeout: 60_000 }, async () => {
  const broker = cluster.kafkaBrokers()[1]!;
  const metadata = await RawKafkaConnection.open(broker, caPem);
  metadata.write(requestFrame(ApiKey.Metadata, 1, 7, (w) => w.int32(-1)));
  assert.equal(await metadata.next(), undefined, "no answer");
  assert.ok(metadata.closed);

  const early = await RawKafkaConnection.open(broker, caPem);
  early.write(requestFrame(ApiKey.SaslAuthenticate, 1, 8, (w) => w.bytes(Buffer.from("n,,n=admin,r=abc"))));
  const illegal = await early.next();
  assert.equal(illegal?.body.int16(), KafkaError.ILLEGAL_SASL_STATE);
  assert.ok(await early.waitClosed());

  const v0 = await RawKafkaConnection.open(broker, caPem);
  v0.write(requestFrame(ApiKey.SaslHandshake, 0, 9, (w) => w.string("PLAIN")));
  assert.equal((await v0.next())?.body.int16(), KafkaError.UNSUPPORTED_VERSION);
  assert.ok(await v0.waitClosed());

  const gssapi = await RawKafkaConnection.open(broker, caPem);
  try {
    gssapi.write(requestFrame(ApiKey.SaslHandshake, 1, 10, (w) => w.string("GSSAPI")));
    const r = await gssapi.next();
    assert.equal(r?.body.int16(), KafkaError.UNSUPPORTED_SASL_MECHANISM);
    assert.deepEqual(
      r?.body.array((x) => x.string()),
      ["SCRAM-SHA-256", "PLAIN"],
    );
    // ApiVersions stays answered before login.
    gssapi.write(requestFrame(ApiKey.ApiVersions, 0, 11));
    assert.equal((await gssapi.next())?.body.int16(), KafkaError.NONE);
  } finally {
    gssapi.destroy();
  }
});


test("kcat with SASL_SSL and SCRAM-SHA-256 lists brokers and the topic", { timeout: 60_000 }, async () => {
  const out = await kcat([
    "-b",
    cluster.kafkaBrokers()[0]!,
    "-X",
    "security.protocol=SASL_SSL",
    "-X",
    "sasl.mechanisms=SCRAM-SHA-256",
    "-X",
    `sasl.username=${ADMIN.username}`,
    "-X",
    `sasl.password=${ADMIN.password}`,
    "-X",
    `ssl.ca.location=${caFile}`,
    "-L",
    "-J",
    "-m",
    "15",
  ]);
  const md = JSON.parse(out) as { brokers: { id: number; name: string }[]; topics: { topic: string; partitions: unknown[] }[] };
  assert.deepEqual(
    md.brokers.map((b) => b.name).sort(),
    [...cluster.kafkaBrokers()].sort(),
  );
  assert.equal(md.topics.find((t) => t.topic === TOPIC)?.partitions.length, 2);
});
