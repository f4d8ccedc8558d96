/**
 * Helpers for authorization tests: ACLs built in one call, granted and
 * revoked through the SDK's Admin API (the path an operator uses), and
 * assertions that a call was refused AUTHORIZATION_FAILED or was not.
 */
import assert from "node:assert/strict";
import type { Acl, AclOperation, ResourceType } from "../../broker/protocol/acls.js";
import { ErrorCode, RlogError } from "../../broker/protocol/errors.js";
import type { Admin } from "../../client/admin/admin.js";

/** An ACL: allow, literal, unless `extra` says otherwise. The cluster's name is filled in. */
export function aclOf(principal: string, resourceType: ResourceType, name: string, operation: AclOperation, extra: Partial<Acl> = {}): Acl {
  return {
    principal,
    resourceType,
    patternType: "literal",
    name: resourceType === "cluster" ? "rlog-cluster" : name,
    operation,
    permission: "allow",
    ...extra,
  };
}

/** Create ACLs through the Admin API; resolves once the controller committed them (every broker applies them as it follows the log). */
export async function grant(admin: Admin, ...acls: Acl[]): Promise<void> {
  await admin.createAcls(acls);
}

/** Delete exactly these ACLs through the Admin API. */
export async function revoke(admin: Admin, ...acls: Acl[]): Promise<void> {
  await admin.deleteAcls(acls);
}

/** Asserts that `call` fails AUTHORIZATION_FAILED with a message matching `message`. */
export async function assertRefused(call: Promise<unknown>, message: RegExp): Promise<void> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof RlogError, `expected an RlogError, got ${String(err)}`);
    assert.equal(err.code, ErrorCode.AUTHORIZATION_FAILED, `expected AUTHORIZATION_FAILED, got ${err.codeName}: ${err.message}`);
    assert.match(err.message, message);
    return;
  }
  assert.fail(`expected AUTHORIZATION_FAILED (${String(message)}), but the call succeeded`);
}

/**
 * Asserts that `call` is not refused by authorization: it succeeds, or fails
 * with one of the codes in `otherwise` (e.g. UNKNOWN_GROUP: allowed, but
 * about nothing). Resolves with the result when it succeeded.
 */
export async function assertAllowed<T>(call: Promise<T>, otherwise: readonly string[] = []): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof RlogError && otherwise.includes(err.codeName)) return undefined;
    throw err;
  }
}
