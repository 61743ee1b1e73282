/**
 * PostgreSQL migration 001: the initial schema, the SQLite schema (sqlite/migrations/001-init.ts)
 * translated column for column.
 *
 * NEVER edit this file once shipped: databases in the field have already applied it. Change the
 * schema with a new numbered file (002-…) registered in `index.ts`.
 *
 * Conventions (as in SQLite, so rows map through the same functions):
 * - Times, sizes and byte counts are `bigint` milliseconds / bytes (the client parses int8 to a JS
 *   number; every value we store is below 2^53).
 * - A payload is four columns `<p>_type` (content type; NULL means "no payload"), `<p>_size`,
 *   `<p>_inline` (bytea) and `<p>_blob` (blob-store key).
 * - Manifests and executor labels/capacity/images are `jsonb` (structured, ours). PlainError,
 *   RequestError and event data stay JSON *text*: they carry user strings, and jsonb rejects
 *   `\u0000` and reorders keys, so text round-trips exactly what was written.
 * - Text columns that lists ORDER BY are COLLATE "C": byte order, as SQLite's BINARY, whatever
 *   the database's locale (keyset pagination on (created_at, id) depends on it).
 * - Insertion order (SQLite's rowid) is an identity column `ord` where a list depends on it.
 * - Children of a request cascade on its deletion; every foreign key column leads an index.
 */
