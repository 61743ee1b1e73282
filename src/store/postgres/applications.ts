/**
 * Applications: one row per deployed version. A deploy adds a version; deletion marks every version
 * deleted (requests keep pointing at theirs).
 */
import type { Manifest } from "../../core/manifest.js";
import type { ApplicationRow, Store } from "../types.js";
import type { Sql } from "./connect.js";
import { transaction } from "./transaction.js";

interface SqlApplication {
  namespace: string;
  name: string;
  version: number;
  manifest: Manifest;
  bundle_key: string;
  created_at: number;
  deleted_at: number | null;
}

type ApplicationMethods = Pick<
  Store,
  "createApplicationVersion" | "getApplication" | "listApplications" | "deleteApplication"
>;

const COLUMNS = ["namespace", "name", "version", "manifest", "bundle_key", "created_at", "deleted_at"];

export function applicationMethods(sql: Sql): ApplicationMethods {
  const cols = sql(COLUMNS);

  return {
    async createApplicationVersion(ns, name, manifest, bundleKey, now) {
      return transaction(sql, async (tx) => {
        // MAX + 1 under READ COMMITTED would let two deploys pick the same number: a transaction
        // advisory lock on (namespace, name) makes them take turns (released at COMMIT).
        await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`tributary.app:${ns}/${name}`}, 0))`;
        const [row] = await tx<{ version: number }[]>`
          INSERT INTO applications (namespace, name, version, manifest, bundle_key, created_at)
          SELECT ${ns}, ${name}, COALESCE(MAX(version), 0) + 1, ${tx.json(manifest as unknown as Parameters<typeof tx.json>[0])}, ${bundleKey}, ${now}
          FROM applications WHERE namespace = ${ns} AND name = ${name}
          RETURNING version`;
        return row!.version;
      });
    },
    async getApplication(ns, name, version) {
      const [row] =
        version === undefined
          ? await sql<SqlApplication[]>`
              SELECT ${cols} FROM applications WHERE namespace = ${ns} AND name = ${name} AND deleted_at IS NULL
              ORDER BY version DESC LIMIT 1`
          : await sql<SqlApplication[]>`
              SELECT ${cols} FROM applications WHERE namespace = ${ns} AND name = ${name} AND version = ${version}`;
      return row ? toApplication(row) : null;
    },
    async listApplications(ns) {
      // Latest live version of each name. A deploy after a delete makes the application live again.
      const rows = await sql<SqlApplication[]>`
        SELECT DISTINCT ON (name) ${cols} FROM applications
        WHERE namespace = ${ns} AND deleted_at IS NULL
        ORDER BY name, version DESC`;
      return rows.map(toApplication);
    },
    async deleteApplication(ns, name, now) {
      const rows = await sql`
        UPDATE applications SET deleted_at = ${now} WHERE namespace = ${ns} AND name = ${name} AND deleted_at IS NULL`;
      return rows.count > 0;
    },
  };
}

function toApplication(r: SqlApplication): ApplicationRow {
  return {
    namespace: r.namespace,
    name: r.name,
    version: r.version,
    manifest: r.manifest,
    bundleKey: r.bundle_key,
    createdAt: r.created_at,
    deletedAt: r.deleted_at,
  };
}
