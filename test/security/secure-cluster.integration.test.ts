/**
 * Everything on at once, as a deployment runs it: three real broker processes
 * with TLS on both listeners, SCRAM-SHA-256 logins and ACLs. The admin comes
 * from the users file and is a super user; it makes two users through the
 * SDK and grants one read and the other write on one topic. Checks, over real
 * TLS sockets and real logins:
 * - a user allowed only to read a topic reads it, and cannot produce to it,
 *   create it or delete it, nor read another topic or the internal
 *   __consumer_offsets one;
 * - a user allowed only to write produces, and cannot read, create or delete;
 * - metadata and listTopics show each user only what it may describe;
 * - no credentials: AUTHENTICATION_FAILED.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scramCredential } from "../../broker/protocol/scram.js";
import { storedUserJson } from "../../broker/protocol/scram-users-json.js";
import { makeBrokerCertificate, makeCertificateAuthority } from "../../cli/security/certificates.js";
import { ErrorCode, OFFSETS_TOPIC, RlogClient, RlogError, type ConsumerRecord } from "../../client/index.js";
import { TestCluster, sleep } from "../broker/cluster-harness.js";
import { WireClient } from "../broker/wire-client.js";
import { aclOf, assertRefused, grant } from "./acl-helpers.js";

const ADMIN = { username: "admin", password: "admin-password-for-tests" };
const READER = { username: "reader", password: "reader-password" };
const WRITER = { username: "writer", password: "writer-password" };
const TOPIC = "orders";
const OTHER = "payroll";
const RECORDS = 50;
/** How long a new user or ACL may take to reach every broker's metadata (generous: 2 shared cores). */
const PROPAGATION_MS = 15_000;

let dir: string;
let cluster: TestCluster;
let caPem: Buffer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "rlog-secure-cluster-"));
  const ca = await makeCertificateAuthority(dir);
  caPem = readFileSync(ca.certFile);
  const certs = new Map<number, { certFile: string; keyFile: string }>();
  for (const id of [1, 2, 3]) certs.set(id, await makeBrokerCertificate(ca, dir, `broker-${id}`));
  const usersFile = join(dir, "users.json");
  writeFileSync(usersFile, JSON.stringify([storedUserJson(ADMIN.username, await scramCredential(ADMIN.password, Buffer.alloc(32, 5), 4096))]));
  cluster = await TestCluster.start({
    size: 3,
    tls: {
      configFor: (id) => ({ certFile: certs.get(id)!.certFile, keyFile: certs.get(id)!.keyFile, caFile: ca.certFile, clientAuth: "optional" }),
      client: { ca: caPem },
    },
    login: ADMIN,
    extra: {
      authentication: { mechanism: "scram", failureDelayMs: 50, scramUsersFile: usersFile },
      authorization: { enabled: true, superUsers: [`User:${ADMIN.username}`] },
    },
  });
});

after(async () => {
  await cluster?.stopAll();
  rmSync(dir, { recursive: true, force: true });
});

function client(login?: { username: string; password: string }): RlogClient {
  return new RlogClient({
    brokers: cluster.urls(),
    clientId: "secure-cluster-test",
    tls: { ca: caPem },
    retry: { totalTimeoutMs: 10_000 },
    ...(login === undefined ? {} : { sasl: { mechanism: "scram-sha-256" as const, ...login } }),
  });
}

/** Retry `call` while it fails with one of `codes` (a user or ACL still reaching a broker), at most PROPAGATION_MS. */
async function once<T>(call: () => Promise<T>, codes: readonly number[]): Promise<T> {
  const deadline = Date.now() + PROPAGATION_MS;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof RlogError) || !codes.includes(err.code) || Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

/** Read `count` records of partition 0 from the start. */
async function readAll(c: RlogClient, topic: string, count: number): Promise<ConsumerRecord[]> {
  const consumer = c.consumer();
  consumer.assign([{ topic, partition: 0, from: "earliest" }]);
  const out: ConsumerRecord[] = [];
  for await (const r of consumer.records()) {
    out.push(r);
    if (out.length === count) break;
  }
  return out;
}

