/**
 * The admin listener follows the `tls` config group: with TLS on it is
 * HTTPS with the broker's certificate (a plain HTTP request gets no answer);
 * and with metrics.enabled false /metrics is 404 while /health and /ready
 * still answer. One real broker process.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeBrokerCertificate, makeCertificateAuthority } from "../../cli/security/certificates.js";
import { CONSOLE_FILES } from "../../broker/admin/console-files.js";
import { freePorts, sleep, TestCluster } from "../broker/cluster-harness.js";

function get(secure: boolean, port: number, path: string, ca?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const options = { host: "127.0.0.1", port, path, agent: false, ...(ca === undefined ? {} : { ca }) };
    const done = (res: import("node:http").IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    };
    const req = secure ? httpsRequest(options, done) : httpRequest(options, done);
    req.setTimeout(5_000, () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

test("admin listener over TLS with the broker's certificate; metrics off answers /metrics 404", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "rlog-admin-tls-"));
  const ca = await makeCertificateAuthority(dir);
  const cert = await makeBrokerCertificate(ca, dir, "broker-1", ["127.0.0.1"], true);
  const caPem = readFileSync(ca.certFile);
  const [adminPort] = await freePorts(1);
  const cluster = await TestCluster.start({
    size: 1,
    tls: { configFor: () => ({ certFile: cert.certFile, keyFile: cert.keyFile, caFile: ca.certFile, clientAuth: "none" }), client: { ca: caPem } },
    extra: { adminPort, metrics: { enabled: false } },
  });
  try {
    const health = await get(true, adminPort!, "/health", caPem);
    assert.equal(health.status, 200);
    assert.equal((JSON.parse(health.body) as { brokerId: number }).brokerId, 1);
    // Ready once the single broker leads its internal partitions.
    const deadline = Date.now() + 20_000;
    let ready = await get(true, adminPort!, "/ready", caPem);
    while (ready.status !== 200 && Date.now() < deadline) {
      await sleep(50);
      ready = await get(true, adminPort!, "/ready", caPem);
    }
    assert.equal(ready.status, 200, ready.body);
    const metrics = await get(true, adminPort!, "/metrics", caPem);
    assert.equal(metrics.status, 404);
    assert.deepEqual((JSON.parse(metrics.body) as { paths: string[] }).paths, ["/health", "/ready", "/console/config.json", ...CONSOLE_FILES.keys()], "no /metrics; the console is still served");
    // Plain HTTP to the TLS listener: no HTTP answer.
    await assert.rejects(get(false, adminPort!, "/health"));
    // A client that does not trust the CA is refused in the handshake.
    await assert.rejects(get(true, adminPort!, "/health"), /self-signed|unable to verify|certificate/);
  } finally {
    await cluster.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
});
