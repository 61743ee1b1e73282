/**
 * PostgreSQL migration 011: less work per state transition (issue 12). Measured on the trivial
 * request (one call, one attempt, six events) before this step: 34 index insertions, 9 foreign-key
 * checks (each a query run by a trigger) and no HOT update, because every transition changes a
 * `status` that a partial index's predicate reads.
 *
 * - `requests_unfinished` goes: it was written with each request (and its first update) and read
 *   only by recovery's list of unfinished requests and by claims, which `requests_unfinished_owner`
 *   (same predicate) serves as well: the unfinished set is small, and sorting it costs nothing.
 * - `calls_pending` and `attempts_running` go: no server path reads them (only `listPendingCalls`
 *   and `listRunningAttempts`, for tools and tests: the first now walks the unfinished requests'
 *   calls, the second scans). Without a `status` column in any of their indexes, a call's and an
 *   attempt's transitions can be HOT updates (no index touched) when their page has room: hence
 *   `fillfactor` 80 on both tables (new pages only; old ones fill as before).
 * - The foreign keys of `events`, `function_calls` and `attempts` to their request (and call) go:
 *   each row inserted ran a check query. Every statement that inserts such a row takes it from the
 *   row it hangs on (`FROM req`, `FROM counter`, `FROM claimed`) or fails when that row is missing
 *   (`tributary_refuse`), so no orphan can be written; `deleteRequest` deletes the three explicitly
 *   (state, metrics and logs still cascade).
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
DROP INDEX requests_unfinished;
DROP INDEX calls_pending;
DROP INDEX attempts_running;
ALTER TABLE function_calls SET (fillfactor = 80);
ALTER TABLE attempts SET (fillfactor = 80);
ALTER TABLE events DROP CONSTRAINT events_request_id_fkey;
ALTER TABLE attempts DROP CONSTRAINT attempts_call_id_fkey;
ALTER TABLE attempts DROP CONSTRAINT attempts_request_id_fkey;
ALTER TABLE function_calls DROP CONSTRAINT function_calls_request_id_fkey;
`;
