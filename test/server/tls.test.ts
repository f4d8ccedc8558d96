/**
 * The client listener over real TLS sockets (wss://), in process: which
 * clients it accepts under each tls.clientAuth, the certificate principal a
 * session gets, the SDK's error for a broker it does not trust, and the
 * handshake timeout for a TLS handshake that never completes.
 * Certificates are made with openssl (cli/security/certificates.ts).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "ws";
import { CloseCode } from "../../broker/protocol/close-codes.js";
import { ErrorCode, RlogError } from "../../broker/protocol/errors.js";
import { decodeResponse, encodeRequest } from "../../broker/protocol/frames.js";
import { DEFAULT_LIMITS } from "../../broker/protocol/limits.js";
import { PROTOCOL_VERSION } from "../../broker/protocol/version.js";
import { ClientServer } from "../../broker/server/client-server.js";
import { readTlsFiles, type TlsMaterial } from "../../broker/transport/tls-files.js";
import { RlogClient } from "../../client/index.js";
import type { TlsClientAuth } from "../../config/index.js";
import { makeBrokerCertificate, makeCertificateAuthority, makeClientCertificate, type CertificateFiles } from "../../cli/security/certificates.js";
import { fakeHandlers } from "./fake-handlers.js";
import { captureLogger, type LogLine } from "./helpers.js";

let dir = "";
let ca: CertificateFiles;
let broker: CertificateFiles;
let alice: CertificateFiles;
/** A client certificate from a CA the broker does not trust. */
let stranger: CertificateFiles;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "rlog-tls-test-"));
  ca = await makeCertificateAuthority(dir);
  broker = await makeBrokerCertificate(ca, dir, "broker-1");
  alice = await makeClientCertificate(ca, dir, "alice", "alice");
  const otherCa = await makeCertificateAuthority(join(dir, "other"), "ca", "another CA");
  stranger = await makeClientCertificate(otherCa, join(dir, "other"), "stranger", "stranger");
});

after(() => rmSync(dir, { recursive: true, force: true }));

const pem = (f: string): Buffer => readFileSync(f);

function material(clientAuth: TlsClientAuth): TlsMaterial {
  const m = readTlsFiles({ certFile: broker.certFile, keyFile: broker.keyFile, caFile: ca.certFile, clientAuth });
  assert.ok(m !== undefined);
  return m;
}

async function startTlsServer(clientAuth: TlsClientAuth, handshakeWaitMs = 5_000): Promise<{ server: ClientServer; url: string; lines: LogLine[] }> {
  const { logger, lines } = captureLogger();
  const server = new ClientServer({ host: "127.0.0.1", port: 0, brokerId: 1, limits: DEFAULT_LIMITS, handlers: fakeHandlers().handlers, logger, closeWaitMs: 300, handshakeWaitMs, tls: material(clientAuth) });
  const { port } = await server.start();
  return { server, url: `wss://127.0.0.1:${port}`, lines };
}

type Outcome = { readonly opened: true; readonly handshake: Record<string, unknown>; readonly ws: WebSocket } | { readonly opened: false; readonly why: string; readonly closeCode?: number; readonly error?: string };

/** Open a wss connection with these TLS options and send the handshake; what happened. */
async function tryConnect(url: string, tls: { ca?: Buffer; cert?: Buffer; key?: Buffer }): Promise<Outcome> {
  const ws = new WebSocket(url, { ...tls });
  return new Promise<Outcome>((resolve) => {
    let refusal: string | undefined;
    ws.on("error", (err) => resolve({ opened: false, why: err.message }));
    ws.on("close", (code) => resolve({ opened: false, why: "closed", closeCode: code, ...(refusal === undefined ? {} : { error: refusal }) }));
    ws.on("message", (data: Buffer) => {
      const r = decodeResponse(new Uint8Array(data), DEFAULT_LIMITS.frameBytesMax);
      if (r.ok && r.id === 1) resolve({ opened: true, handshake: r.result as Record<string, unknown>, ws });
      else if (!r.ok) refusal = r.error.codeName;
    });
    ws.on("open", () => ws.send(encodeRequest(1, { op: "handshake", version: PROTOCOL_VERSION, clientId: "tls-test" }, DEFAULT_LIMITS.frameBytesMax)));
  });
}

const opened = (line: LogLine): boolean => line.msg === "connection opened";

