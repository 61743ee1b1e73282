/**
 * Migration 003: the hash of a request's input, stored beside its idempotency key, so that the same
 * key with a different input can be refused (`idempotency_key_reused`, docs/semantics.md). Rows from
 * before this migration have no hash; an invoke reusing their key is accepted as before.
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
ALTER TABLE requests ADD COLUMN input_hash TEXT;
`;
