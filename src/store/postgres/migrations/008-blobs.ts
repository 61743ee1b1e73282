/**
 * PostgreSQL migration 008: the blob store in the database (postgres/blobs.ts), so a cluster on one
 * PostgreSQL needs no shared filesystem.
 *
 * - `blobs`: one row per key. A blob of at most one chunk keeps its bytes in `data`; a larger one
 *   has `data` NULL and its bytes in `blob_chunks` under `upload_id`.
 * - `blob_uploads`: a chunked upload in progress. Its chunks are written one statement at a time
 *   (no transaction spans an upload), and the row is deleted when the upload is published onto its
 *   key. Uploads left by a crashed server are swept after a day, with their chunks.
 * - Byte columns are stored EXTERNAL: out of line and uncompressed (payloads are often already
 *   compressed, and pglz on megabytes of random bytes only burns CPU).
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
CREATE TABLE blobs (
  key        text   PRIMARY KEY,
  size       bigint NOT NULL,
  data       bytea,
  upload_id  bigint,
  created_at bigint NOT NULL,
  CHECK ((data IS NULL) <> (upload_id IS NULL))
);
ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE blob_uploads (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key        text   NOT NULL,
  started_at bigint NOT NULL
);
CREATE INDEX blob_uploads_started_at ON blob_uploads (started_at);

CREATE TABLE blob_chunks (
  upload_id bigint  NOT NULL,
  seq       integer NOT NULL,
  data      bytea   NOT NULL,
  PRIMARY KEY (upload_id, seq)
);
ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
`;
