/**
 * Who is calling: the `Authorization: Bearer …` credential of a request, resolved to a principal.
 *
 * Invariants:
 * - Keys are never kept or compared as text. Each credential is reduced to its SHA-256 digest and
 *   digests are compared with `timingSafeEqual`: every digest is 32 bytes, so neither the content
 *   nor the length of a configured key leaks through timing. Stored keys are looked up by digest.
 * - A credential is never echoed: errors say "not valid", never which key was tried.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Store } from "../../store/types.js";

/** What a resolved credential may do (see `access.ts`). */
export type Principal =
  /** A bootstrap key (`--api-key` / `TRIBUTARY_API_KEYS`): every namespace, and key management. */
  | { kind: "admin" }
  /** A key created through `/v1/keys`: its namespaces (null: every namespace), no key management. */
  | { kind: "key"; id: string; namespaces: string[] | null }
  /** The executor token: executor routes only. */
  | { kind: "executor" };

export interface CredentialOptions {
  /** Bootstrap admin keys; with none, the server needs no key at all. */
  apiKeys: readonly string[];
  /** The token executors present; null: none configured. */
  executorToken: string | null;
}

/** SHA-256 of a credential, as bytes. */
export function digest(secret: string): Buffer {
  return createHash("sha256").update(secret, "utf8").digest();
}

/** A new API key: a recognisable prefix and 256 random bits. */
export function newApiKey(): string {
  return "trb_" + randomBytes(32).toString("base64url");
}

/** The bearer credential of an `Authorization` header; null when there is none. */
export function bearerOf(header: string | undefined | null): string | null {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
  return m ? m[1]! : null;
}

function anyEqual(d: Buffer, digests: readonly Buffer[]): boolean {
  // No early exit: the time taken does not depend on which digest (if any) matched.
  let hit = false;
  for (const x of digests) hit = timingSafeEqual(d, x) || hit;
  return hit;
}

/**
 * Resolves credentials for one server.
 *
 * @example
 * const creds = new Credentials(store, { apiKeys: ["k1"], executorToken: null });
 * await creds.identify("Bearer k1"); // { kind: "admin" }
 * await creds.identify("Bearer k");  // null: a truncated key is just an invalid one
 */
export class Credentials {
  private readonly admins: Buffer[];
  private readonly executor: Buffer | null;

  constructor(
    private readonly store: Store,
    o: CredentialOptions,
  ) {
    this.admins = o.apiKeys.map(digest);
    this.executor = o.executorToken === null ? null : digest(o.executorToken);
  }

  /** True when requests must carry a key (some bootstrap key is configured). */
  get keysRequired(): boolean {
    return this.admins.length > 0;
  }

  /** True when an executor token is configured. */
  get executorTokenSet(): boolean {
    return this.executor !== null;
  }

  /** The principal of a bearer credential; null when missing or not valid (answer 401). */
  async identify(header: string | undefined | null): Promise<Principal | null> {
    const token = bearerOf(header);
    if (token === null) return null;
    const d = digest(token);
    if (this.executor !== null && timingSafeEqual(d, this.executor)) return { kind: "executor" };
    if (anyEqual(d, this.admins)) return { kind: "admin" };
    if (!this.keysRequired) return null;
    const row = await this.store.findApiKey(d.toString("hex"));
    // The row was found by its digest; comparing again keeps the rule "digests meet only in
    // timingSafeEqual" true whatever the database's collation does.
    if (!row || !timingSafeEqual(Buffer.from(row.hash, "hex"), d)) return null;
    return { kind: "key", id: row.id, namespaces: row.namespaces };
  }
}
