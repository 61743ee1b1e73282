/**
 * PostgreSQL migration 012: less work per limited start and per transition (issue 12).
 *
 * - `limited_attempts`: the running attempts of functions with a cluster-wide `maxContainers`
 *   (attempts.ts `startAttempt` with a limit), one row per attempt under its limit's key. A limited
 *   start counted the running attempts of its functions by filtering `attempts` on
 *   `status = 'running'`, which no index serves since migration 011 (an index on `status` would make
 *   every attempt's finish a non-HOT update): a sequential scan of the whole attempt history on
 *   every limited start, under the limit's lock (10–15 ms with 100,000 finished attempts). This
 *   table holds only running limited attempts, so the count reads a few rows: a limited start
 *   inserts its row in its own statement, and every finish deletes the attempt's row (an index
 *   probe on this small table; nothing for an unlimited attempt). Attempts running while this
 *   migration is applied are not in it: until they finish, a limited function may start that many
 *   attempts more than its maximum.
 * - The CHECK constraints on the status words of `requests`, `function_calls` and `attempts` (and
 *   `attempts.number >= 1`) go: PostgreSQL builds each one's expression again from its text on
 *   every INSERT and UPDATE of the table, eight times per trivial request, about a fifth of the
 *   database's CPU per request. The test suites add them back to their schemas
 *   (vocabulary-checks.ts), so a wrong word still fails a test, as for SQLite (sqlite/open-db.ts).
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
CREATE TABLE limited_attempts (
  attempt_id  text PRIMARY KEY,
  request_id  text NOT NULL,
  limit_key   text NOT NULL
);
CREATE INDEX limited_attempts_by_key ON limited_attempts (limit_key);
ALTER TABLE requests DROP CONSTRAINT requests_status_check;
ALTER TABLE function_calls DROP CONSTRAINT function_calls_status_check;
ALTER TABLE attempts DROP CONSTRAINT attempts_number_check, DROP CONSTRAINT attempts_status_check;
`;
