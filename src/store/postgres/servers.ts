/**
 * Scale-out leases (DESIGN.md §3): server rows with the time their lease runs to, and claims of
 * unfinished requests whose owner is gone (no row, or a lease that ran out).
 *
 * Invariant: a claim is one `UPDATE … FROM (SELECT … FOR UPDATE SKIP LOCKED)`: concurrent claimers
 * skip each other's rows instead of waiting, and a row is only ever handed to one of them.
 */
import { toRequest, type SqlRequest } from "../shared/rows.js";
import type { ServerMethods } from "../types.js";
import type { Sql } from "./connect.js";
import { transaction } from "./transaction.js";
import { REQUEST_COLUMNS } from "./requests.js";

export function serverMethods(sql: Sql): ServerMethods {
  const returning = sql(REQUEST_COLUMNS.map((c) => `r.${c}`));
  /** Row `q` is unowned, or its owner (not `owner`) holds no lease reaching `now`. */
  const claimable = (owner: string, now: number) => sql`
    (q.owner IS NULL OR (q.owner <> ${owner}
      AND NOT EXISTS (SELECT 1 FROM servers s WHERE s.id = q.owner AND s.lease_until >= ${now})))`;
  return {
    async renewServerLease(id, startedAt, now, leaseUntil, capabilities) {
      // One statement: every part sees the snapshot from before the upsert, so `old` is the lease
      // this renewal replaces; the first row is this server's own, the others its live peers.
      const rows = await sql<{ id: string; capabilities: string | null; mine: boolean; until: number | null }[]>`
        WITH old AS (SELECT lease_until FROM servers WHERE id = ${id}),
        up AS (
          INSERT INTO servers (id, started_at, lease_until, capabilities)
          VALUES (${id}, ${startedAt}, ${leaseUntil}, ${capabilities})
          ON CONFLICT (id) DO UPDATE SET lease_until = excluded.lease_until, capabilities = excluded.capabilities
        )
        SELECT ${id}::text AS id, NULL::text AS capabilities, true AS mine, (SELECT lease_until FROM old) AS until
        UNION ALL
        SELECT id, capabilities, false, NULL FROM servers WHERE id <> ${id} AND lease_until >= ${now}`;
      const own = rows.find((r) => r.mine);
      return {
        peers: rows.filter((r) => !r.mine).map((r) => ({ id: r.id, capabilities: r.capabilities })),
        lapsed: own?.until == null || Number(own.until) < now,
      };
    },
    async removeServer(id) {
      await transaction(sql, async (tx) => {
        await tx`DELETE FROM servers WHERE id = ${id}`;
        await tx`UPDATE requests SET owner = NULL WHERE owner = ${id} AND status IN ('pending', 'running')`;
      });
    },
    async removeDeadServers(expiredBefore) {
      // SKIP LOCKED: a row another pruner (or its own server's renewal) holds is left to it, so
      // concurrent pruners never wait on each other; a row renewed since this statement's snapshot
      // is re-checked on the locked version, so a server that came back keeps its row.
      const rows = await sql<{ id: string }[]>`
        DELETE FROM servers d USING (
          SELECT id FROM servers s
          WHERE s.lease_until < ${expiredBefore}
            AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.owner = s.id AND r.status IN ('pending', 'running'))
          FOR UPDATE SKIP LOCKED
        ) dead
        WHERE d.id = dead.id
        RETURNING d.id`;
      return rows.map((r) => r.id).sort();
    },
    async claimRequests(owner, now, limit, ids, needs) {
      // By id, a request the caller already owns is taken too (handed over to it: transferRequests).
      const only =
        ids === undefined
          ? sql`AND (needs IS NULL OR needs = ANY(${(needs ?? []) as string[]})) AND ${claimable(owner, now)}`
          : sql`AND id = ANY(${ids as string[]}) AND (q.owner = ${owner} OR ${claimable(owner, now)})`;
      const rows = await sql<SqlRequest[]>`
        UPDATE requests r SET owner = ${owner}, needs = NULL
        FROM (
          SELECT id AS claim_id FROM requests q
          WHERE status IN ('pending', 'running') ${only}
          ORDER BY created_at LIMIT ${limit}
          FOR UPDATE SKIP LOCKED
        ) c
        WHERE r.id = c.claim_id
        RETURNING ${returning}`;
      return rows.map(toRequest);
    },
    async claimableNeeds(owner, now) {
      const rows = await sql<{ needs: string }[]>`
        SELECT DISTINCT needs FROM requests q
        WHERE needs IS NOT NULL AND status IN ('pending', 'running') AND ${claimable(owner, now)}`;
      return rows.map((r) => r.needs);
    },
    async notOwned(owner, ids) {
      if (ids.length === 0) return [];
      const rows = await sql<{ id: string }[]>`
        SELECT id FROM requests WHERE id = ANY(${ids as string[]}) AND owner IS DISTINCT FROM ${owner}`;
      return rows.map((r) => r.id);
    },
    async liveOwner(id, now) {
      const [row] = await sql<{ owner: string }[]>`
        SELECT r.owner FROM requests r JOIN servers s ON s.id = r.owner
        WHERE r.id = ${id} AND s.lease_until >= ${now}`;
      return row?.owner ?? null;
    },
    async transferRequests(from, to, ids) {
      if (ids.length === 0) return [];
      const rows = await sql<{ id: string }[]>`
        UPDATE requests SET owner = ${to}, needs = NULL
        WHERE owner = ${from} AND id = ANY(${ids as string[]}) AND status IN ('pending', 'running')
        RETURNING id`;
      return rows.map((r) => r.id);
    },
    async releaseRequests(owner, ids, needs = null) {
      if (ids.length === 0) return;
      await sql`
        UPDATE requests SET owner = NULL, needs = ${needs}
        WHERE owner = ${owner} AND id = ANY(${ids as string[]})`;
    },
  };
}
