/**
 * Test support for the PostgreSQL store (imported by tests only; not shipped): where the test database
 * is, whether it answers, and throwaway schemas.
 *
 * Every schema created here is named `t_<file token>_<n>`, so a test file can drop all of its own
 * schemas at the end even if a test died before closing its store.
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import type { Store } from "../../src/store/types.js";
import { createPostgresStore } from "../../src/store/postgres/index.js";
import { VOCABULARY_CHECKS } from "./vocabulary-checks.js";

/** `TRIBUTARY_TEST_POSTGRES_URL`, else the local trust-auth server used in development and CI. */
export const TEST_POSTGRES_URL = process.env.TRIBUTARY_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Null when PostgreSQL answers `SELECT 1` within `ms`; otherwise why not (for a skip notice). */
export async function unreachableReason(url = TEST_POSTGRES_URL, ms = 2_000): Promise<string | null> {
  const sql = postgres(url, { max: 1, connect_timeout: Math.ceil(ms / 1000), onnotice: () => {} });
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    await Promise.race([sql`SELECT 1`, timeout]);
    return null;
  } catch (e) {
    return `${url.replace(/:[^:@/]*@/, ":***@")} is not reachable (${e instanceof Error ? e.message : String(e)})`;
  } finally {
    clearTimeout(timer);
    await sql.end({ timeout: 0 }).catch(() => {});
  }
}

/** Fresh schemas for one test file; `dropAll()` removes every one it handed out. */
export function schemaFactory(url = TEST_POSTGRES_URL): { next(): string; dropAll(): Promise<void> } {
  const token = randomBytes(4).toString("hex");
  let n = 0;
  return {
    next: () => `t_${token}_${++n}`,
    async dropAll() {
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        const rows = await sql<
          { nspname: string }[]
        >`SELECT nspname FROM pg_namespace WHERE nspname LIKE ${`t\\_${token}\\_%`}`;
        for (const r of rows) await sql.unsafe(`DROP SCHEMA IF EXISTS "${r.nspname}" CASCADE`);
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
  };
}

/**
 * A migrated store in `schema` whose `close()` also drops the schema. The schema also gets the
 * status CHECKs that production schemas do without (vocabulary-checks.ts): a test that writes a
 * wrong word fails.
 */
export async function storeInFreshSchema(schema: string, url = TEST_POSTGRES_URL): Promise<Store> {
  const store = createPostgresStore(url, { schema, max: 4 });
  await store.migrate();
  const sql = postgres(url, { max: 1, onnotice: () => {}, connection: { search_path: schema } });
  try {
    await sql.unsafe(VOCABULARY_CHECKS);
  } finally {
    await sql.end({ timeout: 5 });
  }
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    await dropSchema(schema, url);
  };
  return store;
}

async function dropSchema(schema: string, url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
