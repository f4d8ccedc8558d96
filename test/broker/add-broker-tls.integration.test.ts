/**
 * Adding a broker with TLS on (docs/OPERATIONS.md, "Adding a broker"): three
 * brokers on 127.0.0.1..3, each with a certificate for its own address only.
 * Broker 4, registered at 127.0.0.4 with a certificate for that address, is
 * accepted by every peer and follows the metadata. Broker 5, registered at
 * 127.0.0.5 but presenting a (CA-signed) certificate for 127.0.0.6, is
 * refused by the peers: the certificate is checked against the registered host.
 * The controller snapshots every 10 entries, so broker 4 gets the metadata as
 * a snapshot (the registry in it) before the log entries after it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RlogClient } from "../../client/index.js";
import { makeBrokerCertificate, makeCertificateAuthority, type CertificateFiles } from "../../cli/security/certificates.js";
import { TestCluster, sleep } from "./cluster-harness.js";
import { WireClient } from "./wire-client.js";

const address = (id: number): string => `127.0.0.${id}`;

test("TLS on: a broker registered at its certificate's host joins; one whose certificate names another host is refused by its peers", { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "rlog-tls-add-"));
  const ca = await makeCertificateAuthority(dir);
  const certs = new Map<number, CertificateFiles>();
  for (const id of [1, 2, 3, 4]) certs.set(id, await makeBrokerCertificate(ca, dir, `broker-${id}`, [address(id)], id === 1));
  const wrong = await makeBrokerCertificate(ca, dir, "broker-5-wrong-host", [address(6)], false);
  const caPem = readFileSync(ca.certFile);
  const tlsFor = (c: CertificateFiles) => ({ certFile: c.certFile, keyFile: c.keyFile, caFile: ca.certFile, clientAuth: "optional" });
  let cluster: TestCluster | undefined;
  const sdk = (urls: string[]) => new RlogClient({ brokers: urls, tls: { ca: caPem } });
  try {
    cluster = await TestCluster.start({
      size: 3,
      addresses: (id) => ({ bind: address(id), advertised: address(id) }),
      tls: { configFor: (id) => tlsFor(certs.get(id)!), client: { ca: caPem } },
      extra: { raft: { electionTimeoutTicks: 30, heartbeatIntervalTicks: 5 }, controllerSnapshotEntries: 10 },
    });
    const c = cluster;
    const admin = sdk(c.urls());
    try {
      await admin.admin().createTopic({ name: "before", partitions: 1, replicationFactor: 3 });
      for (let i = 0; i < 12; i++) await admin.admin().createTopic({ name: `filler-${i}`, partitions: 1, replicationFactor: 1 });
      const b4 = await c.addMember(4, { tls: tlsFor(certs.get(4)!) }, address(4));
      await admin.admin().registerBroker({ id: 4, host: address(4), clientPort: b4.clientPort, peerPort: b4.peerPort });
      await c.startNew(4);
      const deadline = Date.now() + 30_000;
      for (;;) {
        const wire = await WireClient.connect(c.url(4), undefined, { ca: caPem });
        const md = await wire.request("metadata", { op: "metadata" });
        wire.close();
        if (md.topics.some((t) => t.name === "before")) {
          assert.ok(md.brokers.some((b) => b.brokerId === 4 && b.clientUrl === `wss://${address(4)}:${b4.clientPort}`), JSON.stringify(md.brokers));
          break;
        }
        assert.ok(Date.now() < deadline, "broker 4 did not apply the metadata over TLS");
        await sleep(100);
      }

      assert.match(readFileSync(c.member(4).logFile, "utf8"), /"group":"__controller".*installed snapshot from the leader/, "broker 4 got the metadata as a snapshot");

      const b5 = await c.addMember(5, { tls: tlsFor(wrong) }, address(5));
      await admin.admin().registerBroker({ id: 5, host: address(5), clientPort: b5.clientPort, peerPort: b5.peerPort });
      await c.startNew(5, false);
      const refusedBy1 = Date.now() + 30_000;
      const refused5 = (): boolean =>
        readFileSync(c.member(1).logFile, "utf8")
          .split("\n")
          .some((l) => l.includes('"claimedBrokerId":5') && l.includes("peer refused: certificate does not match the claimed broker id"));
      while (!refused5()) {
        assert.ok(Date.now() < refusedBy1, `broker 1 did not refuse broker 5:\n${c.logTail(1)}`);
        await sleep(200);
      }
      // Broker 4 applied the registration of 5 (after its snapshot): it names 5 to its clients.
      const brokersOn4 = async (): Promise<number[]> => {
        const wire = await WireClient.connect(c.url(4), undefined, { ca: caPem });
        const md4 = await wire.request("metadata", { op: "metadata" });
        wire.close();
        return md4.brokers.map((b) => b.brokerId);
      };
      const named = Date.now() + 10_000;
      while ((await brokersOn4()).join() !== "1,2,3,4,5") {
        assert.ok(Date.now() < named, `broker 4 names ${(await brokersOn4()).join(",")}`);
        await sleep(100);
      }
      const listed = await admin.admin().listBrokers();
      assert.deepEqual(
        listed.brokers.map((b) => [b.brokerId, b.live]),
        [
          [1, true],
          [2, true],
          [3, true],
          [4, true],
          [5, false],
        ],
      );
    } finally {
      await admin.close();
    }
  } finally {
    await cluster?.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
});
