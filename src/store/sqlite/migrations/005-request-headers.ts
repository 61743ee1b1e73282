/**
 * Migration 005: the headers of the invoke that created a request (JSON `[name, value]` pairs,
 * without credentials), which its functions read as `ctx.headers`. Rows from before it have none.
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
ALTER TABLE requests ADD COLUMN headers TEXT;
`;
