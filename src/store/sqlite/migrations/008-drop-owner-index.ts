/**
 * Migration 008: drops the partial index 007 added on `requests (owner, created_at)`. A SQLite store
 * serves one server, which never claims by owner, so the index was only a write on every request's
 * insert and finish (the hottest path); PostgreSQL keeps its own.
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
DROP INDEX IF EXISTS requests_unfinished_owner;
`;
