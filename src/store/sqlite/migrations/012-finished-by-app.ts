/**
 * Migration 012: the index that lists an application's requests by status holds finished
 * requests only (`requests_finished_by_app`, partial), replacing `requests_by_app_status`.
 *
 * Why: `status` was a key column of `requests_by_app_status`, so each request wrote it five times:
 * the insert (pending), then a delete and an insert when it started running and again when it
 * finished, each a B-tree operation on a five-column key. Dropping the index cut the SQLite
 * store's instructions per trivial request by 8 % (bench/store-micro.ts under callgrind). A partial
 * index whose WHERE names only finished statuses is written once, when the request finishes: on
 * the pending → running change SQLite evaluates its WHERE for the old and the new row, finds
 * neither in it, and does no B-tree work. The WHERE names the two unfinished words rather than the
 * three finished ones: SQLite evaluates an IN list of more than two values by building a temporary
 * B-tree on every execution (see open-db.ts on CHECKs), and it evaluates this WHERE on every
 * INSERT and on every UPDATE of `status`; with three words the index cost more than it saved.
 *
 * Listing the pending or running requests of an application walks `requests_unfinished` (every
 * unfinished request, newest first) and filters; that set is the requests in flight, small next
 * to an application's history. requests.ts names the index of each case (INDEXED BY).
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
DROP INDEX IF EXISTS requests_by_app_status;
CREATE INDEX requests_finished_by_app ON requests (namespace, application, status, created_at DESC, id DESC)
  WHERE status NOT IN ('pending','running');
`;
