/**
 * The admin listener's authentication (broker/admin/admin-auth.ts): HTTP
 * Basic parsing fed strings, the check of a password against a real stored
 * SCRAM credential (real PBKDF2), its bounded cache, and the gate on a real
 * AdminServer over a socket: 401 with the challenge after the failure
 * delay, 403 without DESCRIBE on the cluster, 200 otherwise.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { pino } from "pino";
import {
  ADMIN_AUTHORIZATION_CHARS_MAX,
  BASIC_CHALLENGE,
  BasicVerifier,
  adminGate,
  parseBasicAuthorization,
} from "../../broker/admin/admin-auth.js";
import { AdminServer, jsonResponse } from "../../broker/admin/admin-server.js";
import { scramCredential, type ScramCredential } from "../../broker/protocol/scram.js";

const basic = (userPassword: string): string => `Basic ${Buffer.from(userPassword, "utf8").toString("base64")}`;
const SILENT = pino({ level: "silent" });

test("parseBasicAuthorization: absent, well-formed (any scheme case, UTF-8, ':' in the password)", () => {
  assert.deepEqual(parseBasicAuthorization(undefined), { kind: "absent" });
  assert.deepEqual(parseBasicAuthorization(""), { kind: "absent" });
  assert.deepEqual(parseBasicAuthorization(basic("alice:secret")), { kind: "basic", username: "alice", password: "secret" });
  assert.deepEqual(parseBasicAuthorization(`bAsIc   ${Buffer.from("ålice:pä:ss").toString("base64")}`), { kind: "basic", username: "ålice", password: "pä:ss" });
});

test("parseBasicAuthorization: malformed headers are refused with a reason, never thrown", () => {
  const cases: Record<string, RegExp> = {
    "Bearer abc": /not Basic/,
    Basic: /not Basic/,
    "Basic a b": /not Basic/,
    "Basic !!!!": /not base64/,
    "Basic abc": /not base64/,
    [`Basic ${Buffer.from([0xff, 0xfe, 0x3a, 0x41]).toString("base64")}`]: /not UTF-8/,
    [basic("alice")]: /no ':'/,
    [basic(":secret")]: /need a user and a password/,
    [basic("alice:")]: /need a user and a password/,
    [basic("al\u0001ice:secret")]: /control character/,
    [`Basic ${"A".repeat(ADMIN_AUTHORIZATION_CHARS_MAX)}`]: /longer than/,
  };
  for (const [header, reason] of Object.entries(cases)) {
    const got = parseBasicAuthorization(header);
    assert.equal(got.kind, "malformed", header.slice(0, 40));
    assert.match(got.kind === "malformed" ? got.reason : "", reason, header.slice(0, 40));
  }
});

async function users(): Promise<Map<string, ScramCredential>> {
  return new Map([
    ["alice", await scramCredential("alice-password", new Uint8Array(32).fill(1), 4096)],
    ["bob", await scramCredential("bob-password", new Uint8Array(32).fill(2), 4096)],
  ]);
}

test("BasicVerifier: right password, wrong password, unknown user; successes are cached, failures never", async () => {
  const known = await users();
  let nowMs = 0;
  const v = new BasicVerifier({ lookup: (n) => known.get(n), secretKey: new Uint8Array(32).fill(9), monotonicMs: () => nowMs, cacheEntriesMax: 2, cacheTtlMs: 1_000 });
  assert.equal(await v.verify("alice", "alice-password"), true);
  assert.equal(v.derivationsCount, 1);
  assert.equal(await v.verify("alice", "alice-password"), true, "cache hit");
  assert.equal(v.derivationsCount, 1, "a cache hit runs no PBKDF2");
  assert.equal(await v.verify("alice", "wrong"), false);
  assert.equal(await v.verify("alice", "wrong"), false);
  assert.equal(v.derivationsCount, 3, "every wrong password costs a derivation");
  assert.equal(await v.verify("mallory", "alice-password"), false, "unknown user");
  assert.equal(v.derivationsCount, 4, "an unknown user costs a derivation too");
  assert.equal(v.cachedCount, 1);
  // The bound: a third success evicts the oldest.
  assert.equal(await v.verify("bob", "bob-password"), true);
  assert.equal(await v.verify("alice", "alice-password"), true);
  assert.equal(v.cachedCount, 2);
  known.set("carol", await scramCredential("carol-password", new Uint8Array(32).fill(3), 4096));
  assert.equal(await v.verify("carol", "carol-password"), true);
  assert.equal(v.cachedCount, 2, "at most cacheEntriesMax entries");
  const before = v.derivationsCount;
  assert.equal(await v.verify("alice", "alice-password"), true);
  assert.equal(v.derivationsCount, before, "alice (newer than bob) stayed cached");
  assert.equal(await v.verify("bob", "bob-password"), true);
  assert.equal(v.derivationsCount, before + 1, "bob was evicted");
  // Expiry, and a changed password misses at once.
  nowMs = 5_000;
  assert.equal(await v.verify("alice", "alice-password"), true);
  assert.equal(v.derivationsCount, before + 2, "an expired entry is checked again");
  known.set("alice", await scramCredential("new-password", new Uint8Array(32).fill(4), 4096));
  assert.equal(await v.verify("alice", "alice-password"), false, "the old password no longer passes, cached or not");
  assert.equal(await v.verify("alice", "new-password"), true);
  known.delete("alice");
  assert.equal(await v.verify("alice", "new-password"), false, "a deleted user no longer passes");
});

interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  readonly tookMs: number;
}

function get(port: number, path: string, authorization?: string): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const headers = authorization === undefined ? {} : { authorization };
    const req = request({ host: "127.0.0.1", port, path, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"), tookMs: performance.now() - started }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

test("the gate on a real AdminServer: 401 with the challenge after the delay, 403 without describe on the cluster, 200 otherwise; /health stays open", async () => {
  const known = await users();
  const failureDelayMs = 300;
  const allowedPrincipals = new Set(["User:alice"]);
  const server = new AdminServer({
    host: "127.0.0.1",
    port: 0,
    connectionsMax: 8,
    idleMs: 5_000,
    logger: SILENT,
    routes: new Map([
      ["/metrics", () => ({ status: 200, contentType: "text/plain", body: "rlog_up 1\n" })],
      ["/health", () => jsonResponse(200, { status: "ok" })],
    ]),
    guard: {
      paths: new Set(["/metrics"]),
      gate: adminGate({
        mechanism: "scram",
        failureDelayMs,
        tls: false,
        verifier: new BasicVerifier({ lookup: (n) => known.get(n), secretKey: new Uint8Array(32).fill(9), monotonicMs: () => performance.now() }),
        authorizationEnabled: true,
        authorizer: () => ({ allowed: (principal, type, name, operation) => type === "cluster" && name === "rlog-cluster" && operation === "describe" && allowedPrincipals.has(principal) }),
        logger: SILENT,
      }),
    },
  });
  const { port } = await server.start();
  try {
    const health = await get(port, "/health");
    assert.equal(health.status, 200);
    for (const authorization of [undefined, basic("alice:bad-guess"), basic("nobody:alice-password"), "Basic !!", `Basic ${"A".repeat(ADMIN_AUTHORIZATION_CHARS_MAX + 4)}`]) {
      const a = await get(port, "/metrics", authorization);
      assert.equal(a.status, 401, String(authorization).slice(0, 40));
      assert.equal(a.headers["www-authenticate"], BASIC_CHALLENGE);
      assert.match(String(a.headers["content-type"]), /^application\/json/);
      assert.equal((JSON.parse(a.body) as { error: string }).error, "AUTHENTICATION_FAILED");
      assert.ok(a.tookMs >= failureDelayMs - 5, `401 after the failure delay (took ${a.tookMs.toFixed(0)} ms)`);
      assert.ok(!a.body.includes("alice-password") && !a.body.includes("bad-guess"), "the password is never echoed");
    }
    const ok = await get(port, "/metrics", basic("alice:alice-password"));
    assert.equal(ok.status, 200);
    assert.equal(ok.body, "rlog_up 1\n");
    const forbidden = await get(port, "/metrics", basic("bob:bob-password"));
    assert.equal(forbidden.status, 403);
    assert.deepEqual(JSON.parse(forbidden.body), {
      error: "AUTHORIZATION_FAILED",
      message: "User:bob may not describe cluster rlog-cluster",
      principal: "User:bob",
      operation: "describe",
      resource: { type: "cluster", name: "rlog-cluster" },
    });
    assert.ok(forbidden.tookMs < failureDelayMs, "a 403 is not delayed (the login was right)");
  } finally {
    await server.close();
  }
});
