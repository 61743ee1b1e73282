/**
 * PostgreSQL migration 005: the invoke's headers (JSON text, without credentials), the column of
 * sqlite/migrations/005-request-headers.ts. Rows from before it have none.
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
ALTER TABLE requests ADD COLUMN headers text;
`;
