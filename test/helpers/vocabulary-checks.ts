/**
 * The status vocabulary of the hot tables as CHECK constraints, for test schemas only: migration
 * 012 drops them from every real schema, and the test helpers (test/helpers/postgres-database.ts)
 * add them back to each schema they migrate, so the store contract still fails on a wrong word
 * written by either store (the SQLite store does not run its CHECKs either: sqlite/open-db.ts).
 *
 * Why not in production: PostgreSQL builds each CHECK's expression again from its stored text on
 * every execution of every INSERT or UPDATE of the table (the executor's per-query set-up), eight
 * times per trivial request, and the columns are written only from SQL literals and typed values
 * (src/core/status.ts). Measured on the store alone (32 requests per commit, 4 alternating pairs at
 * load 11): 454 -> 361 µs of PostgreSQL CPU per request without them.
 */
export const VOCABULARY_CHECKS = `
ALTER TABLE requests ADD CONSTRAINT requests_status_check
  CHECK (status IN ('pending','running','succeeded','failed','cancelled'));
ALTER TABLE function_calls ADD CONSTRAINT function_calls_status_check
  CHECK (status IN ('pending','running','succeeded','failed','cancelled'));
ALTER TABLE attempts ADD CONSTRAINT attempts_number_check CHECK (number >= 1),
  ADD CONSTRAINT attempts_status_check CHECK (status IN ('running','succeeded','failed','cancelled'));
`;
