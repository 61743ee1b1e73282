/** API keys (digests only: this layer never sees a key). */
import type Database from "better-sqlite3";
import type { ApiKeyRow, Store } from "../types.js";

type ApiKeyMethods = Pick<Store, "createApiKey" | "findApiKey" | "listApiKeys" | "deleteApiKey">;

interface SqlKey {
  id: string;
  name: string;
  namespaces: string | null;
  hash: string;
  created_at: number;
}

const row = (r: SqlKey): ApiKeyRow => ({
  id: r.id,
  name: r.name,
  namespaces: r.namespaces === null ? null : (JSON.parse(r.namespaces) as string[]),
  hash: r.hash,
  createdAt: r.created_at,
});

export function apiKeyMethods(db: Database.Database): ApiKeyMethods {
  const insert = db.prepare<[string, string, string | null, string, number]>(
    "INSERT INTO api_keys (id, name, namespaces, hash, created_at) VALUES (?, ?, ?, ?, ?)",
  );
  const byHash = db.prepare<[string], SqlKey>(
    "SELECT id, name, namespaces, hash, created_at FROM api_keys WHERE hash = ?",
  );
  const all = db.prepare<[], SqlKey>(
    "SELECT id, name, namespaces, hash, created_at FROM api_keys ORDER BY created_at, id",
  );
  const remove = db.prepare<[string]>("DELETE FROM api_keys WHERE id = ?");
  return {
    async createApiKey(k) {
      insert.run(k.id, k.name, k.namespaces === null ? null : JSON.stringify(k.namespaces), k.hash, k.createdAt);
    },
    async findApiKey(hash) {
      const r = byHash.get(hash);
      return r ? row(r) : null;
    },
    async listApiKeys() {
      return all.all().map(row);
    },
    async deleteApiKey(id) {
      return remove.run(id).changes > 0;
    },
  };
}
