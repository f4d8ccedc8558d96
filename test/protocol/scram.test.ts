/**
 * SCRAM-SHA-256 (broker/protocol/scram.ts, scram-client.ts and
 * broker/security/scram-server.ts): the example exchange of RFC 7677 section
 * 3 byte for byte on both sides, and malformed messages, each refused with
 * a reason and never a throw.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  SCRAM_ITERATIONS_DEFAULT,
  SCRAM_MESSAGE_BYTES_MAX,
  SCRAM_SALT_BYTES_DEFAULT,
  credentialFromSaltedPassword,
  escapeSaslName,
  parseClientFirst,
  saltedPasswordSync,
  scramCredential,
  unescapeSaslName,
  type ScramCredential,
} from "../../broker/protocol/scram.js";
import { ScramClientExchange } from "../../broker/protocol/scram-client.js";
import { BAD_CREDENTIALS, ScramServerExchange, fakeSalt } from "../../broker/security/scram-server.js";

// RFC 7677 section 3.
const CLIENT_NONCE = "rOprNGfwEbeRWgbNEkqO";
const SERVER_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
const SALT = Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64");
const CLIENT_FIRST = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
const SERVER_FIRST = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
const CLIENT_FINAL = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
const SERVER_FINAL = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

const text = (b: Uint8Array): string => Buffer.from(b).toString("utf8");
const bytes = (s: string): Buffer => Buffer.from(s, "utf8");

const PENCIL: ScramCredential = credentialFromSaltedPassword(saltedPasswordSync("pencil", SALT, 4096), SALT, 4096);
const FAKE_KEY = Buffer.alloc(32, 9);

function server(users: ReadonlyMap<string, ScramCredential> = new Map([["user", PENCIL]]), nonce = SERVER_NONCE): ScramServerExchange {
  return new ScramServerExchange({ lookup: (n) => users.get(n), serverNonce: () => nonce, fakeSaltKey: FAKE_KEY });
}

test("RFC 7677 example, broker side: server-first and server-final byte for byte", () => {
  const s = server();
  const first = s.onClientFirst(bytes(CLIENT_FIRST));
  assert.ok(first.ok);
  assert.equal(text(first.message), SERVER_FIRST);
  const final = s.onClientFinal(bytes(CLIENT_FINAL));
  assert.ok(final.ok, final.ok ? "" : final.reason);
  assert.equal(text(final.message), SERVER_FINAL);
  assert.equal(final.username, "user");
});

test("RFC 7677 example, client side: client-first and client-final byte for byte, server signature checked", () => {
  const c = new ScramClientExchange("user", CLIENT_NONCE);
  assert.equal(text(c.first()), CLIENT_FIRST);
  const params = c.onServerFirst(bytes(SERVER_FIRST));
  assert.ok(params.ok);
  assert.deepEqual(Buffer.from(params.value.salt), SALT);
  assert.equal(params.value.iterations, 4096);
  assert.equal(text(c.final(saltedPasswordSync("pencil", params.value.salt, params.value.iterations))), CLIENT_FINAL);
  assert.deepEqual(c.onServerFinal(bytes(SERVER_FINAL)), { ok: true, value: undefined });
});

test("the client refuses a server signature made without the user's key", () => {
  const c = new ScramClientExchange("user", CLIENT_NONCE);
  c.first();
  assert.ok(c.onServerFirst(bytes(SERVER_FIRST)).ok);
  c.final(saltedPasswordSync("pencil", SALT, 4096));
  const forged = c.onServerFinal(bytes("v=" + Buffer.alloc(32, 1).toString("base64")));
  assert.equal(forged.ok, false);
  assert.match(forged.ok ? "" : forged.reason, /signature is wrong/);
});

test("the client refuses server-first messages that do not extend its nonce or ask too much work", () => {
  const cases: [string, RegExp][] = [
    [`r=someoneElse,s=${SALT.toString("base64")},i=4096`, /nonce does not extend/],
    [`r=${CLIENT_NONCE},s=${SALT.toString("base64")},i=4096`, /nonce does not extend/],
    [`r=${CLIENT_NONCE}x,s=${SALT.toString("base64")},i=4095`, /iterations must be 4096/],
    [`r=${CLIENT_NONCE}x,s=${SALT.toString("base64")},i=1000000000`, /iterations must be/],
    [`r=${CLIENT_NONCE}x,s=AAAA,i=4096`, /salt must have 16\.\.64 bytes/],
    [`r=${CLIENT_NONCE}x,s=%%%,i=4096`, /salt is not base64/],
    [`r=${CLIENT_NONCE}x,i=4096,s=${SALT.toString("base64")}`, /expected attribute s=/],
    ["e=other-error", /expected attribute r=/],
  ];
  for (const [message, reason] of cases) {
    const c = new ScramClientExchange("user", CLIENT_NONCE);
    c.first();
    const r = c.onServerFirst(bytes(message));
    assert.equal(r.ok, false, message);
    assert.match(r.ok ? "" : r.reason, reason, message);
  }
});

test("saslname escaping: , and = round trip; a stray = is refused", () => {
  assert.equal(escapeSaslName("a,b=c"), "a=2Cb=3Dc");
  assert.deepEqual(unescapeSaslName("a=2Cb=3Dc"), { ok: true, value: "a,b=c" });
  assert.equal(unescapeSaslName("a=2Db").ok, false);
  const parsed = parseClientFirst("n,,n=a=2Cb=3Dc,r=xyz");
  assert.ok(parsed.ok);
  assert.equal(parsed.value.username, "a,b=c");
  const c = new ScramClientExchange("a,b=c", "xyz");
  assert.equal(text(c.first()), "n,,n=a=2Cb=3Dc,r=xyz");
});

test("malformed client-first messages are refused with a reason, never a throw", () => {
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(0), /is empty/],
    [Buffer.alloc(SCRAM_MESSAGE_BYTES_MAX + 1, 0x61), /longer than 4096 bytes/],
    [Buffer.from([0x6e, 0x2c, 0x2c, 0xff, 0xfe]), /not valid UTF-8/],
    [bytes("p=tls-server-end-point,,n=user,r=abc"), /channel binding \(p=\) is not supported/],
    [bytes("y,,n=user,r=abc"), /gs2 flag "y" refused/],
    [bytes("q,,n=user,r=abc"), /must start with the gs2 header/],
    [bytes("n,a=admin,n=user,r=abc"), /authorization identity/],
    [bytes("n,,m=ext,n=user,r=abc"), /mandatory extensions/],
    [bytes("n,,n=us=er,r=abc"), /not =2C or =3D/],
    [bytes("n,,r=abc,n=user"), /expected attribute n=/],
    [bytes("n,,n=user"), /expected attribute r=/],
    [bytes("n,,n=user,r=abc,,"), /malformed attribute/],
    [bytes("n,,n=,r=abc"), /must not be empty/],
    [bytes("n,,n=us\u0001er,r=abc"), /control character/],
    [bytes("n,,n=user,r=ab\u007fc"), /nonce must be printable/],
    [bytes("n,,n=user,r="), /nonce must be printable/],
    [bytes("n,,n=user,r=a\u0000"), /NUL/],
  ];
  for (const [message, reason] of cases) {
    const r = server().onClientFirst(message);
    assert.equal(r.ok, false, text(message).slice(0, 40));
    assert.match(r.ok ? "" : r.reason, reason, text(message).slice(0, 40));
  }
});

test("malformed or wrong client-final messages are refused with a reason, never a throw", () => {
  const nonce = CLIENT_NONCE + SERVER_NONCE;
  const proof = "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
  const cases: [string, RegExp][] = [
    [`c=biws,r=${nonce}`, /no proof/],
    [`c=eSws,r=${nonce},p=${proof}`, /channel binding must be biws/],
    [`c=biws,r=${CLIENT_NONCE}other,p=${proof}`, /nonce is not the one of this exchange/],
    [`c=biws,r=${nonce},p=!!!!`, /proof is not base64/],
    [`c=biws,r=${nonce},p=AAAA`, /proof must have 32 bytes/],
    [`r=${nonce},c=biws,p=${proof}`, /expected attribute c=/],
    [`c=biws,r=${nonce},p=${Buffer.alloc(32, 3).toString("base64")}`, new RegExp(BAD_CREDENTIALS)],
  ];
  for (const [message, reason] of cases) {
    const s = server();
    assert.ok(s.onClientFirst(bytes(CLIENT_FIRST)).ok);
    const r = s.onClientFinal(bytes(message));
    assert.equal(r.ok, false, message);
    assert.match(r.ok ? "" : r.reason, reason, message);
  }
});

test("messages out of order fail the exchange", () => {
  const s = server();
  assert.equal(s.onClientFinal(bytes(CLIENT_FINAL)).ok, false);
  const t = server();
  assert.ok(t.onClientFirst(bytes(CLIENT_FIRST)).ok);
  assert.equal(t.onClientFirst(bytes(CLIENT_FIRST)).ok, false);
  assert.equal(t.onClientFinal(bytes(CLIENT_FINAL)).ok, false, "a failed exchange stays failed");
});

test("a replayed client-final fails: the broker's nonce differs on the next exchange", () => {
  const s = server(undefined, "anotherFreshServerNonce");
  const first = s.onClientFirst(bytes(CLIENT_FIRST));
  assert.ok(first.ok);
  // The recorded final names the old nonce; rewriting the nonce breaks the proof instead.
  const replay = s.onClientFinal(bytes(CLIENT_FINAL));
  assert.equal(replay.ok, false);
  const t = server(undefined, "anotherFreshServerNonce");
  assert.ok(t.onClientFirst(bytes(CLIENT_FIRST)).ok);
  const rewritten = t.onClientFinal(bytes(CLIENT_FINAL.replace(SERVER_NONCE, "anotherFreshServerNonce")));
  assert.equal(rewritten.ok, false);
  assert.match(rewritten.ok ? "" : rewritten.reason, new RegExp(BAD_CREDENTIALS));
});

test("an unknown user gets a stable fake salt shaped like a real one, then fails like a wrong password", async () => {
  const real = await scramCredential("secret-password", Buffer.alloc(SCRAM_SALT_BYTES_DEFAULT, 5));
  const users = new Map([["alice", real]]);
  const serverFirst = (name: string): string => {
    const r = server(users, "N").onClientFirst(bytes(`n,,n=${name},r=abc`));
    assert.ok(r.ok);
    return text(r.message);
  };
  const known = serverFirst("alice");
  const ghost = serverFirst("mallory");
  const shape = /^r=abcN,s=([A-Za-z0-9+/=]+),i=(\d+)$/;
  const [, knownSalt, knownIterations] = shape.exec(known) ?? [];
  const [, ghostSalt, ghostIterations] = shape.exec(ghost) ?? [];
  assert.equal(Buffer.from(ghostSalt ?? "", "base64").length, Buffer.from(knownSalt ?? "", "base64").length);
  assert.equal(ghostIterations, knownIterations);
  assert.equal(Number(ghostIterations), SCRAM_ITERATIONS_DEFAULT);
  assert.equal(serverFirst("mallory"), ghost, "the same salt every time for a name");
  assert.notEqual(serverFirst("mallory2"), ghost, "another name, another salt");
  assert.deepEqual(fakeSalt(FAKE_KEY, "mallory"), Buffer.from(ghostSalt ?? "", "base64"));
  assert.notDeepEqual(fakeSalt(Buffer.alloc(32, 1), "mallory"), fakeSalt(FAKE_KEY, "mallory"), "another broker key, another salt");

  // Both fail at client-final, with the same reason.
  const attempt = async (name: string): Promise<string> => {
    const c = new ScramClientExchange(name, "abc");
    const s = server(users, "N");
    const first = s.onClientFirst(c.first());
    assert.ok(first.ok);
    const params = c.onServerFirst(first.message);
    assert.ok(params.ok);
    const r = s.onClientFinal(c.final(saltedPasswordSync("wrong-password", params.value.salt, params.value.iterations)));
    assert.equal(r.ok, false);
    return r.ok ? "" : r.reason;
  };
  assert.equal(await attempt("mallory"), BAD_CREDENTIALS);
  assert.equal(await attempt("alice"), BAD_CREDENTIALS);
});

test("a credential made by scramCredential logs in through both sides", async () => {
  const credential = await scramCredential("hunter2-but-longer", Buffer.alloc(32, 4), 4096);
  assert.equal(credential.storedKey.length, 32);
  assert.equal(credential.serverKey.length, 32);
  const s = server(new Map([["bob", credential]]), "srv");
  const c = new ScramClientExchange("bob", "cli");
  const first = s.onClientFirst(c.first());
  assert.ok(first.ok);
  const params = c.onServerFirst(first.message);
  assert.ok(params.ok);
  const final = s.onClientFinal(c.final(saltedPasswordSync("hunter2-but-longer", params.value.salt, params.value.iterations)));
  assert.ok(final.ok);
  assert.ok(c.onServerFinal(final.message).ok);
  await assert.rejects(scramCredential("", Buffer.alloc(32)), /password must not be empty/);
  await assert.rejects(scramCredential("pw", Buffer.alloc(8)), /salt must have/);
  await assert.rejects(scramCredential("pw", Buffer.alloc(32), 100), /iterations must be/);
});
