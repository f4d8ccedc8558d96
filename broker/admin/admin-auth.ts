/**
 * Who may read /metrics (docs/SECURITY.md, "The admin listener"): the
 * admin listener follows the client listener's `authentication` and
 * `authorization` settings.
 *
 * - Principal: a verified TLS client certificate (tls.clientAuth) makes the
 *   request "User:<CN>", as on the client listener. Otherwise, with
 *   authentication.mechanism "scram", the request must carry HTTP Basic
 *   authentication (RFC 7617) of a SCRAM user: the password is checked
 *   against the stored credential (SaltedPassword from the credential's salt
 *   and iterations, then ClientKey and StoredKey, compared in constant
 *   time), never stored and never logged. With mechanism "none" and no
 *   certificate the principal is User:ANONYMOUS.
 * - Missing or wrong credentials: 401 with `WWW-Authenticate: Basic
 *   realm="rlog", charset="UTF-8"` and a JSON body, sent after
 *   authentication.failureDelayMs (like a failed login on the client
 *   listener). An unknown user costs the same PBKDF2 as a wrong password (a
 *   fake salt, as scram-server.ts does), so answers do not tell which names
 *   exist.
 * - With authorization.enabled: the principal also needs DESCRIBE on the
 *   cluster resource (super users pass), else 403 JSON naming principal,
 *   operation and resource as AUTHORIZATION_FAILED does.
 *
 * Bounds: an Authorization header longer than ADMIN_AUTHORIZATION_CHARS_MAX
 * is refused unread; a successful check is remembered for
 * ADMIN_AUTH_CACHE_TTL_MS in a cache of at most ADMIN_AUTH_CACHE_ENTRIES_MAX
 * entries (the least recently used evicted first), so a 15 s Prometheus scrape does not cost
 * a PBKDF2 each time. The cache key is an HMAC of user and password under a
 * per-process random key (never the password); an entry holds only the
 * StoredKey it matched, so a changed or deleted user misses at once.
 * Failed checks are never cached.
 */
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import type { Logger } from "pino";
import { ANONYMOUS_PRINCIPAL, CLUSTER_RESOURCE_NAME } from "../protocol/acls.js";
import { SCRAM_ITERATIONS_DEFAULT, SCRAM_SHA_256, hasControl, hmac, saltedPassword, sameBytes, sha256, type ScramCredential } from "../protocol/scram.js";
import { fakeSalt } from "../security/scram-server.js";
import type { ResourceAuthorizer } from "../security/authorizer.js";
import { certificatePrincipal } from "../server/client-server.js";
import { jsonResponse, type AdminResponse } from "./admin-server.js";

/** Longest Authorization header read (characters): a 255-character name and a 1024-character password of 4-byte UTF-8, in base64, fit. */
export const ADMIN_AUTHORIZATION_CHARS_MAX = 8192;
/** Most remembered successful Basic checks (one per user and password in use; Prometheus and a console or two need a handful). */
export const ADMIN_AUTH_CACHE_ENTRIES_MAX = 64;
/** How long a successful Basic check is remembered: a password change or user deletion takes effect at once regardless (the entry holds the StoredKey it matched). */
export const ADMIN_AUTH_CACHE_TTL_MS = 5 * 60_000;

/** Bytes of the per-process random key of BasicVerifier (cache keys, fake salts). */
export const ADMIN_AUTH_KEY_BYTES = 32;

/** The WWW-Authenticate challenge of a 401 (RFC 7617 section 2.1). */
export const BASIC_CHALLENGE = 'Basic realm="rlog", charset="UTF-8"';

/** What an Authorization header holds. */
export type BasicCredentials =
  | { readonly kind: "absent" }
  | { readonly kind: "malformed"; readonly reason: string }
  | { readonly kind: "basic"; readonly username: string; readonly password: string };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parse an Authorization header as HTTP Basic (RFC 7617): scheme "Basic"
 * (any case), one or more spaces, base64 of "user:password" in UTF-8; the
 * user is everything before the first ":". Never throws.
 */
export function parseBasicAuthorization(header: string | undefined): BasicCredentials {
  if (header === undefined || header === "") return { kind: "absent" };
  if (header.length > ADMIN_AUTHORIZATION_CHARS_MAX) return { kind: "malformed", reason: `Authorization header longer than ${ADMIN_AUTHORIZATION_CHARS_MAX} characters` };
  const match = /^([A-Za-z]+) +(\S+) *$/.exec(header);
  if (match === null || match[1]!.toLowerCase() !== "basic") return { kind: "malformed", reason: "Authorization header is not Basic <base64 of user:password>" };
  const encoded = match[2]!;
  if (encoded.length % 4 !== 0 || !BASE64.test(encoded)) return { kind: "malformed", reason: "Basic credentials are not base64" };
  let text: string;
  try {
    text = UTF8.decode(Buffer.from(encoded, "base64"));
  } catch {
    return { kind: "malformed", reason: "Basic credentials are not UTF-8" };
  }
  const colon = text.indexOf(":");
  if (colon < 0) return { kind: "malformed", reason: "Basic credentials have no ':' between user and password" };
  const username = text.slice(0, colon);
  const password = text.slice(colon + 1);
  if (username === "" || password === "") return { kind: "malformed", reason: "Basic credentials need a user and a password" };
  if (hasControl(username) || hasControl(password)) return { kind: "malformed", reason: "Basic credentials have a control character" };
  return { kind: "basic", username, password };
}

