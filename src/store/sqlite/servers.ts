/**
 * Scale-out leases (DESIGN.md §3), SQLite flavour: the same rows and semantics as
 * postgres/servers.ts, so both adapters pass one contract. One process owns a SQLite store, so
 * the server never calls these on it; a claim is one IMMEDIATE transaction (the write lock makes
 * concurrent claimers take turns).
 */
import type Database from "better-sqlite3";
import { toRequest, type SqlRequest } from "../shared/rows.js";
import type { ServerMethods } from "../types.js";
import { REQUEST_COLUMNS } from "./requests.js";

const CLAIMABLE = `status IN ('pending', 'running')
  AND (owner IS NULL OR (owner <> @owner
    AND NOT EXISTS (SELECT 1 FROM servers s WHERE s.id = requests.owner AND s.lease_until >= @now)))`;

export function serverMethods(db: Database.Database): ServerMethods {
  const oldLease = db.prepare<[string], { lease_until: number }>("SELECT lease_until FROM servers WHERE id = ?");
  const renew = db.prepare<[string, number, number, string | null]>(
    `INSERT INTO servers (id, started_at, lease_until, capabilities) VALUES (?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET lease_until = excluded.lease_until, capabilities = excluded.capabilities`,
  );
  const peers = db.prepare<[string, number], { id: string; capabilities: string | null }>(
    "SELECT id, capabilities FROM servers WHERE id <> ? AND lease_until >= ? ORDER BY id",
  );
  const drop = db.prepare<[string]>("DELETE FROM servers WHERE id = ?");
  // One statement under SQLite's write lock: concurrent callers take turns.
  const dropDead = db.prepare<[number], { id: string }>(
    `DELETE FROM servers WHERE lease_until < ?
       AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.owner = servers.id AND r.status IN ('pending', 'running'))
     RETURNING id`,
  );
  const disown = db.prepare<[string]>(
    "UPDATE requests SET owner = NULL WHERE owner = ? AND status IN ('pending', 'running')",
  );
  const claimable = db.prepare<{ owner: string; now: number; limit: number; needs: string }, SqlRequest>(
    `SELECT ${REQUEST_COLUMNS} FROM requests WHERE ${CLAIMABLE}
       AND (needs IS NULL OR needs IN (SELECT value FROM json_each(@needs)))
     ORDER BY created_at LIMIT @limit`,
  );
  // By id, a request the caller already owns is taken too (handed over to it: `transferRequests`).
  const claimableOne = db.prepare<{ owner: string; now: number; id: string }, SqlRequest>(
    `SELECT ${REQUEST_COLUMNS} FROM requests WHERE id = @id
       AND (${CLAIMABLE} OR (owner = @owner AND status IN ('pending', 'running')))`,
  );
  const needsOf = db.prepare<{ owner: string; now: number }, { needs: string }>(
    `SELECT DISTINCT needs FROM requests WHERE needs IS NOT NULL AND ${CLAIMABLE}`,
  );
  const ownerIs = db.prepare<[string], { owner: string | null }>("SELECT owner FROM requests WHERE id = ?");
  const ownerOf = db.prepare<[string, number], { owner: string }>(
    `SELECT r.owner FROM requests r JOIN servers s ON s.id = r.owner WHERE r.id = ? AND s.lease_until >= ?`,
  );
  const own = db.prepare<[string, string]>("UPDATE requests SET owner = ?, needs = NULL WHERE id = ?");
  const release = db.prepare<[string | null, string, string]>(
    "UPDATE requests SET owner = NULL, needs = ? WHERE owner = ? AND id = ?",
  );

  const renewTx = db.transaction(
    (id: string, startedAt: number, now: number, leaseUntil: number, capabilities: string | null) => {
      const old = oldLease.get(id);
      renew.run(id, startedAt, leaseUntil, capabilities);
      return { peers: peers.all(id, now), lapsed: old === undefined || old.lease_until < now };
    },
  );
  const remove = db.transaction((id: string) => {
    drop.run(id);
    disown.run(id);
  });
  const claim = db.transaction(
    (owner: string, now: number, limit: number, ids?: readonly string[], needs?: readonly string[]) => {
      const rows =
        ids === undefined
          ? claimable.all({ owner, now, limit, needs: JSON.stringify(needs ?? []) })
          : ids.flatMap((id) => claimableOne.all({ owner, now, id })).slice(0, limit);
      for (const r of rows) own.run(owner, r.id);
      return rows.map(toRequest);
    },
  );
  const transfer = db.prepare<[string, string, string], { id: string }>(
    "UPDATE requests SET owner = ?, needs = NULL WHERE owner = ? AND id = ? AND status IN ('pending', 'running') RETURNING id",
  );
  const transferAll = db.transaction((from: string, to: string, ids: readonly string[]) =>
    ids.filter((id) => transfer.get(to, from, id) !== undefined),
  );
  const releaseAll = db.transaction((owner: string, ids: readonly string[], needs: string | null) => {
    for (const id of ids) release.run(needs, owner, id);
  });

  return {
    async renewServerLease(id, startedAt, now, leaseUntil, capabilities) {
      return renewTx.immediate(id, startedAt, now, leaseUntil, capabilities);
    },
    async removeServer(id) {
      remove.immediate(id);
    },
    async removeDeadServers(expiredBefore) {
      return dropDead
        .all(expiredBefore)
        .map((r) => r.id)
        .sort();
    },
    async claimRequests(owner, now, limit, ids, needs) {
      return claim.immediate(owner, now, limit, ids, needs);
    },
    async claimableNeeds(owner, now) {
      return needsOf.all({ owner, now }).map((r) => r.needs);
    },
    async notOwned(owner, ids) {
      return ids.filter((id) => {
        const row = ownerIs.get(id);
        return row !== undefined && row.owner !== owner;
      });
    },
    async liveOwner(id, now) {
      return ownerOf.get(id, now)?.owner ?? null;
    },
    async releaseRequests(owner, ids, needs = null) {
      releaseAll.immediate(owner, ids, needs);
    },
    async transferRequests(from, to, ids) {
      return transferAll.immediate(from, to, ids);
    },
  };
}
