// The Kafka listener's SASL mechanisms (broker/kafka/sasl-exchange.ts): which are offered,
// PLAIN checked against stored SCRAM credentials, and SCRAM with librdkafka's client-final nonce.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KafkaConnectionAuth } from "../../broker/kafka/kafka-api.js";
import { SASL_PLAIN, enabledMechanisms, startExchange, stepExchange } from "../../broker/kafka/sasl-exchange.js";
import { buildClientFinal, credentialFromSaltedPassword, saltedPasswordSync, type ScramCredential } from "../../broker/protocol/scram.js";
import { BAD_CREDENTIALS, ScramServerExchange } from "../../broker/security/scram-server.js";

const SALT = Buffer.alloc(32, 3);
const ITERATIONS = 4096;
const SALTED = saltedPasswordSync("pencil", SALT, ITERATIONS);
const USER: ScramCredential = credentialFromSaltedPassword(SALTED, SALT, ITERATIONS);

function auth(options: { required?: boolean; tls?: boolean } = {}): KafkaConnectionAuth {
  return {
    required: options.required ?? true,
    tls: options.tls ?? true,
    mechanism: undefined,
    exchange: undefined,
    principal: undefined,
    lookupUser: (name) => (name === "user" ? USER : undefined),
    failureDelayMs: 0,
    fakeSaltKey: Buffer.alloc(32, 9),
  };
}

const plainMessage = (authzid: string, user: string, password: string): Buffer => Buffer.from(`${authzid}\u0000${user}\u0000${password}`);

test("SCRAM-SHA-256 always when authentication is on, PLAIN only on TLS, nothing when it is off", () => {
  assert.deepEqual(enabledMechanisms(auth({ tls: true })), ["SCRAM-SHA-256", "PLAIN"]);
  assert.deepEqual(enabledMechanisms(auth({ tls: false })), ["SCRAM-SHA-256"]);
  assert.deepEqual(enabledMechanisms(auth({ required: false })), []);
});

test("PLAIN: the right password logs in; a wrong one and an unknown user fail alike; malformed messages fail", async () => {
  const a = auth();
  const ok = await stepExchange(startExchange(SASL_PLAIN, a), plainMessage("", "user", "pencil"), a);
  assert.equal(ok.kind, "done");
  assert.equal(ok.kind === "done" ? ok.username : "", "user");
  assert.equal((await stepExchange(startExchange(SASL_PLAIN, a), plainMessage("user", "user", "pencil"), a)).kind, "done", "authzid = authcid is fine");

  const wrong = await stepExchange(startExchange(SASL_PLAIN, a), plainMessage("", "user", "pen"), a);
  const unknown = await stepExchange(startExchange(SASL_PLAIN, a), plainMessage("", "nobody", "pencil"), a);
  assert.deepEqual([wrong.kind, unknown.kind], ["failed", "failed"]);
  assert.equal(wrong.kind === "failed" ? wrong.reason : "", BAD_CREDENTIALS);
  assert.equal(unknown.kind === "failed" ? unknown.reason : "", BAD_CREDENTIALS);
  assert.equal(wrong.kind === "failed" ? wrong.userKnown : undefined, true);
  assert.equal(unknown.kind === "failed" ? unknown.userKnown : undefined, false);

  for (const bad of [Buffer.from("user\u0000pencil"), plainMessage("", "", "pencil"), plainMessage("", "user", ""), plainMessage("other", "user", "pencil"), Buffer.from([0x00, 0xff, 0x00, 0x61])]) {
    assert.equal((await stepExchange(startExchange(SASL_PLAIN, a), bad, a)).kind, "failed", JSON.stringify(bad.toString()));
  }
});

test("SCRAM over the Kafka listener: a full exchange logs in; librdkafka's repeated client nonce is accepted only there", async () => {
  const a = auth();
  const clientNonce = "kafkaClientNonce";
  const clientFirstBare = `n=user,r=${clientNonce}`;
  const run = async (nonceOf: (full: string) => string): Promise<string> => {
    const exchange = startExchange("SCRAM-SHA-256", a);
    const first = await stepExchange(exchange, Buffer.from(`n,,${clientFirstBare}`), a);
    assert.equal(first.kind, "continue");
    const serverFirst = first.kind === "continue" ? Buffer.from(first.message).toString() : "";
    const full = /^r=([^,]+)/.exec(serverFirst)![1]!;
    const final = buildClientFinal(nonceOf(full), SALTED, clientFirstBare, serverFirst).message;
    return (await stepExchange(exchange, Buffer.from(final), a)).kind;
  };
  assert.equal(await run((full) => full), "done", "RFC 5802 nonce");
  assert.equal(await run((full) => clientNonce + full), "done", "librdkafka's client nonce + full nonce");
  assert.equal(await run((full) => full + "x"), "failed");
  assert.equal(await run((full) => "x" + full), "failed");

  // The WebSocket listener's exchange keeps RFC 5802's exact check.
  const ws = new ScramServerExchange({ lookup: () => USER, serverNonce: () => "serverpart", fakeSaltKey: Buffer.alloc(32) });
  const serverFirst = Buffer.from((ws.onClientFirst(Buffer.from(`n,,${clientFirstBare}`)) as { message: Uint8Array }).message).toString();
  const full = /^r=([^,]+)/.exec(serverFirst)![1]!;
  assert.equal(ws.onClientFinal(Buffer.from(buildClientFinal(clientNonce + full, SALTED, clientFirstBare, serverFirst).message)).ok, false);
});
