/**
 * Migration 007: scale-out leases, the columns of postgres/migrations/007-server-leases.ts. A SQLite
 * store serves one server, so they stay unused there (the engine owns every request it holds); they
 * exist so that both adapters keep one schema and pass one contract.
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
CREATE TABLE servers (
  id          TEXT    PRIMARY KEY,
  started_at  INTEGER NOT NULL,
  lease_until INTEGER NOT NULL
);
ALTER TABLE requests ADD COLUMN owner TEXT;
CREATE INDEX requests_unfinished_owner ON requests (owner, created_at) WHERE status IN ('pending','running');
`;
