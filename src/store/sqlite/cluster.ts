/**
 * Cluster-wide rows: executors (upserted on every heartbeat) and secrets (ciphertext only: this
 * layer never sees a plaintext secret).
 */
import type Database from "better-sqlite3";
import type { ExecutorRow, SecretRow, Store } from "../types.js";
import { bytes } from "../shared/rows.js";

type ClusterMethods = Pick<
  Store,
  "upsertExecutor" | "listExecutors" | "removeExecutor" | "putSecret" | "getSecret" | "listSecrets" | "deleteSecret"
>;

interface SqlExecutor {
  id: string;
  region: string;
  labels: string;
  capacity: string;
  images: string;
  last_seen: number;
}

export function clusterMethods(db: Database.Database): ClusterMethods {
  const upsertExecutor = db.prepare<[string, string, string, string, string, number]>(
    `INSERT INTO executors (id, region, labels, capacity, images, last_seen) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET region = excluded.region, labels = excluded.labels, capacity = excluded.capacity,
       images = excluded.images, last_seen = excluded.last_seen`,
  );
  const executors = db.prepare<[], SqlExecutor>(
    "SELECT id, region, labels, capacity, images, last_seen FROM executors ORDER BY id",
  );
  const removeExecutor = db.prepare<[string]>("DELETE FROM executors WHERE id = ?");
  const putSecret = db.prepare<[string, string, Uint8Array, number]>(
    `INSERT INTO secrets (namespace, name, ciphertext, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (namespace, name) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = excluded.updated_at`,
  );
  const getSecret = db.prepare<[string, string], { ciphertext: Uint8Array; updated_at: number }>(
    "SELECT ciphertext, updated_at FROM secrets WHERE namespace = ? AND name = ?",
  );
  const listSecrets = db.prepare<[string], { name: string; updated_at: number }>(
    "SELECT name, updated_at FROM secrets WHERE namespace = ? ORDER BY name",
  );
  const deleteSecret = db.prepare<[string, string]>("DELETE FROM secrets WHERE namespace = ? AND name = ?");

  return {
    async upsertExecutor(e) {
      upsertExecutor.run(
        e.id,
        e.region,
        JSON.stringify(e.labels),
        JSON.stringify(e.capacity),
        JSON.stringify(e.images),
        e.lastSeen,
      );
    },
    async listExecutors() {
      return executors.all().map((r): ExecutorRow => ({
        id: r.id,
        region: r.region,
        labels: JSON.parse(r.labels) as ExecutorRow["labels"],
        capacity: JSON.parse(r.capacity) as ExecutorRow["capacity"],
        images: JSON.parse(r.images) as string[],
        lastSeen: r.last_seen,
      }));
    },
    async removeExecutor(id) {
      removeExecutor.run(id);
    },
    async putSecret(s) {
      putSecret.run(s.namespace, s.name, s.ciphertext, s.updatedAt);
    },
    async getSecret(namespace, name) {
      const r = getSecret.get(namespace, name);
      return r
        ? ({ namespace, name, ciphertext: bytes(r.ciphertext)!, updatedAt: r.updated_at } satisfies SecretRow)
        : null;
    },
    async listSecrets(namespace) {
      return listSecrets.all(namespace).map((r) => ({ name: r.name, updatedAt: r.updated_at }));
    },
    async deleteSecret(namespace, name) {
      return deleteSecret.run(namespace, name).changes > 0;
    },
  };
}
