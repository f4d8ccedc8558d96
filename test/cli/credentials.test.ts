/** The CLI's login credentials (cli/credentials.ts): both or neither. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { connectionCredentials, setConnectionCredentials } from "../../cli/credentials.js";
import { CliError } from "../../cli/errors.js";

test("a user name and a password make SCRAM credentials; neither makes none", () => {
  setConnectionCredentials("alice", "pw");
  assert.deepEqual(connectionCredentials(), { mechanism: "scram-sha-256", username: "alice", password: "pw" });
  setConnectionCredentials(undefined, "");
  assert.equal(connectionCredentials(), undefined);
});

test("one without the other is a command-line mistake (INVALID_ARGUMENT, exit status 2)", () => {
  for (const [user, pass, message] of [
    ["alice", undefined, /user alice needs a password/],
    [undefined, "pw", /a password needs a user name/],
  ] as const) {
    assert.throws(
      () => setConnectionCredentials(user, pass),
      (err: unknown) => err instanceof CliError && err.code === "INVALID_ARGUMENT" && message.test(err.message),
    );
  }
});
