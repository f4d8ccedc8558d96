/**
 * Access control lists as they travel on the wire and sit in controller
 * metadata, shaped like Kafka's AclBinding: a principal, a resource pattern
 * (type, literal or prefixed name), an operation and allow or deny.
 *
 * The matching rules live in broker/security/acl.ts; this file holds only the
 * shapes, their value lists and the checks that client, CLI and broker share.
 * The string values below are wire and stored values: never rename one.
 */

/** Resource types an ACL can name. */
export const RESOURCE_TYPES = ["topic", "group", "cluster"] as const;
/** A resource type. */
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** How an ACL's name matches a resource name. */
export const PATTERN_TYPES = ["literal", "prefixed"] as const;
/** A pattern type: "literal" (the exact name, or "*" for every name) or "prefixed" (names starting with it). */
export type PatternType = (typeof PATTERN_TYPES)[number];

/** Operations an ACL can allow or deny; "all" covers every one. */
export const ACL_OPERATIONS = ["read", "write", "create", "delete", "describe", "alter", "all"] as const;
/** An ACL operation. */
export type AclOperation = (typeof ACL_OPERATIONS)[number];
/** An operation a request needs: any ACL operation but "all". */
export type Operation = Exclude<AclOperation, "all">;

/** Whether an ACL allows or denies. */
export const PERMISSIONS = ["allow", "deny"] as const;
/** allow or deny. */
export type Permission = (typeof PERMISSIONS)[number];

/** The one cluster resource's name (Kafka's "kafka-cluster"). */
export const CLUSTER_RESOURCE_NAME = "rlog-cluster";
/** A literal name that matches every name of its resource type. */
export const WILDCARD_NAME = "*";
/** A principal that matches every principal. */
export const WILDCARD_PRINCIPAL = "User:*";
/** Every principal string starts with this (Kafka's principal type "User"). */
export const PRINCIPAL_PREFIX = "User:";
/** The principal of a connection that has not authenticated (authentication off). */
export const ANONYMOUS_PRINCIPAL = "User:ANONYMOUS";

/** One ACL (Kafka's AclBinding). */
export interface Acl {
  /** "User:<name>", or "User:*" for every principal. */
  readonly principal: string;
  readonly resourceType: ResourceType;
  readonly patternType: PatternType;
  /**
   * The resource name: literal ("*" for every name of the type) or a prefix.
   * A cluster ACL names "rlog-cluster" (or "*").
   */
  readonly name: string;
  readonly operation: AclOperation;
  readonly permission: Permission;
}

/**
 * Which ACLs to list or delete (Kafka's AclBindingFilter): each present field
 * must equal the ACL's; an absent field matches any value. The empty filter
 * matches every ACL. Fields compare exactly: a filter's name "*" matches only
 * ACLs whose name is "*".
 */
export type AclFilter = Partial<Acl>;

/**
 * What is wrong with a principal string (it must be "User:" and 1 ..
 * nameLengthMax more characters), for an error message; undefined when it is one.
 */
export function principalProblem(value: string, nameLengthMax: number): string | undefined {
  if (!value.startsWith(PRINCIPAL_PREFIX)) return `a principal is "${PRINCIPAL_PREFIX}<name>", e.g. "User:alice"`;
  const n = value.length - PRINCIPAL_PREFIX.length;
  if (n < 1 || n > nameLengthMax) return `a principal's name after "${PRINCIPAL_PREFIX}" has 1 .. ${nameLengthMax} characters, got ${n}`;
  return undefined;
}

/** Whether an ACL matches a filter (every field the filter has is equal). */
export function aclMatchesFilter(acl: Acl, filter: AclFilter): boolean {
  return (
    (filter.principal === undefined || filter.principal === acl.principal) &&
    (filter.resourceType === undefined || filter.resourceType === acl.resourceType) &&
    (filter.patternType === undefined || filter.patternType === acl.patternType) &&
    (filter.name === undefined || filter.name === acl.name) &&
    (filter.operation === undefined || filter.operation === acl.operation) &&
    (filter.permission === undefined || filter.permission === acl.permission)
  );
}

/** A stable key of an ACL: two ACLs are the same ACL when their keys are equal. */
export function aclKey(acl: Acl): string {
  return JSON.stringify([acl.principal, acl.resourceType, acl.patternType, acl.name, acl.operation, acl.permission]);
}

/** One line for humans: "allow User:alice read topic orders*" (a prefixed name ends with "*"). */
export function formatAcl(acl: Acl): string {
  const name = acl.patternType === "prefixed" ? `${acl.name}* (prefixed)` : acl.name;
  return `${acl.permission} ${acl.principal} ${acl.operation} ${acl.resourceType} ${name}`;
}
