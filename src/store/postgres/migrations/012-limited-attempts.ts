/**
 * PostgreSQL migration 012: `limited_attempts`, the running attempts of functions with a
 * cluster-wide `maxContainers` (attempts.ts `startAttempt` with a limit), one row per attempt under
 * its limit's key. A limited start counted the running attempts of its functions by filtering
 * `attempts` on `status = 'running'`, which no index serves since migration 011 (an index on
 * `status` would make every attempt's finish a non-HOT update): a sequential scan of the whole
 * attempt history on every limited start, under the limit's lock (10–15 ms with 100,000 finished
 * attempts). This table holds only running limited attempts, so the count reads a few rows:
 * a limited start inserts its row in its own statement, and every finish deletes the attempt's row
 * (an index probe on this small table; nothing for an unlimited attempt).
 *
 * Attempts running while this migration is applied are not in it: until they finish, a limited
 * function may start that many attempts more than its maximum.
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
`;
