/**
 * Applications: one row per deployed version. A deploy adds a version; deletion marks every version
 * deleted (requests keep pointing at theirs). A single statement is its own transaction in SQLite,
 * so only multi-statement methods open one explicitly.
 */
import type Database from "better-sqlite3";
import type { Manifest } from "../../core/manifest.js";
import type { ApplicationRow, Store } from "../types.js";

interface SqlApplication {
  namespace: string;
  name: string;
  version: number;
  manifest: string;
  bundle_key: string;
  created_at: number;
  deleted_at: number | null;
}

const COLUMNS = "namespace, name, version, manifest, bundle_key, created_at, deleted_at";

type ApplicationMethods = Pick<
  Store,
  "createApplicationVersion" | "getApplication" | "listApplications" | "deleteApplication"
>;

export function applicationMethods(db: Database.Database): ApplicationMethods {
  const nextVersion = db.prepare<[string, string], { v: number }>(
    "SELECT COALESCE(MAX(version), 0) + 1 AS v FROM applications WHERE namespace = ? AND name = ?",
  );
  const insert = db.prepare<[string, string, number, string, string, number]>(
    `INSERT INTO applications (namespace, name, version, manifest, bundle_key, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const byVersion = db.prepare<[string, string, number], SqlApplication>(
    `SELECT ${COLUMNS} FROM applications WHERE namespace = ? AND name = ? AND version = ?`,
  );
  const latest = db.prepare<[string, string], SqlApplication>(
    `SELECT ${COLUMNS} FROM applications WHERE namespace = ? AND name = ? AND deleted_at IS NULL
     ORDER BY version DESC LIMIT 1`,
  );
  // Latest live version of each name. A deploy after a delete makes the application live again.
  const list = db.prepare<[string], SqlApplication>(
    `SELECT ${COLUMNS} FROM applications a
     WHERE a.namespace = ? AND a.deleted_at IS NULL
       AND a.version = (SELECT MAX(b.version) FROM applications b
                        WHERE b.namespace = a.namespace AND b.name = a.name AND b.deleted_at IS NULL)
     ORDER BY a.name`,
  );
  const markDeleted = db.prepare<[number, string, string]>(
    "UPDATE applications SET deleted_at = ? WHERE namespace = ? AND name = ? AND deleted_at IS NULL",
  );

  // IMMEDIATE: the version is read and written under the write lock, so two deploys of the same
  // application from two processes cannot both pick the same number.
  const create = db.transaction(
    (ns: string, name: string, manifest: Manifest, bundleKey: string, now: number): number => {
      const version = nextVersion.get(ns, name)!.v;
      insert.run(ns, name, version, JSON.stringify(manifest), bundleKey, now);
      return version;
    },
  );

  return {
    async createApplicationVersion(ns, name, manifest, bundleKey, now) {
      return create.immediate(ns, name, manifest, bundleKey, now);
    },
    async getApplication(ns, name, version) {
      const row = version === undefined ? latest.get(ns, name) : byVersion.get(ns, name, version);
      return row ? toApplication(row) : null;
    },
    async listApplications(ns) {
      return list.all(ns).map(toApplication);
    },
    async deleteApplication(ns, name, now) {
      return markDeleted.run(now, ns, name).changes > 0;
    },
  };
}

function toApplication(r: SqlApplication): ApplicationRow {
  return {
    namespace: r.namespace,
    name: r.name,
    version: r.version,
    manifest: JSON.parse(r.manifest) as Manifest,
    bundleKey: r.bundle_key,
    createdAt: r.created_at,
    deletedAt: r.deleted_at,
  };
}
