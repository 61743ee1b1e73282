/**
 * Migration 001: the initial schema.
 *
 * NEVER edit this file once shipped: databases in the field have already applied it. Change the
 * schema with a new numbered file (002-…) registered in `index.ts`.
 *
 * Conventions:
 * - Times are integer milliseconds since the epoch.
 * - A payload is four columns `<p>_type` (content type; NULL means "no payload"), `<p>_size`,
 *   `<p>_inline` (BLOB) and `<p>_blob` (blob-store key).
 * - PlainError, RequestError, manifests, labels and event data are JSON text.
 * - Status columns hold the words of src/core/status.ts; CHECK constraints keep them honest.
 * - Children of a request cascade on its deletion, so `deleteRequest` is one statement; every
 *   foreign key column is the leading column of an index (cascades must not scan).
 */
export const sql = `
CREATE TABLE applications (
  namespace   TEXT    NOT NULL,
  name        TEXT    NOT NULL,
  version     INTEGER NOT NULL CHECK (version >= 1),
  manifest    TEXT    NOT NULL,
  bundle_key  TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  deleted_at  INTEGER,
  PRIMARY KEY (namespace, name, version)
);

CREATE TABLE requests (
  id              TEXT    PRIMARY KEY,
  namespace       TEXT    NOT NULL,
  application     TEXT    NOT NULL,
  version         INTEGER NOT NULL,
  status          TEXT    NOT NULL CHECK (status IN ('pending','running','succeeded','failed','cancelled')),
  failure_reason  TEXT,
  request_error   TEXT,
  error           TEXT,
  input_type      TEXT,
  input_size      INTEGER,
  input_inline    BLOB,
  input_blob      TEXT,
  output_type     TEXT,
  output_size     INTEGER,
  output_inline   BLOB,
  output_blob     TEXT,
  idempotency_key TEXT,
  root_call_id    TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  finished_at     INTEGER,
  -- Last event seq handed out for this request: seq is allocated here, inside the writing
  -- transaction, so it is gap-free and never reused even if events are ever pruned.
  event_seq       INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX requests_idempotency ON requests (namespace, application, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX requests_by_app ON requests (namespace, application, created_at DESC, id DESC);
CREATE INDEX requests_by_app_status ON requests (namespace, application, status, created_at DESC, id DESC);
CREATE INDEX requests_unfinished ON requests (created_at) WHERE status IN ('pending','running');

CREATE TABLE function_calls (
  id              TEXT    PRIMARY KEY,
  request_id      TEXT    NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  parent_call_id  TEXT,
  seq             INTEGER NOT NULL,
  item            INTEGER NOT NULL,
  function_name   TEXT    NOT NULL,
  args_type       TEXT    NOT NULL,
  args_size       INTEGER NOT NULL,
  args_inline     BLOB,
  args_blob       TEXT,
  status          TEXT    NOT NULL CHECK (status IN ('pending','running','succeeded','failed','cancelled')),
  attempts_used   INTEGER NOT NULL DEFAULT 0,
  infra_retries   INTEGER NOT NULL DEFAULT 0,
  not_before      INTEGER NOT NULL,
  result_type     TEXT,
  result_size     INTEGER,
  result_inline   BLOB,
  result_blob     TEXT,
  error           TEXT,
  failure_reason  TEXT,
  pending_reason  TEXT,
  created_at      INTEGER NOT NULL,
  finished_at     INTEGER
);
CREATE INDEX calls_by_request ON function_calls (request_id);
-- One call per (parent, position, item): the journal lookup of a replayed parent.
CREATE UNIQUE INDEX calls_child ON function_calls (parent_call_id, seq, item) WHERE parent_call_id IS NOT NULL;
-- The scheduler's queue: small, because calls leave it as soon as they start.
CREATE INDEX calls_pending ON function_calls (created_at) WHERE status = 'pending';

CREATE TABLE attempts (
  id              TEXT    PRIMARY KEY,
  call_id         TEXT    NOT NULL REFERENCES function_calls (id) ON DELETE CASCADE,
  request_id      TEXT    NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  number          INTEGER NOT NULL CHECK (number >= 1),
  executor_id     TEXT,
  container_id    TEXT,
  status          TEXT    NOT NULL CHECK (status IN ('running','succeeded','failed','cancelled')),
  failure_reason  TEXT,
  error           TEXT,
  started_at      INTEGER NOT NULL,
  finished_at     INTEGER
);
CREATE UNIQUE INDEX attempts_by_call ON attempts (call_id, number);
CREATE INDEX attempts_by_request ON attempts (request_id);
CREATE INDEX attempts_running ON attempts (executor_id, started_at) WHERE status = 'running';

CREATE TABLE events (
  request_id      TEXT    NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  seq             INTEGER NOT NULL,
  kind            TEXT    NOT NULL,
  at              INTEGER NOT NULL,
  call_id         TEXT,
  -- NULL: the event has no parentCallId; '': parentCallId is null (a root call). Durable ids are
  -- never empty, so the two cases stay distinct without a second column.
  parent_call_id  TEXT,
  function_name   TEXT,
  attempt         INTEGER,
  data            TEXT,
  PRIMARY KEY (request_id, seq)
) WITHOUT ROWID; -- small rows, always read by (request_id, seq): one b-tree instead of two

CREATE TABLE state (
  request_id      TEXT    NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  key             TEXT    NOT NULL,
  value_type      TEXT    NOT NULL,
  value_size      INTEGER NOT NULL,
  value_inline    BLOB,
  value_blob      TEXT,
  updated_at      INTEGER NOT NULL,
  PRIMARY KEY (request_id, key)
);

CREATE TABLE metrics (
  id              INTEGER PRIMARY KEY,
  request_id      TEXT    NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  call_id         TEXT    NOT NULL,
  function_name   TEXT    NOT NULL,
  attempt         INTEGER NOT NULL,
  kind            TEXT    NOT NULL CHECK (kind IN ('counter','timer')),
  name            TEXT    NOT NULL,
  value           REAL    NOT NULL,
  at              INTEGER NOT NULL
);
CREATE INDEX metrics_by_request ON metrics (request_id, id);

CREATE TABLE logs (
  -- AUTOINCREMENT: ids are never reused after deletions, so a follower resuming "after id N"
  -- can never skip a line.
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id      TEXT    NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  attempt_id      TEXT    NOT NULL,
  call_id         TEXT    NOT NULL,
  function_name   TEXT    NOT NULL,
  stream          TEXT    NOT NULL CHECK (stream IN ('stdout','stderr')),
  ts              INTEGER NOT NULL,
  line            TEXT    NOT NULL
);
CREATE INDEX logs_by_request ON logs (request_id, id);

CREATE TABLE executors (
  id              TEXT    PRIMARY KEY,
  region          TEXT    NOT NULL,
  labels          TEXT    NOT NULL,
  capacity        TEXT    NOT NULL,
  images          TEXT    NOT NULL,
  last_seen       INTEGER NOT NULL
);

CREATE TABLE secrets (
  namespace       TEXT    NOT NULL,
  name            TEXT    NOT NULL,
  ciphertext      BLOB    NOT NULL,
  updated_at      INTEGER NOT NULL,
  PRIMARY KEY (namespace, name)
) WITHOUT ROWID;
`;
