/**
 * Scale-out leases (DESIGN.md §3): server rows with the time their lease runs to, and claims of
 * unfinished requests whose owner is gone (no row, or a lease that ran out).
 *
 * Invariant: a claim is one `UPDATE … FROM (SELECT … FOR UPDATE SKIP LOCKED)`: concurrent claimers
 * skip each other's rows instead of waiting, and a row is only ever handed to one of them.
 */
import { toRequest, type SqlRequest } from "../shared/rows.js";
import type { Store } from "../types.js";
import type { Sql } from "./connect.js";
import { REQUEST_COLUMNS } from "./requests.js";

type ServerMethods = Pick<
  Store,
  "renewServerLease" | "removeServer" | "claimRequests" | "liveOwner" | "releaseRequests"
>;

export function serverMethods(sql: Sql): ServerMethods {
  const returning = sql(REQUEST_COLUMNS.map((c) => `r.${c}`));
  return {
    async renewServerLease(id, startedAt, leaseUntil) {
      await sql`
        INSERT INTO servers (id, started_at, lease_until) VALUES (${id}, ${startedAt}, ${leaseUntil})
        ON CONFLICT (id) DO UPDATE SET lease_until = excluded.lease_until`;
    },
    async removeServer(id) {
      await sql.begin(async (tx) => {
        await tx`DELETE FROM servers WHERE id = ${id}`;
        await tx`UPDATE requests SET owner = NULL WHERE owner = ${id} AND status IN ('pending', 'running')`;
      });
    },
    async claimRequests(owner, now, limit, ids) {
      const only = ids === undefined ? sql`` : sql`AND id = ANY(${ids as string[]})`;
      const rows = await sql<SqlRequest[]>`
        UPDATE requests r SET owner = ${owner}
        FROM (
          SELECT id AS claim_id FROM requests q
          WHERE status IN ('pending', 'running') ${only}
            AND (owner IS NULL OR (owner <> ${owner}
              AND NOT EXISTS (SELECT 1 FROM servers s WHERE s.id = q.owner AND s.lease_until >= ${now})))
          ORDER BY created_at LIMIT ${limit}
          FOR UPDATE SKIP LOCKED
        ) c
        WHERE r.id = c.claim_id
        RETURNING ${returning}`;
      return rows.map(toRequest);
    },
    async liveOwner(id, now) {
      const [row] = await sql<{ owner: string }[]>`
        SELECT r.owner FROM requests r JOIN servers s ON s.id = r.owner
        WHERE r.id = ${id} AND s.lease_until >= ${now}`;
      return row?.owner ?? null;
    },
    async releaseRequests(owner, ids) {
      if (ids.length === 0) return;
      await sql`UPDATE requests SET owner = NULL WHERE owner = ${owner} AND id = ANY(${ids as string[]})`;
    },
  };
}
