/**
 * Migration 002: API keys created through `/v1/keys` (DESIGN.md §4). Only the SHA-256 digest of a
 * key is stored; the lookup by digest is the primary way in, hence its unique index.
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
CREATE TABLE api_keys (
  id              TEXT    PRIMARY KEY,
  name            TEXT    NOT NULL,
  namespaces      TEXT,
  hash            TEXT    NOT NULL UNIQUE,
  created_at      INTEGER NOT NULL
);
`;
