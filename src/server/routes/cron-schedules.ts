/**
 * Cron schedules of an application (Tensorlake's `cron-schedules` shape, DESIGN.md §4): create,
 * list, delete. The expression is checked here (five fields, UTC); the ticker (`../cron/ticker.ts`)
 * fires them. A schedule's input is kept inline in its row, hence its smaller limit.
 */
import { randomUUID } from "node:crypto";
import type { Hono } from "hono";
import { z } from "zod";
import type { CronScheduleInfo, CronScheduleList } from "../../core/api.js";
import type { CronScheduleRow, Payload } from "../../store/types.js";
import { readBody } from "../body.js";
import { ns, type ServerContext } from "../context.js";
import { CronExpressionError, parseCron } from "../cron/expression.js";
import { badRequest, notFound } from "../http-error.js";
import { checkInput, inputContract, type InputContract } from "../input-validation.js";
import { checkAppName, checkScheduleId } from "../names.js";

/** A schedule's input lives in its row: at most 1 MiB. */
const MAX_INPUT_BYTES = 1024 * 1024;

const body = z
  .object({
    cron_expression: z.string({ message: "cron_expression must be a string" }),
    input: z.unknown().optional(),
    input_base64: z.string().optional(),
  })
  .strict();

/** The list entry (Tensorlake's shape). */
const view = (r: CronScheduleRow): CronScheduleInfo => ({
  id: r.id,
  application_name: r.application,
  cron_expression: r.cronExpression,
  next_fire_time_ms: r.nextFireTimeMs,
  last_fired_at_ms: r.lastFiredAtMs,
  enabled: r.enabled,
});

export function cronScheduleRoutes(app: Hono, s: ServerContext): void {
  app.post("/applications/:app/cron-schedules", async (c) => {
    const namespace = ns(c);
    const name = checkAppName(c.req.param("app"));
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(await readBody(c, 2 * MAX_INPUT_BYTES)));
    } catch {
      throw badRequest('body must be JSON: { "cron_expression": "…", "input"?: … }', { path: "$" });
    }
    const parsed = body.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = ["$", ...(issue?.path ?? [])].join(".");
      throw badRequest(`invalid cron schedule at ${path}: ${issue?.message ?? "invalid"}`, { path });
    }
    const { cron_expression: expression, input, input_base64: base64 } = parsed.data;
    let ticks;
    try {
      ticks = parseCron(expression);
    } catch (e) {
      if (e instanceof CronExpressionError) throw badRequest(e.message, { path: "$.cron_expression", ...e.details });
      throw e;
    }
    const appV = await s.engine.application(namespace, name);
    if (!appV) throw notFound(`application '${name}' is not deployed in namespace '${namespace}'`);
    const entry = appV.manifest.applications.find((a) => a.name === name)!;
    const payload = inputPayload(input, base64, `${namespace}/${name}@${appV.version}`, inputContract(entry));
    const now = s.engine.now();
    const row: CronScheduleRow = {
      id: `cron_${randomUUID().replaceAll("-", "")}`,
      namespace,
      application: name,
      cronExpression: ticks.expression,
      input: payload,
      enabled: true,
      nextFireTimeMs: ticks.next(now),
      lastFiredAtMs: null,
      createdAt: now,
    };
    await s.store.createCronSchedule(row);
    s.onSchedulesChanged?.();
    return c.json({ schedule_id: row.id });
  });

  app.get("/applications/:app/cron-schedules", async (c) => {
    const rows = await s.store.listCronSchedules(ns(c), checkAppName(c.req.param("app")));
    return c.json({ schedules: rows.map(view) } satisfies CronScheduleList);
  });

  app.delete("/applications/:app/cron-schedules/:id", async (c) => {
    const name = checkAppName(c.req.param("app"));
    const id = checkScheduleId(c.req.param("id"));
    if (!(await s.store.deleteCronSchedule(ns(c), name, id)))
      throw notFound(`cron schedule '${id}' of application '${name}' not found`);
    s.onSchedulesChanged?.();
    return c.json({ deleted: id });
  });
}

/** `input` (any JSON value, checked against the input schema or the handler's type) or `input_base64` (raw bytes). */
function inputPayload(
  input: unknown,
  base64: string | undefined,
  schemaKey: string,
  contract: InputContract,
): Payload | null {
  if (input !== undefined && base64 !== undefined)
    throw badRequest("give input or input_base64, not both", { path: "$.input_base64" });
  let bytes: Uint8Array;
  let contentType: string;
  if (base64 !== undefined) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64))
      throw badRequest("input_base64 is not base64", { path: "$.input_base64" });
    bytes = Buffer.from(base64, "base64");
    contentType = "application/octet-stream";
  } else if (input !== undefined) {
    bytes = new TextEncoder().encode(JSON.stringify(input));
    contentType = "application/json";
    checkInput(bytes, contentType, schemaKey, contract);
  } else {
    return null;
  }
  if (bytes.byteLength > MAX_INPUT_BYTES)
    throw badRequest(`a schedule's input is limited to ${MAX_INPUT_BYTES} bytes`, {
      path: base64 !== undefined ? "$.input_base64" : "$.input",
    });
  return { contentType, size: bytes.byteLength, inline: bytes, blobKey: null };
}