/** What a BasicVerifier needs. */
export interface BasicVerifierDeps {
  /** The stored credential of a user, or undefined (the user directory). */
  readonly lookup: (name: string) => ScramCredential | undefined;
  /** Per-process random key: for the cache keys and the fake salts of unknown users. */
  readonly secretKey: Uint8Array;
  readonly monotonicMs: () => number;
  /** Defaults ADMIN_AUTH_CACHE_ENTRIES_MAX and ADMIN_AUTH_CACHE_TTL_MS. */
  readonly cacheEntriesMax?: number;
  readonly cacheTtlMs?: number;
}

/** A remembered successful check. */
interface CacheEntry {
  /** The StoredKey the password matched: a hit needs the user's current one to be the same. */
  readonly storedKey: Uint8Array;
  readonly expiresAtMs: number;
}

/** Checks a user and password against the stored SCRAM credential; see the file comment. */
export class BasicVerifier {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly entriesMax: number;
  private readonly ttlMs: number;
  /** PBKDF2 derivations run (a figure for tests and logs: cache hits run none). */
  derivationsCount = 0;

  constructor(private readonly deps: BasicVerifierDeps) {
    this.entriesMax = deps.cacheEntriesMax ?? ADMIN_AUTH_CACHE_ENTRIES_MAX;
    this.ttlMs = deps.cacheTtlMs ?? ADMIN_AUTH_CACHE_TTL_MS;
  }

  /** Entries in the cache (at most the bound). */
  get cachedCount(): number {
    return this.cache.size;
  }

  /** Whether `password` is `username`'s. PBKDF2 runs on the libuv thread pool, so the event loop keeps serving. */
  async verify(username: string, password: string): Promise<boolean> {
    const credential = this.deps.lookup(username);
    const key = Buffer.from(hmac(this.deps.secretKey, `${username}\u0000${password}`)).toString("base64");
    const now = this.deps.monotonicMs();
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      this.cache.delete(key);
      if (credential !== undefined && hit.expiresAtMs > now && sameBytes(hit.storedKey, credential.storedKey)) {
        this.cache.set(key, hit); // most recently used last: eviction takes the least recently used
        return true;
      }
    }
    // An unknown user costs the same derivation as a known one (fake salt, default iterations).
    const salt = credential?.salt ?? fakeSalt(this.deps.secretKey, username);
    const iterations = credential?.iterations ?? SCRAM_ITERATIONS_DEFAULT;
    this.derivationsCount++;
    const salted = await saltedPassword(password, salt, iterations);
    const storedKey = sha256(hmac(salted, "Client Key"));
    if (credential === undefined || credential.mechanism !== SCRAM_SHA_256 || !sameBytes(storedKey, credential.storedKey)) return false;
    if (this.cache.size >= this.entriesMax) {
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
    this.cache.set(key, { storedKey: credential.storedKey, expiresAtMs: now + this.ttlMs });
    return true;
  }
}

/** What the admin gate needs of its broker. */
export interface AdminGateOptions {
  /** authentication.mechanism: "scram" makes Basic authentication required (without a verified client certificate). */
  readonly mechanism: string;
  /** authentication.failureDelayMs: how long a 401 waits. */
  readonly failureDelayMs: number;
  /** Whether the listener is TLS (then a verified client certificate names the principal). */
  readonly tls: boolean;
  readonly verifier: BasicVerifier;
  /** authorization.enabled: then the principal needs DESCRIBE on the cluster. */
  readonly authorizationEnabled: boolean;
  /** The broker's authorizer; undefined while the broker is still starting (then 503). */
  readonly authorizer: () => ResourceAuthorizer | undefined;
  readonly logger: Logger;
}

/** Decides one request: undefined to serve it, or the 401/403 answer. */
export type AdminGate = (req: IncomingMessage) => Promise<AdminResponse | undefined>;

/** The gate of /metrics; see the file comment. */
export function adminGate(opts: AdminGateOptions): AdminGate {
  const refuse = async (reason: string, fields: Record<string, unknown>): Promise<AdminResponse> => {
    opts.logger.info({ ...fields, reason }, "admin request not authenticated");
    await new Promise((resolve) => setTimeout(resolve, opts.failureDelayMs));
    return { ...jsonResponse(401, { error: "AUTHENTICATION_FAILED", message: reason }), headers: { "www-authenticate": BASIC_CHALLENGE } };
  };
  return async (req) => {
    let principal = ANONYMOUS_PRINCIPAL;
    const certificate = opts.tls ? certificatePrincipal(req.socket as TLSSocket) : {};
    if (certificate.refusal !== undefined) return refuse(certificate.refusal, {});
    if (certificate.principal !== undefined) {
      principal = certificate.principal;
    } else if (opts.mechanism === "scram") {
      const basic = parseBasicAuthorization(req.headers.authorization);
      if (basic.kind === "absent") return refuse("authentication required: HTTP Basic with a SCRAM user's name and password, or a verified client certificate", {});
      if (basic.kind === "malformed") return refuse(basic.reason, {});
      if (!(await opts.verifier.verify(basic.username, basic.password))) return refuse("unknown user or wrong password", { user: basic.username.slice(0, 256) });
      principal = `User:${basic.username}`;
    }
    if (!opts.authorizationEnabled) return undefined;
    const authorizer = opts.authorizer();
    if (authorizer === undefined) return jsonResponse(503, { error: "NOT_READY", message: "the broker is starting: its authorizer is not ready yet" });
    if (!authorizer.allowed(principal, "cluster", CLUSTER_RESOURCE_NAME, "describe")) {
      opts.logger.info({ principal }, "admin request refused: no describe on the cluster");
      return jsonResponse(403, { error: "AUTHORIZATION_FAILED", message: `${principal} may not describe cluster ${CLUSTER_RESOURCE_NAME}`, principal, operation: "describe", resource: { type: "cluster", name: CLUSTER_RESOURCE_NAME } });
    }
    return undefined;
  };
}
