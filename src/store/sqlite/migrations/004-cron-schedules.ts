/**
 * Migration 004: cron schedules (DESIGN.md §2 Schedules). `next_fire_time_ms` is the tick the
 * schedule fires next; servers advance it with a compare-and-set (`claimCronTick`), so one tick is
 * claimed by one server. The input is a payload like a request's (inline, or a blob key).
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
CREATE TABLE cron_schedules (
  id                TEXT    PRIMARY KEY,
  namespace         TEXT    NOT NULL,
  application       TEXT    NOT NULL,
  cron_expression   TEXT    NOT NULL,
  input_type        TEXT,
  input_size        INTEGER,
  input_inline      BLOB,
  input_blob        TEXT,
  enabled           INTEGER NOT NULL DEFAULT 1,
  next_fire_time_ms INTEGER NOT NULL,
  last_fired_at_ms  INTEGER,
  created_at        INTEGER NOT NULL
);
CREATE INDEX cron_schedules_by_app ON cron_schedules (namespace, application, created_at, id);
CREATE INDEX cron_schedules_due ON cron_schedules (next_fire_time_ms) WHERE enabled = 1;
`;
