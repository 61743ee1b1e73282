/**
 * Migration 011: drops the partial indexes `calls_pending` and `attempts_running`, as PostgreSQL's
 * migration 011 does. No server path reads them: recovery lists the unfinished requests and reads
 * each one's calls and attempts by request; only `listPendingCalls` and `listRunningAttempts` (for
 * tools and tests) did. Yet each trivial request wrote them three times (a call enters and leaves
 * `calls_pending`, an attempt enters and leaves `attempts_running`), which were 3 of the ~28 pages
 * a request writes to the WAL when it commits alone (bench/store-micro.ts batch=1). Now the first
 * walks the unfinished requests' calls, the second scans.
 *
 * (There is no SQLite 010: numbers are reserved per change and need not be contiguous.)
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
DROP INDEX IF EXISTS calls_pending;
DROP INDEX IF EXISTS attempts_running;
`;
