/** Cron schedules; the tick claim is one conditional UPDATE (a compare-and-set across servers). */
import { payloadParams } from "../shared/rows.js";
import { scheduleRow as row, type CronMethods, type SqlSchedule } from "../shared/cron-rows.js";
import type { Sql } from "./connect.js";

export function cronScheduleMethods(sql: Sql): CronMethods {
  const cols = sql`id, namespace, application, cron_expression, input_type, input_size, input_inline, input_blob,
    enabled, next_fire_time_ms, last_fired_at_ms, created_at`;
  return {
    async createCronSchedule(s) {
      const input = payloadParams(s.input);
      await sql`
        INSERT INTO cron_schedules (id, namespace, application, cron_expression, input_type, input_size, input_inline,
          input_blob, enabled, next_fire_time_ms, last_fired_at_ms, created_at)
        VALUES (${s.id}, ${s.namespace}, ${s.application}, ${s.cronExpression}, ${input.type}, ${input.size},
          ${input.inline}, ${input.blob}, ${s.enabled}, ${s.nextFireTimeMs}, ${s.lastFiredAtMs}, ${s.createdAt})`;
    },
    async getCronSchedule(id) {
      const [r] = await sql<SqlSchedule[]>`SELECT ${cols} FROM cron_schedules WHERE id = ${id}`;
      return r ? row(r) : null;
    },
    async listCronSchedules(namespace, application) {
      const rows = await sql<SqlSchedule[]>`
        SELECT ${cols} FROM cron_schedules WHERE namespace = ${namespace} AND application = ${application}
        ORDER BY created_at, id`;
      return rows.map(row);
    },
    async listEnabledCronSchedules() {
      const rows = await sql<
        SqlSchedule[]
      >`SELECT ${cols} FROM cron_schedules WHERE enabled ORDER BY next_fire_time_ms, id`;
      return rows.map(row);
    },
    async deleteCronSchedule(namespace, application, id) {
      const r =
        await sql`DELETE FROM cron_schedules WHERE namespace = ${namespace} AND application = ${application} AND id = ${id}`;
      return r.count > 0;
    },
    async claimCronTick(id, tickMs, nextMs) {
      // One statement: PostgreSQL re-checks the WHERE on the latest row version after a concurrent
      // update, so of N servers racing for the same tick exactly one sees count 1.
      const r = await sql`
        UPDATE cron_schedules SET next_fire_time_ms = ${nextMs}, last_fired_at_ms = ${tickMs}
        WHERE id = ${id} AND next_fire_time_ms = ${tickMs} AND enabled`;
      return r.count === 1;
    },
  };
}
