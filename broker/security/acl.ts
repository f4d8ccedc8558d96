/**
 * The ACL set and its matching rules, after Kafka's AclAuthorizer. Pure: no
 * I/O, no clock; the controller metadata owns one AclSet and changes it as
 * CreateAcls / DeleteAcls entries are applied.
 *
 * A request's check is (principal, resource type, resource name, operation).
 * An ACL applies to it when:
 * - its principal is the principal, or "User:*";
 * - its resource type is the type, and its name matches: literal (equal, or
 *   the literal "*", which matches every name of the type) or prefixed (the
 *   resource name starts with it);
 * - its operation covers the operation: equal, "all", or, for an allow ACL
 *   and the operation "describe", one of read, write, delete and alter
 *   (Kafka's implied describe; a deny of read does not deny describe).
 * Then: any applicable deny refuses (deny wins), else any applicable allow
 * allows, else the check is refused (nothing is allowed by default).
 *
 * Lookups are indexed: literal names in a map, prefixes in a map probed with
 * each prefix of the resource name (at most its length, <= 249 for a topic),
 * so a check never scans the whole set. Decisions are cached per
 * (principal, type, name, operation) up to decisionCacheEntriesMax; any change
 * clears the cache.
 */
import { AUTHORIZATION_DEFAULTS } from "../protocol/defaults.js";
import {
  WILDCARD_NAME,
  WILDCARD_PRINCIPAL,
  aclKey,
  aclMatchesFilter,
  type Acl,
  type AclFilter,
  type AclOperation,
  type Operation,
  type ResourceType,
} from "../protocol/acls.js";

/** Operations an allow of describe is implied by (Kafka's AclAuthorizer). */
const IMPLIES_DESCRIBE: ReadonlySet<AclOperation> = new Set(["read", "write", "delete", "alter"]);

/** Whether an ACL's operation covers the operation a request needs. */
export function operationCovers(acl: Pick<Acl, "operation" | "permission">, needed: Operation): boolean {
  if (acl.operation === "all" || acl.operation === needed) return true;
  return acl.permission === "allow" && needed === "describe" && IMPLIES_DESCRIBE.has(acl.operation);
}

/** Whether an ACL's resource pattern matches a resource name of its type. */
export function patternMatches(acl: Pick<Acl, "patternType" | "name">, name: string): boolean {
  if (acl.patternType === "prefixed") return name.startsWith(acl.name);
  return acl.name === WILDCARD_NAME || acl.name === name;
}

/** What the applicable ACLs say: a deny, an allow, or nothing (which refuses). */
export type AclDecision = "allow" | "deny" | "none";

/** The ACLs of one principal on one resource type. */
interface TypeIndex {
  /** Literal ACLs by name ("*" included). */
  readonly literal: Map<string, Acl[]>;
  /** Prefixed ACLs by prefix. */
  readonly prefixed: Map<string, Acl[]>;
  /** The longest prefix held, so probing stops early. */
  prefixLengthMax: number;
}

/** Bounds of an AclSet. */
export interface AclSetOptions {
  /** Most decisions remembered; 0 turns the cache off. */
  readonly decisionCacheEntriesMax: number;
}

/** A set of ACLs, indexed for checks; see the file comment. */
export class AclSet {
  /** Every ACL by aclKey, in insertion order (list order). */
  private readonly byKey = new Map<string, Acl>();
  /** principal -> resource type -> names. */
  private readonly index = new Map<string, Map<ResourceType, TypeIndex>>();
  private readonly cache = new Map<string, AclDecision>();
  private readonly cacheEntriesMax: number;
  /** Bumped on every change. */
  private changeCount = 0;

  constructor(options: AclSetOptions = { decisionCacheEntriesMax: AUTHORIZATION_DEFAULTS.decisionCacheEntriesMax }) {
    this.cacheEntriesMax = options.decisionCacheEntriesMax;
  }

  /** Number of ACLs held. */
  get size(): number {
    return this.byKey.size;
  }

  /** Changes since creation: a check made at one value holds until it moves. */
  get version(): number {
    return this.changeCount;
  }

  /** Whether this exact ACL is held. */
  has(acl: Acl): boolean {
    return this.byKey.has(aclKey(acl));
  }

  /** Add an ACL; false when it was already held (nothing changes). */
  add(acl: Acl): boolean {
    const key = aclKey(acl);
    if (this.byKey.has(key)) return false;
    const copy: Acl = { principal: acl.principal, resourceType: acl.resourceType, patternType: acl.patternType, name: acl.name, operation: acl.operation, permission: acl.permission };
    this.byKey.set(key, copy);
    const t = this.typeIndex(copy.principal, copy.resourceType, true);
    const names = copy.patternType === "literal" ? t.literal : t.prefixed;
    const list = names.get(copy.name);
    if (list) list.push(copy);
    else names.set(copy.name, [copy]);
    if (copy.patternType === "prefixed") t.prefixLengthMax = Math.max(t.prefixLengthMax, copy.name.length);
    this.changed();
    return true;
  }

