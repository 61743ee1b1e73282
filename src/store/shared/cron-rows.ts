/**
 * Cron schedule rows as both SQL adapters select them, and their mapping to `CronScheduleRow`.
 * `enabled` is an INTEGER 0/1 in SQLite and a boolean in PostgreSQL.
 */
import type { CronScheduleRow, Store } from "../types.js";
import { toPayload } from "./rows.js";

/** The Store methods a cron-schedule adapter module provides. */
export type CronMethods = Pick<
  Store,
  | "createCronSchedule"
  | "getCronSchedule"
  | "listCronSchedules"
  | "listEnabledCronSchedules"
  | "deleteCronSchedule"
  | "claimCronTick"
>;

export interface SqlSchedule {
  id: string;
  namespace: string;
  application: string;
  cron_expression: string;
  input_type: string | null;
  input_size: number | null;
  input_inline: Uint8Array | null;
  input_blob: string | null;
  enabled: number | boolean;
  next_fire_time_ms: number;
  last_fired_at_ms: number | null;
  created_at: number;
}

export const scheduleRow = (r: SqlSchedule): CronScheduleRow => ({
  id: r.id,
  namespace: r.namespace,
  application: r.application,
  cronExpression: r.cron_expression,
  input: toPayload(r.input_type, r.input_size, r.input_inline, r.input_blob),
  enabled: r.enabled === true || r.enabled === 1,
  nextFireTimeMs: r.next_fire_time_ms,
  lastFiredAtMs: r.last_fired_at_ms,
  createdAt: r.created_at,
});
