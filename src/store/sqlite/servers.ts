/**
 * Scale-out leases (DESIGN.md §3), SQLite flavour: the same rows and semantics as
 * postgres/servers.ts, so both adapters pass one contract. One process owns a SQLite store, so
 * the server never calls these on it; a claim is one IMMEDIATE transaction (the write lock makes
 * concurrent claimers take turns).
 */
import type Database from "better-sqlite3";
import { toRequest, type SqlRequest } from "../shared/rows.js";
import type { Store } from "../types.js";
import { REQUEST_COLUMNS } from "./requests.js";

type ServerMethods = Pick<
  Store,
  "renewServerLease" | "removeServer" | "claimRequests" | "liveOwner" | "releaseRequests"
>;

const CLAIMABLE = `status IN ('pending', 'running')
  AND (owner IS NULL OR (owner <> @owner
    AND NOT EXISTS (SELECT 1 FROM servers s WHERE s.id = requests.owner AND s.lease_until >= @now)))`;

export function serverMethods(db: Database.Database): ServerMethods {
  const renew = db.prepare<[string, number, number]>(
    `INSERT INTO servers (id, started_at, lease_until) VALUES (?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET lease_until = excluded.lease_until`,
  );
  const drop = db.prepare<[string]>("DELETE FROM servers WHERE id = ?");
  const disown = db.prepare<[string]>(
    "UPDATE requests SET owner = NULL WHERE owner = ? AND status IN ('pending', 'running')",
  );
  const claimable = db.prepare<{ owner: string; now: number; limit: number }, SqlRequest>(
    `SELECT ${REQUEST_COLUMNS} FROM requests WHERE ${CLAIMABLE} ORDER BY created_at LIMIT @limit`,
  );
  const claimableOne = db.prepare<{ owner: string; now: number; id: string }, SqlRequest>(
    `SELECT ${REQUEST_COLUMNS} FROM requests WHERE id = @id AND ${CLAIMABLE}`,
  );
  const ownerOf = db.prepare<[string, number], { owner: string }>(
    `SELECT r.owner FROM requests r JOIN servers s ON s.id = r.owner WHERE r.id = ? AND s.lease_until >= ?`,
  );
  const own = db.prepare<[string, string]>("UPDATE requests SET owner = ? WHERE id = ?");
  const release = db.prepare<[string, string]>("UPDATE requests SET owner = NULL WHERE owner = ? AND id = ?");

  const remove = db.transaction((id: string) => {
    drop.run(id);
    disown.run(id);
  });
  const claim = db.transaction((owner: string, now: number, limit: number, ids?: readonly string[]) => {
    const rows =
      ids === undefined
        ? claimable.all({ owner, now, limit })
        : ids.flatMap((id) => claimableOne.all({ owner, now, id })).slice(0, limit);
    for (const r of rows) own.run(owner, r.id);
    return rows.map(toRequest);
  });
  const releaseAll = db.transaction((owner: string, ids: readonly string[]) => {
    for (const id of ids) release.run(owner, id);
  });

  return {
    async renewServerLease(id, startedAt, leaseUntil) {
      renew.run(id, startedAt, leaseUntil);
    },
    async removeServer(id) {
      remove.immediate(id);
    },
    async claimRequests(owner, now, limit, ids) {
      return claim.immediate(owner, now, limit, ids);
    },
    async liveOwner(id, now) {
      return ownerOf.get(id, now)?.owner ?? null;
    },
    async releaseRequests(owner, ids) {
      releaseAll.immediate(owner, ids);
    },
  };
}
