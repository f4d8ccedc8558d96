/**
 * The broker's authorizer: the config's `authorization` settings over the
 * ACLs of the cluster metadata. With authorization off every check is
 * allowed; a super user is allowed everything; anyone else needs an ACL
 * (broker/security/acl.ts). The session asks it about every request before
 * dispatch (authorize); handlers that filter what they answer ask it about
 * single resources (allowed).
 */
import type { ResourceType, Operation } from "../protocol/acls.js";
import { RlogError } from "../protocol/errors.js";
import type { Request } from "../protocol/ops.js";
import type { AclSet } from "./acl.js";
import { requirementOf, type PermissionCheck } from "./op-permissions.js";

/** The config's `authorization` group. */
export interface AuthorizationSettings {
  /** Off: every request is allowed (and ACLs are still stored and listed). */
  readonly enabled: boolean;
  /** Principals allowed everything, ACLs or not. */
  readonly superUsers: readonly string[];
}

/** What the authorizer reads of the ACLs. */
export type AclView = Pick<AclSet, "decide" | "allowsAnyOf">;

/** The check a handler makes on one resource (filtering), with the connection's principal. */
export interface ResourceAuthorizer {
  /** Whether `principal` may do `operation` on the named resource. */
  allowed(principal: string, resourceType: ResourceType, name: string, operation: Operation): boolean;
}

/** See the file comment. */
export class Authorizer implements ResourceAuthorizer {
  private readonly superUsers: ReadonlySet<string>;

  constructor(
    private readonly settings: AuthorizationSettings,
    private readonly acls: AclView,
  ) {
    this.superUsers = new Set(settings.superUsers);
  }

  /** Whether authorization is on. */
  get enabled(): boolean {
    return this.settings.enabled;
  }

  allowed(principal: string, resourceType: ResourceType, name: string, operation: Operation): boolean {
    if (!this.settings.enabled || this.superUsers.has(principal)) return true;
    return this.acls.decide(principal, resourceType, name, operation) === "allow";
  }

  /** Whether one check of a requirement is allowed. */
  allowedCheck(principal: string, check: PermissionCheck): boolean {
    if ("anyName" in check) {
      if (!this.settings.enabled || this.superUsers.has(principal)) return true;
      return this.acls.allowsAnyOf(principal, check.resourceType, check.operation);
    }
    return this.allowed(principal, check.resourceType, check.name, check.operation);
  }

  /**
   * AUTHORIZATION_FAILED for a request some clause of whose requirement no
   * check allows, naming principal, operation and resource ("User:bob may
   * not write topic orders"); undefined when the request is allowed.
   */
  authorize(principal: string, request: Request): RlogError | undefined {
    if (!this.settings.enabled || this.superUsers.has(principal)) return undefined;
    for (const clause of requirementOf(request)) {
      if (clause.length === 0 || clause.some((check) => this.allowedCheck(principal, check))) continue;
      return new RlogError("AUTHORIZATION_FAILED", `${principal} may not ${clause.map(describeCheck).join(" nor ")}`);
    }
    return undefined;
  }
}

/** "write topic orders", "write any topic". */
function describeCheck(check: PermissionCheck): string {
  return "anyName" in check ? `${check.operation} any ${check.resourceType}` : `${check.operation} ${check.resourceType} ${check.name}`;
}
