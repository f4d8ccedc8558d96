/**
 * The flags of `rlog-cli acl add|remove|list` turned into an ACL or a
 * filter, with one-line INVALID_ARGUMENT errors. Pure: the command file
 * hands it the parsed flags.
 */
import { ACL_OPERATIONS, CLUSTER_RESOURCE_NAME, PRINCIPAL_PREFIX, type Acl, type AclFilter, type AclOperation } from "../../broker/protocol/acls.js";
import { usageError } from "../options.js";

/** The ACL flags as yargs parses them. */
export interface AclFlags {
  readonly principal: string | undefined;
  readonly topic: string | undefined;
  readonly group: string | undefined;
  readonly cluster: boolean;
  readonly prefixed: boolean;
  /** One string, or several when --operation is repeated. */
  readonly operation: string | string[] | undefined;
  readonly deny: boolean;
}

function principal(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!value.startsWith(PRINCIPAL_PREFIX) || value.length === PRINCIPAL_PREFIX.length) {
    throw usageError(`--principal: a principal is "${PRINCIPAL_PREFIX}<name>" (e.g. User:alice, or User:* for everyone), got "${value}"`);
  }
  return value;
}

function operations(value: string | string[] | undefined): AclOperation[] {
  const list = value === undefined ? [] : [value].flat();
  for (const op of list) {
    if (!(ACL_OPERATIONS as readonly string[]).includes(op)) throw usageError(`--operation: one of ${ACL_OPERATIONS.join(", ")}, got "${op}"`);
  }
  return [...new Set(list)] as AclOperation[];
}

/** The resource the flags name, if any: exactly one of --topic, --group, --cluster. */
function resource(flags: AclFlags): Pick<Acl, "resourceType" | "name"> | undefined {
  const named = [flags.topic !== undefined, flags.group !== undefined, flags.cluster].filter(Boolean).length;
  if (named > 1) throw usageError("name one resource: --topic NAME, --group NAME or --cluster");
  if (flags.topic !== undefined) return { resourceType: "topic", name: flags.topic };
  if (flags.group !== undefined) return { resourceType: "group", name: flags.group };
  if (flags.cluster) {
    if (flags.prefixed) throw usageError("--prefixed does not go with --cluster: there is one cluster");
    return { resourceType: "cluster", name: CLUSTER_RESOURCE_NAME };
  }
  return undefined;
}

/** The ACLs `acl add` creates: one per --operation. */
export function aclsToAdd(flags: AclFlags): Acl[] {
  const who = principal(flags.principal);
  if (who === undefined) throw usageError("--principal is required, e.g. --principal User:alice");
  const what = resource(flags);
  if (what === undefined) throw usageError("name a resource: --topic NAME, --group NAME or --cluster");
  const ops = operations(flags.operation);
  if (ops.length === 0) throw usageError(`--operation is required: ${ACL_OPERATIONS.join(", ")}`);
  return ops.map((operation) => ({
    principal: who,
    ...what,
    patternType: flags.prefixed ? "prefixed" : "literal",
    operation,
    permission: flags.deny ? "deny" : "allow",
  }));
}

/**
 * The filters of `acl remove` and `acl list`: each given flag must match; one
 * filter per --operation. `acl remove` needs at least one flag (`required`),
 * so that a bare command cannot remove every ACL.
 */
export function aclFilters(flags: AclFlags, required: boolean): AclFilter[] {
  const who = principal(flags.principal);
  const what = resource(flags);
  const ops = operations(flags.operation);
  const base: AclFilter = {
    ...(who === undefined ? {} : { principal: who }),
    ...(what ?? {}),
    ...(flags.prefixed ? { patternType: "prefixed" as const } : what !== undefined ? { patternType: "literal" as const } : {}),
    ...(flags.deny ? { permission: "deny" as const } : {}),
  };
  if (required && Object.keys(base).length === 0 && ops.length === 0) {
    throw usageError("name what to remove: at least one of --principal, --topic, --group, --cluster, --prefixed, --operation, --deny");
  }
  return ops.length === 0 ? [base] : ops.map((operation) => ({ ...base, operation }));
}
