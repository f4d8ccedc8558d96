/**
 * What `rlog-cli acl add|remove|list` do once their arguments are parsed: one
 * admin call each, printed as a table (or JSON).
 */
import type { Acl } from "../../client/index.js";
import { aclFilters, aclsToAdd, type AclFlags } from "../acl/acl-args.js";
import { formatTable } from "../table.js";
import { explain, openClient } from "../session.js";

/** Parsed arguments of an acl subcommand. */
export interface AclArgs extends AclFlags {
  readonly brokers: string;
  readonly json: boolean;
}

function print(acls: readonly Acl[], json: boolean, empty: string): void {
  if (json) {
    process.stdout.write(JSON.stringify(acls) + "\n");
  } else if (acls.length === 0) {
    process.stderr.write(empty + "\n");
  } else {
    const rows = acls.map((a) => [a.principal, a.permission, a.operation, a.resourceType, a.patternType, a.name]);
    process.stdout.write(formatTable(["PRINCIPAL", "PERMISSION", "OPERATION", "RESOURCE", "PATTERN", "NAME"], rows));
  }
}

/** Create the ACLs the flags name and print the ones that were new. */
export async function addAcls(args: AclArgs): Promise<void> {
  const acls = aclsToAdd(args);
  const { client, brokers } = await openClient(args.brokers);
  try {
    const created = await client.admin().createAcls(acls);
    print(created, args.json, "nothing new: every ACL named was already held");
  } catch (err) {
    throw explain(err, { brokers });
  } finally {
    await client.close();
  }
}

/** Remove the ACLs matching the flags and print them. */
export async function removeAcls(args: AclArgs): Promise<void> {
  const filters = aclFilters(args, true);
  const { client, brokers } = await openClient(args.brokers);
  try {
    const deleted = await client.admin().deleteAcls(filters);
    print(deleted, args.json, "no ACL matched: nothing removed");
  } catch (err) {
    throw explain(err, { brokers });
  } finally {
    await client.close();
  }
}

/** Print the ACLs matching the flags (every ACL without flags). */
export async function listAcls(args: AclArgs): Promise<void> {
  const filters = aclFilters(args, false);
  const { client, brokers } = await openClient(args.brokers);
  try {
    const found = new Map<string, Acl>();
    for (const f of filters) for (const acl of await client.admin().listAcls(f)) found.set(JSON.stringify(acl), acl);
    print([...found.values()], args.json, "no ACLs");
  } catch (err) {
    throw explain(err, { brokers });
  } finally {
    await client.close();
  }
}
