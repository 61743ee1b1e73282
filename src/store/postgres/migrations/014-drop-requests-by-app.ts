/**
 * PostgreSQL migration 014: `requests_by_app` goes. Every request wrote it three times: its insert
 * and its two updates (start, finish), which are never HOT because they change `status`, a key
 * column of `requests_by_app_status` and in the predicate of `requests_unfinished_owner`, so each
 * adds a tuple to every index of the table. It served one query: an application's requests listed
 * without a status filter, newest first. requests.ts `listRequests` now reads that from
 * `requests_by_app_status`, one range per status from the cursor, at most `limit + 1` rows each,
 * whatever the size of the history (0.3 ms in the database for a page of 50 among 1.1M requests).
 * Database instructions per trivial request (callgrind, bench/store-micro-pg.ts): -5.4 % with the
 * root call started in its request's creation statement, -6.6 % started apart.
 *
 * During a rolling upgrade, a server of an earlier release lists an application's requests
 * without a status filter by sorting all of them (correct, slower on a large history) until it is
 * upgraded.
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
DROP INDEX requests_by_app;
`;