export const sql = `
CREATE TABLE applications (
  namespace   text    COLLATE "C" NOT NULL,
  name        text    COLLATE "C" NOT NULL,
  version     integer NOT NULL CHECK (version >= 1),
  manifest    jsonb   NOT NULL,
  bundle_key  text    NOT NULL,
  created_at  bigint  NOT NULL,
  deleted_at  bigint,
  PRIMARY KEY (namespace, name, version)
);

CREATE TABLE requests (
  id              text    COLLATE "C" PRIMARY KEY,
  namespace       text    NOT NULL,
  application     text    NOT NULL,
  version         integer NOT NULL,
  status          text    NOT NULL CHECK (status IN ('pending','running','succeeded','failed','cancelled')),
  failure_reason  text,
  request_error   text,
  error           text,
  input_type      text,
  input_size      bigint,
  input_inline    bytea,
  input_blob      text,
  output_type     text,
  output_size     bigint,
  output_inline   bytea,
  output_blob     text,
  idempotency_key text,
  root_call_id    text    NOT NULL,
  created_at      bigint  NOT NULL,
  finished_at     bigint,
  -- Last event seq handed out for this request. Allocated by UPDATE … RETURNING inside the writing
  -- transaction: the row lock serialises writers of one request until they commit, so seqs are
  -- gap-free, in commit order, and never reused.
  event_seq       bigint  NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX requests_idempotency ON requests (namespace, application, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX requests_by_app ON requests (namespace, application, created_at DESC, id DESC);
CREATE INDEX requests_by_app_status ON requests (namespace, application, status, created_at DESC, id DESC);
CREATE INDEX requests_unfinished ON requests (created_at) WHERE status IN ('pending','running');

CREATE TABLE function_calls (
  id              text    PRIMARY KEY,
  ord             bigint  GENERATED ALWAYS AS IDENTITY,
  request_id      text    NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  parent_call_id  text,
  seq             integer NOT NULL,
  item            integer NOT NULL,
  function_name   text    NOT NULL,
  args_type       text    NOT NULL,
  args_size       bigint  NOT NULL,
  args_inline     bytea,
  args_blob       text,
  status          text    NOT NULL CHECK (status IN ('pending','running','succeeded','failed','cancelled')),
  attempts_used   integer NOT NULL DEFAULT 0,
  infra_retries   integer NOT NULL DEFAULT 0,
  not_before      bigint  NOT NULL,
  result_type     text,
  result_size     bigint,
  result_inline   bytea,
  result_blob     text,
  error           text,
  failure_reason  text,
  pending_reason  text,
  created_at      bigint  NOT NULL,
  finished_at     bigint
);
CREATE INDEX calls_by_request ON function_calls (request_id, ord);
-- One call per (parent, position, item): the journal lookup of a replayed parent.
CREATE UNIQUE INDEX calls_child ON function_calls (parent_call_id, seq, item) WHERE parent_call_id IS NOT NULL;
-- The scheduler's queue: small, because calls leave it as soon as they start.
CREATE INDEX calls_pending ON function_calls (created_at, ord) WHERE status = 'pending';

CREATE TABLE attempts (
  id              text    PRIMARY KEY,
  ord             bigint  GENERATED ALWAYS AS IDENTITY,
  call_id         text    NOT NULL REFERENCES function_calls (id) ON DELETE CASCADE,
  request_id      text    NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  number          integer NOT NULL CHECK (number >= 1),
  executor_id     text,
  container_id    text,
  status          text    NOT NULL CHECK (status IN ('running','succeeded','failed','cancelled')),
  failure_reason  text,
  error           text,
  started_at      bigint  NOT NULL,
  finished_at     bigint
);
CREATE UNIQUE INDEX attempts_by_call ON attempts (call_id, number);
CREATE INDEX attempts_by_request ON attempts (request_id, ord);
CREATE INDEX attempts_running ON attempts (executor_id, started_at) WHERE status = 'running';

CREATE TABLE events (
  request_id      text    NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  seq             bigint  NOT NULL,
  kind            text    NOT NULL,
  at              bigint  NOT NULL,
  call_id         text,
  -- NULL: the event has no parentCallId; '': parentCallId is null (a root call). Durable ids are
  -- never empty, so the two cases stay distinct without a second column.
  parent_call_id  text,
  function_name   text,
  attempt         integer,
  data            text,
  PRIMARY KEY (request_id, seq)
);

CREATE TABLE state (
  request_id      text    NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  key             text    COLLATE "C" NOT NULL,
  value_type      text    NOT NULL,
  value_size      bigint  NOT NULL,
  value_inline    bytea,
  value_blob      text,
  updated_at      bigint  NOT NULL,
  PRIMARY KEY (request_id, key)
);

CREATE TABLE metrics (
  id              bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id      text    NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  call_id         text    NOT NULL,
  function_name   text    NOT NULL,
  attempt         integer NOT NULL,
  kind            text    NOT NULL CHECK (kind IN ('counter','timer')),
  name            text    NOT NULL,
  value           double precision NOT NULL,
  at              bigint  NOT NULL
);
CREATE INDEX metrics_by_request ON metrics (request_id, id);

CREATE TABLE logs (
  -- A sequence never hands out a value twice, so a follower resuming "after id N" never sees a
  -- reused id. Ids are taken at insert, not commit: appendLogs serialises writers per request
  -- (advisory lock) so one request's ids also commit in order.
  id              bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id      text    NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  attempt_id      text    NOT NULL,
  call_id         text    NOT NULL,
  function_name   text    NOT NULL,
  stream          text    NOT NULL CHECK (stream IN ('stdout','stderr')),
  ts              bigint  NOT NULL,
  line            text    NOT NULL
);
CREATE INDEX logs_by_request ON logs (request_id, id);

CREATE TABLE executors (
  id              text    COLLATE "C" PRIMARY KEY,
  region          text    NOT NULL,
  labels          jsonb   NOT NULL,
  capacity        jsonb   NOT NULL,
  images          jsonb   NOT NULL,
  last_seen       bigint  NOT NULL
);

CREATE TABLE secrets (
  namespace       text    COLLATE "C" NOT NULL,
  name            text    COLLATE "C" NOT NULL,
  ciphertext      bytea   NOT NULL,
  updated_at      bigint  NOT NULL,
  PRIMARY KEY (namespace, name)
);
`;
