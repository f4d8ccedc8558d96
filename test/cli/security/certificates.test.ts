/** Certificates made with the openssl CLI: what they are valid for, and the error without openssl. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CliError } from "../../../cli/errors.js";
import { makeBrokerCertificate, makeCertificateAuthority, makeClientCertificate } from "../../../cli/security/certificates.js";

test("a CA, a broker certificate for 127.0.0.1, localhost and its hosts, and a client certificate with its CN", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "rlog-certs-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ca = await makeCertificateAuthority(dir);
  const broker = await makeBrokerCertificate(ca, dir, "broker-2", ["10.0.0.5", "b2.example"]);
  const only = await makeBrokerCertificate(ca, dir, "broker-3", ["127.0.0.3"], false);
  const client = await makeClientCertificate(ca, dir, "alice", "alice");
  const caCert = new X509Certificate(readFileSync(ca.certFile));
  assert.ok(caCert.ca);
  const b = new X509Certificate(readFileSync(broker.certFile));
  assert.ok(b.verify(caCert.publicKey), "signed by the CA");
  assert.equal(b.subject, "CN=broker-2");
  for (const ip of ["127.0.0.1", "10.0.0.5"]) assert.equal(b.checkIP(ip), ip);
  for (const host of ["localhost", "b2.example"]) assert.equal(b.checkHost(host), host);
  assert.equal(b.checkHost("b3.example"), undefined);
  const o = new X509Certificate(readFileSync(only.certFile));
  assert.equal(o.checkIP("127.0.0.3"), "127.0.0.3");
  assert.equal(o.checkIP("127.0.0.1"), undefined, "without loopback: only its own host");
  const c = new X509Certificate(readFileSync(client.certFile));
  assert.ok(c.verify(caCert.publicKey));
  assert.equal(c.subject, "CN=alice");
  assert.equal(c.checkIP("127.0.0.1"), undefined, "a client certificate names no host");
  for (const key of [ca.keyFile, broker.keyFile, client.keyFile]) assert.equal(statSync(key).mode & 0o077, 0, `${key} is private`);
});

test("without openssl: OPENSSL_MISSING, saying to install it", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "rlog-certs-test-"));
  const path = process.env["PATH"];
  t.after(() => {
    process.env["PATH"] = path;
    rmSync(dir, { recursive: true, force: true });
  });
  process.env["PATH"] = join(dir, "no-such-bin");
  await assert.rejects(makeCertificateAuthority(dir), (err: unknown) => {
    assert.ok(err instanceof CliError);
    assert.equal(err.code, "OPENSSL_MISSING");
    assert.match(err.message, /install openssl/);
    return true;
  });
});

test("a certificate name that would break the subject is refused", async () => {
  await assert.rejects(makeCertificateAuthority(tmpdir(), "ca", "evil/CN=root"), /certificate name/);
});
