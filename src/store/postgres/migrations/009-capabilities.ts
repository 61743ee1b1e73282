/**
 * PostgreSQL migration 009: placement across servers (DESIGN.md §3 Scale-out, "Shared work").
 * `servers.capabilities` is what the server's connected executors can run (a JSON summary written
 * with each lease renewal); `requests.needs` marks an unowned request with the requirements of the
 * ready call that no executor of its last owner could run (canonical JSON), so that only a server
 * whose executors meet them claims it. Null: any server may claim it.
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
ALTER TABLE servers ADD COLUMN capabilities text;
ALTER TABLE requests ADD COLUMN needs text;
CREATE INDEX requests_unfinished_needs ON requests (needs) WHERE needs IS NOT NULL AND status IN ('pending','running');
`;
