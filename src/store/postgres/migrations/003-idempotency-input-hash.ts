/**
 * PostgreSQL migration 003: the hash of a request's input beside its idempotency key, the column of
 * sqlite/migrations/003-idempotency-input-hash.ts. Rows from before it have no hash.
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
ALTER TABLE requests ADD COLUMN input_hash text COLLATE "C";
`;
