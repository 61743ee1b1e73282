/** API keys (digests only: this layer never sees a key). */
import type { ApiKeyRow, Store } from "../types.js";
import type { Sql } from "./connect.js";

type ApiKeyMethods = Pick<Store, "createApiKey" | "findApiKey" | "listApiKeys" | "deleteApiKey">;

interface SqlKey {
  id: string;
  name: string;
  namespaces: string[] | null;
  hash: string;
  created_at: number;
}

const row = (r: SqlKey): ApiKeyRow => ({
  id: r.id,
  name: r.name,
  namespaces: r.namespaces,
  hash: r.hash,
  createdAt: r.created_at,
});

export function apiKeyMethods(sql: Sql): ApiKeyMethods {
  return {
    async createApiKey(k) {
      await sql`
        INSERT INTO api_keys (id, name, namespaces, hash, created_at)
        VALUES (${k.id}, ${k.name}, ${k.namespaces === null ? null : sql.json(k.namespaces)}, ${k.hash}, ${k.createdAt})`;
    },
    async findApiKey(hash) {
      const [r] = await sql<SqlKey[]>`SELECT id, name, namespaces, hash, created_at FROM api_keys WHERE hash = ${hash}`;
      return r ? row(r) : null;
    },
    async listApiKeys() {
      const rows = await sql<
        SqlKey[]
      >`SELECT id, name, namespaces, hash, created_at FROM api_keys ORDER BY created_at, id`;
      return rows.map(row);
    },
    async deleteApiKey(id) {
      const rows = await sql`DELETE FROM api_keys WHERE id = ${id}`;
      return rows.count > 0;
    },
  };
}
