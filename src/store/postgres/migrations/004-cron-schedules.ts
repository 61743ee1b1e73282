/**
 * PostgreSQL migration 004: cron schedules, the table of sqlite/migrations/004-cron-schedules.ts.
 * `next_fire_time_ms` is advanced by compare-and-set, so one tick is claimed by one server of a
 * cluster.
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
CREATE TABLE cron_schedules (
  id                text    COLLATE "C" PRIMARY KEY,
  namespace         text    COLLATE "C" NOT NULL,
  application       text    COLLATE "C" NOT NULL,
  cron_expression   text    NOT NULL,
  input_type        text,
  input_size        bigint,
  input_inline      bytea,
  input_blob        text    COLLATE "C",
  enabled           boolean NOT NULL DEFAULT true,
  next_fire_time_ms bigint  NOT NULL,
  last_fired_at_ms  bigint,
  created_at        bigint  NOT NULL
);
CREATE INDEX cron_schedules_by_app ON cron_schedules (namespace, application, created_at, id);
CREATE INDEX cron_schedules_due ON cron_schedules (next_fire_time_ms) WHERE enabled;
`;
