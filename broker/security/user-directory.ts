/**
 * The SCRAM users a broker knows: those of its `authentication.scramUsersFile`
 * (read once at start; how a secure cluster gets its first user) merged with
 * those in the controller metadata (`rlog-cli user create`). A file user wins
 * over a metadata user of the same name and cannot be changed or deleted
 * through the protocol: edit the file and restart instead.
 */
import { readFileSync } from "node:fs";
import { parseStoredUsers } from "../protocol/scram-users-json.js";
import type { ScramCredential } from "../protocol/scram.js";

/** Where a user's credential comes from. */
export type UserSource = "file" | "metadata";

/** A user as listUsers shows it: never the keys. */
export interface UserSummary {
  readonly name: string;
  readonly mechanism: string;
  readonly iterations: number;
  readonly source: UserSource;
}

/** The metadata users, as the controller applied them. */
export interface MetadataUsers {
  user(name: string): ScramCredential | undefined;
  users(): readonly { readonly name: string; readonly credential: ScramCredential }[];
}

/** See the file comment. */
export class UserDirectory {
  constructor(
    private readonly fileUsers: ReadonlyMap<string, ScramCredential>,
    private readonly metadata: () => MetadataUsers,
  ) {}

  /** The credential the session checks a login against. */
  lookup(name: string): ScramCredential | undefined {
    return this.fileUsers.get(name) ?? this.metadata().user(name);
  }

  /** Whether `name` comes from the users file (and so cannot be changed by createUser or deleteUser). */
  isFileUser(name: string): boolean {
    return this.fileUsers.has(name);
  }

  /** Every user, sorted by name. */
  list(): UserSummary[] {
    const out = new Map<string, UserSummary>();
    for (const u of this.metadata().users()) out.set(u.name, { name: u.name, mechanism: u.credential.mechanism, iterations: u.credential.iterations, source: "metadata" });
    for (const [name, c] of this.fileUsers) out.set(name, { name, mechanism: c.mechanism, iterations: c.iterations, source: "file" });
    return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/**
 * Read a users file (docs/CONFIG.md, authentication.scramUsersFile).
 * @throws Error naming the file and what is wrong in it
 */
export function loadScramUsersFile(path: string, nameLengthMax: number): Map<string, ScramCredential> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`authentication.scramUsersFile ${path}: cannot read: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return new Map(parseStoredUsers(text, nameLengthMax).map((u) => [u.name, u.credential]));
  } catch (err) {
    throw new Error(`authentication.scramUsersFile ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
