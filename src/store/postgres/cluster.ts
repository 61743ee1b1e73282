/**
 * Cluster-wide rows: executors (upserted on every heartbeat) and secrets (ciphertext only: this
 * layer never sees a plaintext secret).
 */
import { bytes } from "../shared/rows.js";
import type { ExecutorRow, SecretRow, Store } from "../types.js";
import type { Sql } from "./connect.js";

type ClusterMethods = Pick<
  Store,
  "upsertExecutor" | "listExecutors" | "removeExecutor" | "putSecret" | "getSecret" | "listSecrets" | "deleteSecret"
>;

interface SqlExecutor {
  id: string;
  region: string;
  labels: ExecutorRow["labels"];
  capacity: ExecutorRow["capacity"];
  images: string[];
  last_seen: number;
}

/** jsonb parameter (postgres.js serialises it once, PostgreSQL stores it parsed). */
type Json = Parameters<Sql["json"]>[0];

export function clusterMethods(sql: Sql): ClusterMethods {
  return {
    async upsertExecutor(e) {
      await sql`
        INSERT INTO executors (id, region, labels, capacity, images, last_seen)
        VALUES (${e.id}, ${e.region}, ${sql.json(e.labels)}, ${sql.json(e.capacity as unknown as Json)}, ${sql.json(e.images)}, ${e.lastSeen})
        ON CONFLICT (id) DO UPDATE SET region = excluded.region, labels = excluded.labels, capacity = excluded.capacity,
          images = excluded.images, last_seen = excluded.last_seen`;
    },
    async listExecutors() {
      const rows = await sql<
        SqlExecutor[]
      >`SELECT id, region, labels, capacity, images, last_seen FROM executors ORDER BY id`;
      return rows.map((r): ExecutorRow => ({
        id: r.id,
        region: r.region,
        labels: r.labels,
        capacity: r.capacity,
        images: r.images,
        lastSeen: r.last_seen,
      }));
    },
    async removeExecutor(id) {
      await sql`DELETE FROM executors WHERE id = ${id}`;
    },
    async putSecret(s) {
      await sql`
        INSERT INTO secrets (namespace, name, ciphertext, updated_at) VALUES (${s.namespace}, ${s.name}, ${s.ciphertext}, ${s.updatedAt})
        ON CONFLICT (namespace, name) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = excluded.updated_at`;
    },
    async getSecret(namespace, name) {
      const [r] = await sql<{ ciphertext: Uint8Array; updated_at: number }[]>`
        SELECT ciphertext, updated_at FROM secrets WHERE namespace = ${namespace} AND name = ${name}`;
      return r
        ? ({ namespace, name, ciphertext: bytes(r.ciphertext)!, updatedAt: r.updated_at } satisfies SecretRow)
        : null;
    },
    async listSecrets(namespace) {
      const rows = await sql<{ name: string; updated_at: number }[]>`
        SELECT name, updated_at FROM secrets WHERE namespace = ${namespace} ORDER BY name`;
      return rows.map((r) => ({ name: r.name, updatedAt: r.updated_at }));
    },
    async deleteSecret(namespace, name) {
      const rows = await sql`DELETE FROM secrets WHERE namespace = ${namespace} AND name = ${name}`;
      return rows.count > 0;
    },
  };
}