test("TLS + SCRAM + ACLs on 3 brokers: a read-only user reads and cannot produce, create or delete; a write-only user the reverse", { timeout: 180_000 }, async () => {
  const admin = client(ADMIN);
  const reader = client(READER);
  const writer = client(WRITER);
  const anonymous = client();
  try {
    await admin.admin().createTopic({ name: TOPIC, partitions: 1, replicationFactor: 3 });
    await admin.admin().createTopic({ name: OTHER, partitions: 1, replicationFactor: 3 });
    await admin.admin().createUser(READER.username, READER.password, { iterations: 4096 });
    await admin.admin().createUser(WRITER.username, WRITER.password, { iterations: 4096 });
    await grant(admin.admin(), aclOf(`User:${READER.username}`, "topic", TOPIC, "read"), aclOf(`User:${WRITER.username}`, "topic", TOPIC, "write"));

    // No credentials at all: refused before any request.
    await assert.rejects(anonymous.admin().listTopics(), (err: unknown) => err instanceof RlogError && err.code === ErrorCode.AUTHENTICATION_FAILED);

    // The writer produces (retrying while its login or ACL reaches the broker it asks).
    const producer = writer.producer();
    const values = Array.from({ length: RECORDS }, (_, i) => `order-${i}`);
    await once(() => producer.send({ topic: TOPIC, messages: [{ value: values[0]! }] }), [ErrorCode.AUTHENTICATION_FAILED, ErrorCode.AUTHORIZATION_FAILED]);
    await producer.send({ topic: TOPIC, messages: values.slice(1).map((value) => ({ value })) });

    // The reader reads every record, and sees only its topic.
    const got = await once(() => readAll(reader, TOPIC, RECORDS), [ErrorCode.AUTHENTICATION_FAILED, ErrorCode.AUTHORIZATION_FAILED]);
    assert.deepEqual(
      got.map((r) => Buffer.from(r.value ?? []).toString()),
      values,
    );
    assert.deepEqual((await reader.admin().listTopics()).map((t) => t.name), [TOPIC]);
    assert.deepEqual((await writer.admin().listTopics()).map((t) => t.name), [TOPIC]);
    assert.deepEqual((await admin.admin().listTopics()).map((t) => t.name).sort(), [TOPIC, OTHER]);

    // Read only: no produce, no create, no delete, no internal topic.
    await assertRefused(reader.producer().send({ topic: TOPIC, messages: [{ value: "forged" }] }), /User:reader may not write (topic orders|cluster rlog-cluster nor write any topic)/);
    await assertRefused(reader.admin().createTopic({ name: TOPIC, partitions: 1, replicationFactor: 1 }), /User:reader may not create topic orders/);
    await assertRefused(reader.admin().createTopic({ name: "reader-topic", partitions: 1, replicationFactor: 1 }), /User:reader may not create topic reader-topic/);
    await assertRefused(reader.admin().deleteTopic(TOPIC), /User:reader may not delete topic orders/);
    // Topics it may not describe look unknown to the SDK (metadata is filtered); a raw fetch is refused outright.
    const wire = await WireClient.connect(cluster.url(1), READER, { ca: caPem });
    try {
      for (const topic of [OFFSETS_TOPIC, OTHER]) {
        await assertRefused(wire.request("fetch", { op: "fetch", topic, partition: 0, offset: 0, maxBytes: 1024, maxWaitMs: 0 }), new RegExp(`User:reader may not read topic ${topic}`));
      }
    } finally {
      wire.close();
    }

    // Write only: no read, no create, no delete.
    await assertRefused(readAll(writer, TOPIC, 1), /User:writer may not read topic orders/);
    await assertRefused(writer.admin().createTopic({ name: "writer-topic", partitions: 1, replicationFactor: 1 }), /User:writer may not create topic writer-topic/);
    await assertRefused(writer.admin().deleteTopic(TOPIC), /User:writer may not delete topic orders/);
    await assertRefused(writer.admin().createUser("mallory", "mallory-password", { iterations: 4096 }), /User:writer may not alter cluster/);

    // Nothing the refusals touched changed: the topic still holds exactly what was written.
    const again = await readAll(admin, TOPIC, RECORDS);
    assert.equal(again.length, RECORDS);
    assert.deepEqual((await admin.admin().listTopics()).map((t) => t.name).sort(), [TOPIC, OTHER]);
  } finally {
    await Promise.all([admin.close(), reader.close(), writer.close(), anonymous.close()]);
  }
});
