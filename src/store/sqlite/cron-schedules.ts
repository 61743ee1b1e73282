/** Cron schedules; the tick claim is one conditional UPDATE (a compare-and-set). */
import type Database from "better-sqlite3";
import { payloadParams } from "../shared/rows.js";
import { scheduleRow as row, type CronMethods, type SqlSchedule } from "../shared/cron-rows.js";

const COLS = `id, namespace, application, cron_expression, input_type, input_size, input_inline, input_blob,
  enabled, next_fire_time_ms, last_fired_at_ms, created_at`;

export function cronScheduleMethods(db: Database.Database): CronMethods {
  const insert = db.prepare(
    `INSERT INTO cron_schedules (${COLS})
     VALUES (@id, @namespace, @application, @cron_expression, @input_type, @input_size, @input_inline, @input_blob,
       @enabled, @next_fire_time_ms, @last_fired_at_ms, @created_at)`,
  );
  const byId = db.prepare<[string], SqlSchedule>(`SELECT ${COLS} FROM cron_schedules WHERE id = ?`);
  const byApp = db.prepare<[string, string], SqlSchedule>(
    `SELECT ${COLS} FROM cron_schedules WHERE namespace = ? AND application = ? ORDER BY created_at, id`,
  );
  const enabled = db.prepare<[], SqlSchedule>(
    `SELECT ${COLS} FROM cron_schedules WHERE enabled = 1 ORDER BY next_fire_time_ms, id`,
  );
  const remove = db.prepare<[string, string, string]>(
    "DELETE FROM cron_schedules WHERE namespace = ? AND application = ? AND id = ?",
  );
  const claim = db.prepare<[number, number, string, number]>(
    "UPDATE cron_schedules SET next_fire_time_ms = ?, last_fired_at_ms = ? WHERE id = ? AND next_fire_time_ms = ? AND enabled = 1",
  );
  return {
    async createCronSchedule(s) {
      const input = payloadParams(s.input);
      insert.run({
        id: s.id,
        namespace: s.namespace,
        application: s.application,
        cron_expression: s.cronExpression,
        input_type: input.type,
        input_size: input.size,
        input_inline: input.inline,
        input_blob: input.blob,
        enabled: s.enabled ? 1 : 0,
        next_fire_time_ms: s.nextFireTimeMs,
        last_fired_at_ms: s.lastFiredAtMs,
        created_at: s.createdAt,
      });
    },
    async getCronSchedule(id) {
      const r = byId.get(id);
      return r ? row(r) : null;
    },
    async listCronSchedules(namespace, application) {
      return byApp.all(namespace, application).map(row);
    },
    async listEnabledCronSchedules() {
      return enabled.all().map(row);
    },
    async deleteCronSchedule(namespace, application, id) {
      return remove.run(namespace, application, id).changes > 0;
    },
    async claimCronTick(id, tickMs, nextMs) {
      return claim.run(nextMs, tickMs, id, tickMs).changes === 1;
    },
  };
}