test("an SDK client that does not trust the broker's CA gets BROKER_NOT_AVAILABLE naming the TLS failure; one that trusts it connects", { timeout: 30_000 }, async () => {
  const { server, url } = await startTlsServer("none");
  try {
    const untrusting = new RlogClient({ brokers: [url], connectTimeoutMs: 2_000, retry: { totalTimeoutMs: 1_500, retriesMax: 2, initialBackoffMs: 50 } });
    const started = Date.now();
    await assert.rejects(untrusting.connect(), (err: unknown) => {
      assert.ok(err instanceof RlogError);
      assert.equal(err.code, ErrorCode.BROKER_NOT_AVAILABLE);
      assert.match(err.message, /TLS handshake failed: certificate verify failed or refused: self[- ]signed certificate in certificate chain/);
      return true;
    });
    assert.ok(Date.now() - started < 10_000, "gave up at its deadline, not hanging");
    await untrusting.close();
    const trusting = new RlogClient({ brokers: [url], tls: { ca: pem(ca.certFile) } });
    await trusting.connect(); // handshake and metadata over wss
    await trusting.close();
  } finally {
    await server.close();
  }
});

test('clientAuth "required": no client certificate or one of another CA is refused in the TLS handshake; a CA-signed one gives the session User:<CN>', { timeout: 30_000 }, async () => {
  const { server, url, lines } = await startTlsServer("required");
  try {
    const none = await tryConnect(url, { ca: pem(ca.certFile) });
    assert.equal(none.opened, false, "no certificate");
    const foreign = await tryConnect(url, { ca: pem(ca.certFile), cert: pem(stranger.certFile), key: pem(stranger.keyFile) });
    assert.equal(foreign.opened, false, "certificate of another CA");
    assert.equal(lines.filter(opened).length, 0, "no session was made for either");
    assert.ok(lines.some((l) => l.msg === "TLS handshake failed"), "the refusals are logged");
    const ok = await tryConnect(url, { ca: pem(ca.certFile), cert: pem(alice.certFile), key: pem(alice.keyFile) });
    assert.ok(ok.opened, JSON.stringify(ok));
    assert.equal(ok.handshake["brokerId"], 1);
    const line = lines.find(opened);
    assert.equal(line?.["certificatePrincipal"], "User:alice");
    ok.ws.terminate();
  } finally {
    await server.close();
  }
});

test('clientAuth "optional": no certificate is accepted without a principal; a certificate that does not verify is refused AUTHENTICATION_FAILED', { timeout: 30_000 }, async () => {
  const { server, url, lines } = await startTlsServer("optional");
  try {
    const none = await tryConnect(url, { ca: pem(ca.certFile) });
    assert.ok(none.opened, JSON.stringify(none));
    assert.equal(lines.find(opened)?.["certificatePrincipal"], undefined);
    none.ws.terminate();
    const foreign = await tryConnect(url, { ca: pem(ca.certFile), cert: pem(stranger.certFile), key: pem(stranger.keyFile) });
    assert.equal(foreign.opened, false);
    if (!foreign.opened) {
      assert.equal(foreign.closeCode, CloseCode.AuthenticationFailed);
      assert.equal(foreign.error, "AUTHENTICATION_FAILED");
    }
    const ok = await tryConnect(url, { ca: pem(ca.certFile), cert: pem(alice.certFile), key: pem(alice.keyFile) });
    assert.ok(ok.opened);
    assert.ok(lines.some((l) => opened(l) && l["certificatePrincipal"] === "User:alice"));
    ok.ws.terminate();
  } finally {
    await server.close();
  }
});

test("a TLS handshake that never completes is cut after handshakeWaitMs", { timeout: 30_000 }, async () => {
  const handshakeWaitMs = 400;
  const { server, url } = await startTlsServer("none", handshakeWaitMs);
  try {
    const port = Number(new URL(url).port);
    const started = Date.now();
    const closedAfterMs = await new Promise<number>((resolve, reject) => {
      const socket = tcpConnect(port, "127.0.0.1"); // says nothing: no ClientHello
      socket.on("error", () => undefined);
      socket.on("close", () => resolve(Date.now() - started));
      setTimeout(() => reject(new Error("the silent connection was not cut")), 10_000).unref();
    });
    assert.ok(closedAfterMs >= handshakeWaitMs - 50, `cut after ${closedAfterMs} ms`);
  } finally {
    await server.close();
  }
});

test("TLS files that cannot be read stop the start with an error naming the key and the file", () => {
  const missing = join(dir, "nope.pem");
  assert.throws(() => readTlsFiles({ certFile: missing, keyFile: broker.keyFile, caFile: null, clientAuth: "none" }), new RegExp(`tls.certFile: cannot read ${missing} \\(ENOENT\\)$`));
  assert.throws(() => readTlsFiles({ certFile: broker.certFile, keyFile: alice.keyFile, caFile: null, clientAuth: "none" }), /tls.certFile, tls.keyFile, tls.caFile: TLS files unusable \(.*alice-key.pem\)/);
  assert.equal(readTlsFiles({ certFile: null, keyFile: null, caFile: null, clientAuth: "none" }), undefined);
});
