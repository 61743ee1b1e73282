/**
 * PostgreSQL migration 002: API keys created through `/v1/keys` (DESIGN.md §4), the SQLite table
 * of sqlite/migrations/002-api-keys.ts. Only the SHA-256 digest of a key is stored.
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
CREATE TABLE api_keys (
  id              text    COLLATE "C" PRIMARY KEY,
  name            text    NOT NULL,
  namespaces      jsonb,
  hash            text    COLLATE "C" NOT NULL UNIQUE,
  created_at      bigint  NOT NULL
);
`;
