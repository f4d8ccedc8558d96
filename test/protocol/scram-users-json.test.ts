/** The stored JSON form of SCRAM users (`rlog-cli user hash`, authentication.scramUsersFile). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseStoredUsers, storedUserJson } from "../../broker/protocol/scram-users-json.js";
import { scramCredential } from "../../broker/protocol/scram.js";

test("an entry round-trips through JSON", async () => {
  const c = await scramCredential("admin-password", Buffer.alloc(32, 2), 4096);
  const text = JSON.stringify([storedUserJson("admin", c)]);
  assert.doesNotMatch(text, /admin-password/);
  const [u] = parseStoredUsers(text, 256);
  assert.equal(u?.name, "admin");
  assert.deepEqual(u?.credential, { ...c, salt: Buffer.from(c.salt) });
});

test("a bad users file is refused with the entry and field named", async () => {
  const good = storedUserJson("admin", await scramCredential("pw-pw-pw", Buffer.alloc(32, 2), 4096));
  const cases: [string, RegExp][] = [
    ["{", /not JSON/],
    ["{}", /must be a JSON array/],
    ["[1]", /\[0\]: must be an object/],
    [JSON.stringify([{ ...good, name: "" }]), /\[0\]\.name: user name must not be empty/],
    [JSON.stringify([good, good]), /\[1\]\.name: user "admin" is listed twice/],
    [JSON.stringify([{ ...good, mechanism: "SCRAM-SHA-1" }]), /\[0\]\.mechanism/],
    [JSON.stringify([{ ...good, iterations: 10 }]), /\[0\]: iterations must be 4096/],
    [JSON.stringify([{ ...good, salt: "AAAA" }]), /\[0\]: salt must have 16\.\.64 bytes/],
    [JSON.stringify([{ ...good, storedKey: "AAAA" }]), /\[0\]\.storedKey: must be 32 bytes/],
    [JSON.stringify([{ ...good, serverKey: "@@@@" }]), /\[0\]\.serverKey: must be base64/],
    [JSON.stringify([{ ...good, name: "x".repeat(300) }]), /longer than 256/],
  ];
  for (const [text, reason] of cases) assert.throws(() => parseStoredUsers(text, 256), reason, text.slice(0, 60));
});
