/**
 * A 3-broker cluster with TLS on, over real TLS sockets between real broker
 * processes: each broker on its own loopback address (127.0.0.1, .2, .3) with
 * a certificate valid for that address only, so peer certificates prove
 * broker ids. Checks: an SDK client that does not trust the CA is refused
 * with a clear error; the peer listener refuses a dialer without a
 * certificate, and one whose (CA-signed) certificate is for another broker's
 * host than the id it claims; and the cluster replicates over mutual TLS
 * through a SIGKILLed leader, every advertised URL being wss://.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "ws";
import { CloseCode } from "../../broker/protocol/close-codes.js";
import { decodePeerFrame, encodePeerHello } from "../../broker/protocol/peer-frames.js";
import { PROTOCOL_VERSION } from "../../broker/protocol/version.js";
import { ErrorCode, RlogClient, RlogError, type ConsumerRecord } from "../../client/index.js";
import { makeBrokerCertificate, makeCertificateAuthority, makeClientCertificate, type CertificateFiles } from "../../cli/security/certificates.js";
import { newPeerNonce } from "../../broker/transport/peer-auth.js";
import { TestCluster } from "./cluster-harness.js";
import { WireClient } from "./wire-client.js";

const TOPIC = "tls-orders";
const address = (id: number): string => `127.0.0.${id}`;

test("3 brokers with TLS on: untrusted clients and impostor peers are refused; records survive a SIGKILLed leader over mutual TLS", { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "rlog-tls-cluster-"));
  const ca = await makeCertificateAuthority(dir);
  const certs = new Map<number, CertificateFiles>();
  // Broker 1 also answers on 127.0.0.1 by default; brokers 2 and 3 only on their own address.
  for (const id of [1, 2, 3]) certs.set(id, await makeBrokerCertificate(ca, dir, `broker-${id}`, [address(id)], id === 1));
  const caPem = readFileSync(ca.certFile);
  let cluster: TestCluster | undefined;
  try {
    cluster = await TestCluster.start({
      size: 3,
      addresses: (id) => ({ bind: address(id), advertised: address(id) }),
      tls: {
        configFor: (id) => ({ certFile: certs.get(id)!.certFile, keyFile: certs.get(id)!.keyFile, caFile: ca.certFile, clientAuth: "optional" }),
        client: { ca: caPem },
      },
      extra: { raft: { electionTimeoutTicks: 30, heartbeatIntervalTicks: 5 } },
    });
    const c = cluster;
    const urls = c.urls();
    assert.ok(urls.every((u) => u.startsWith("wss://")), urls.join(","));

    // 1. A client that does not trust the cluster's CA: a clear error, at its deadline, not a hang.
    const untrusting = new RlogClient({ brokers: [urls[0]!], connectTimeoutMs: 2_000, retry: { totalTimeoutMs: 2_000, initialBackoffMs: 50 } });
    await assert.rejects(untrusting.connect(), (err: unknown) => {
      assert.ok(err instanceof RlogError);
      assert.equal(err.code, ErrorCode.BROKER_NOT_AVAILABLE);
      assert.match(err.message, /TLS handshake failed/);
      return true;
    });
    await untrusting.close();

    // 2. Peers: no certificate -> refused in the TLS handshake; broker 3's certificate claiming broker 2 -> AUTHENTICATION_FAILED.
    const peerUrl = `wss://${address(1)}:${c.member(1).peerPort}`;
    const bare = await peerAttempt(peerUrl, { ca: caPem }, 2);
    assert.equal(bare.kind, "error", JSON.stringify(bare));
    const impostor = await peerAttempt(peerUrl, { ca: caPem, cert: readFileSync(certs.get(3)!.certFile), key: readFileSync(certs.get(3)!.keyFile) }, 2);
    assert.deepEqual(impostor, { kind: "refused", code: "AUTHENTICATION_FAILED", closeCode: CloseCode.AuthenticationFailed });
    // A client certificate of the same CA (no host at all) claiming broker 2: refused the same way.
    const client = await makeClientCertificate(ca, dir, "someone", address(2));
    const clientCert = await peerAttempt(peerUrl, { ca: caPem, cert: readFileSync(client.certFile), key: readFileSync(client.keyFile) }, 2);
    assert.deepEqual(clientCert, { kind: "refused", code: "AUTHENTICATION_FAILED", closeCode: CloseCode.AuthenticationFailed });
    assert.match(readFileSync(c.member(1).logFile, "utf8"), /peer refused: certificate does not match the claimed broker id/);

    // 3. Replication over mutual TLS through a SIGKILLed leader.
    const sdk = new RlogClient({ brokers: [urls[0]!], tls: { ca: caPem } });
    await sdk.admin().createTopic({ name: TOPIC, partitions: 1, replicationFactor: 3 });
    const producer = sdk.producer();
    await producer.send({ topic: TOPIC, messages: Array.from({ length: 200 }, (_, i) => ({ value: `r${i}` })) });
    await producer.close();
    await sdk.close();
    const wire = await WireClient.connect(urls[0]!, undefined, { ca: caPem });
    const md = await wire.request("metadata", { op: "metadata", topics: [TOPIC] });
    wire.close();
    assert.ok(md.brokers.every((b) => b.clientUrl.startsWith("wss://")), "metadata advertises wss:// URLs");
    const leader = md.topics[0]!.partitions[0]!.leader;
    assert.ok(leader > 0);
    await c.kill(leader);
    const survivor = [1, 2, 3].find((id) => id !== leader)!;
    const after = new RlogClient({ brokers: [c.url(survivor)], tls: { ca: caPem } });
    try {
      const more = after.producer();
      await more.send({ topic: TOPIC, messages: Array.from({ length: 50 }, (_, i) => ({ value: `r${200 + i}` })) });
      await more.close();
      const consumer = after.consumer();
      consumer.assign([{ topic: TOPIC, partition: 0, from: "earliest" }]);
      const seen: ConsumerRecord[] = [];
      for await (const record of consumer.records()) {
        seen.push(record);
        if (seen.length === 250) break;
      }
      assert.deepEqual(seen.map((r) => r.value?.toString()), Array.from({ length: 250 }, (_, i) => `r${i}`));
      assert.deepEqual(seen.map((r) => r.offset), Array.from({ length: 250 }, (_, i) => i));
    } finally {
      await after.close();
    }
  } finally {
    await cluster?.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
});

type PeerOutcome = { kind: "error"; message: string } | { kind: "refused"; code: string; closeCode: number } | { kind: "accepted" } | { kind: "closed"; closeCode: number };

/** Dial a peer listener with these TLS options and send a hello claiming `brokerId`; what came back. */
function peerAttempt(url: string, tls: { ca: Buffer; cert?: Buffer; key?: Buffer }, brokerId: number): Promise<PeerOutcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { ...tls });
    let code: string | undefined;
    const timer = setTimeout(() => {
      ws.terminate();
      resolve({ kind: "error", message: "no answer within 10 s" });
    }, 10_000);
    const done = (outcome: PeerOutcome): void => {
      clearTimeout(timer);
      resolve(outcome);
    };
    ws.on("error", (err) => done({ kind: "error", message: err.message }));
    // A well-formed hello to broker 1; the listener checks the certificate against the claimed id before its challenge.
    ws.on("open", () => ws.send(encodePeerHello(1, { version: PROTOCOL_VERSION, brokerId, to: 1, nonce: newPeerNonce() })));
    ws.on("message", (data: Buffer) => {
      const frame = decodePeerFrame(new Uint8Array(data), 1 << 20);
      if (frame.ok && frame.value.kind === "error") code = frame.value.error.codeName;
      else if (frame.ok && frame.value.kind === "helloOk") {
        ws.terminate();
        done({ kind: "accepted" });
      }
    });
    ws.on("close", (closeCode) => done(code === undefined ? { kind: "closed", closeCode } : { kind: "refused", code, closeCode }));
  });
}
