/**
 * PostgreSQL migration 006: each attempt's usage, the columns of sqlite/migrations/006-attempt-usage.ts
 * (null for attempts from before it, still running, or lost with their executor).
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
ALTER TABLE attempts ADD COLUMN wall_seconds double precision;
ALTER TABLE attempts ADD COLUMN cpu_seconds double precision;
ALTER TABLE attempts ADD COLUMN peak_memory_bytes bigint;
ALTER TABLE attempts ADD COLUMN memory_gb_seconds double precision;
ALTER TABLE attempts ADD COLUMN container_started boolean;
`;
