/**
 * PostgreSQL migration 007: scale-out leases (DESIGN.md §3 Scale-out). `servers` holds one row per
 * running server with the time its lease runs to (renewed every few seconds); `requests.owner` is
 * the server that runs a request's state machine, null while unowned (claimable by any server).
 * A request whose owner holds no live lease is claimable too: that is how survivors take over.
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
CREATE TABLE servers (
  id          text   PRIMARY KEY,
  started_at  bigint NOT NULL,
  lease_until bigint NOT NULL
);
ALTER TABLE requests ADD COLUMN owner text;
CREATE INDEX requests_unfinished_owner ON requests (owner, created_at) WHERE status IN ('pending','running');
`;