  /** Remove every ACL the filter matches; returns them, in list order. */
  remove(filter: AclFilter): Acl[] {
    const gone = this.list(filter);
    for (const acl of gone) {
      this.byKey.delete(aclKey(acl));
      const t = this.typeIndex(acl.principal, acl.resourceType, false);
      if (t === undefined) continue;
      const names = acl.patternType === "literal" ? t.literal : t.prefixed;
      const list = (names.get(acl.name) ?? []).filter((x) => aclKey(x) !== aclKey(acl));
      if (list.length === 0) names.delete(acl.name);
      else names.set(acl.name, list);
      if (acl.patternType === "prefixed") t.prefixLengthMax = Math.max(0, ...[...t.prefixed.keys()].map((k) => k.length));
      if (t.literal.size === 0 && t.prefixed.size === 0) {
        const byType = this.index.get(acl.principal);
        byType?.delete(acl.resourceType);
        if (byType?.size === 0) this.index.delete(acl.principal);
      }
    }
    if (gone.length > 0) this.changed();
    return gone;
  }

  /** The ACLs the filter matches (all for an empty filter), in list order. */
  list(filter: AclFilter = {}): Acl[] {
    const out: Acl[] = [];
    for (const acl of this.byKey.values()) if (aclMatchesFilter(acl, filter)) out.push(acl);
    return out;
  }

  /** Replace the whole set (a snapshot's restore). */
  replaceAll(acls: readonly Acl[]): void {
    this.byKey.clear();
    this.index.clear();
    for (const acl of acls) this.add(acl);
    this.changed();
  }

  /** What the ACLs applicable to (principal, type, name, operation) decide; see the file comment. */
  decide(principal: string, resourceType: ResourceType, name: string, operation: Operation): AclDecision {
    const cacheKey = this.cacheEntriesMax > 0 ? `${principal}\u0000${resourceType}\u0000${operation}\u0000${name}` : "";
    if (cacheKey !== "") {
      const hit = this.cache.get(cacheKey);
      if (hit !== undefined) return hit;
    }
    let allowed = false;
    let denied = false;
    const visit = (acls: readonly Acl[] | undefined): void => {
      for (const acl of acls ?? []) {
        if (!operationCovers(acl, operation)) continue;
        if (acl.permission === "deny") denied = true;
        else allowed = true;
      }
    };
    for (const p of principal === WILDCARD_PRINCIPAL ? [principal] : [principal, WILDCARD_PRINCIPAL]) {
      const t = this.typeIndex(p, resourceType, false);
      if (t === undefined) continue;
      visit(t.literal.get(name));
      if (name !== WILDCARD_NAME) visit(t.literal.get(WILDCARD_NAME));
      if (t.prefixed.size > 0) {
        for (let n = Math.min(name.length, t.prefixLengthMax); n >= 0; n--) visit(t.prefixed.get(name.slice(0, n)));
      }
    }
    const decision: AclDecision = denied ? "deny" : allowed ? "allow" : "none";
    if (cacheKey !== "") {
      if (this.cache.size >= this.cacheEntriesMax) this.cache.clear();
      this.cache.set(cacheKey, decision);
    }
    return decision;
  }

  /**
   * Whether some resource of the type may be used for the operation
   * (Kafka's authorizeByResourceType, used by initProducerId): an applicable
   * allow on any name, unless a deny on every name ("*" literal or the empty
   * prefix) covers it.
   */
  allowsAnyOf(principal: string, resourceType: ResourceType, operation: Operation): boolean {
    let allowed = false;
    for (const p of principal === WILDCARD_PRINCIPAL ? [principal] : [principal, WILDCARD_PRINCIPAL]) {
      const t = this.typeIndex(p, resourceType, false);
      if (t === undefined) continue;
      for (const acl of [...(t.literal.get(WILDCARD_NAME) ?? []), ...(t.prefixed.get("") ?? [])]) {
        if (acl.permission === "deny" && operationCovers(acl, operation)) return false;
      }
      for (const names of [t.literal, t.prefixed]) {
        for (const acls of names.values()) if (acls.some((a) => a.permission === "allow" && operationCovers(a, operation))) allowed = true;
      }
    }
    return allowed;
  }

  private typeIndex(principal: string, resourceType: ResourceType, create: true): TypeIndex;
  private typeIndex(principal: string, resourceType: ResourceType, create: false): TypeIndex | undefined;
  private typeIndex(principal: string, resourceType: ResourceType, create: boolean): TypeIndex | undefined {
    let byType = this.index.get(principal);
    if (byType === undefined) {
      if (!create) return undefined;
      byType = new Map();
      this.index.set(principal, byType);
    }
    let t = byType.get(resourceType);
    if (t === undefined && create) {
      t = { literal: new Map(), prefixed: new Map(), prefixLengthMax: 0 };
      byType.set(resourceType, t);
    }
    return t;
  }

  private changed(): void {
    this.changeCount++;
    this.cache.clear();
  }
}
