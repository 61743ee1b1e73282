/**
 * Five-field cron expressions in UTC (DESIGN.md §2 Schedules), parsed by croner. Tributary's own
 * part is the contract around it: exactly five fields (no seconds, no year, no `@hourly`
 * nicknames), and an error that names the field at fault.
 */
import { Cron } from "croner";

/** The fields in order, with what each accepts (for error messages). */
const FIELDS = [
  { name: "minute", accepts: "0-59" },
  { name: "hour", accepts: "0-23" },
  { name: "day of month", accepts: "1-31" },
  { name: "month", accepts: "1-12 or JAN-DEC" },
  { name: "day of week", accepts: "0-7 or SUN-SAT (0 and 7 are Sunday)" },
] as const;

const SHAPE = "five fields: minute hour day-of-month month day-of-week, in UTC";

/** A bad cron expression; `field` is the 1-based field at fault, when one is. */
export class CronExpressionError extends Error {
  override readonly name = "CronExpressionError";
  constructor(
    message: string,
    readonly details: { expression: string; field?: number; field_name?: string; value?: string },
  ) {
    super(message);
  }
}

/** A parsed expression: the tick strictly after a time. */
export interface CronTicks {
  /** The normalised expression (fields separated by one space). */
  readonly expression: string;
  /** The first tick (epoch ms, a whole minute, UTC) strictly after `afterMs`. */
  next(afterMs: number): number;
}

const compile = (pattern: string): Cron => new Cron(pattern, { mode: "5-part", timezone: "Etc/UTC", paused: true });

/**
 * Parses a five-field cron expression in UTC, or throws `CronExpressionError` saying what is wrong.
 *
 * @example
 * parseCron("*\/15 9-17 * * MON-FRI").next(Date.UTC(2026, 0, 5, 9, 7)) // Date.UTC(2026, 0, 5, 9, 15)
 */
export function parseCron(raw: string): CronTicks {
  const fields = raw
    .trim()
    .split(/\s+/)
    .filter((f) => f !== "");
  const expression = fields.join(" ");
  if (fields.length === 6) {
    throw new CronExpressionError(
      `cron_expression "${raw}" has 6 fields: seconds are not supported; expected ${SHAPE}`,
      { expression: raw },
    );
  }
  if (fields.length !== 5) {
    throw new CronExpressionError(
      `cron_expression "${raw}" has ${fields.length} field${fields.length === 1 ? "" : "s"}; expected ${SHAPE}`,
      { expression: raw },
    );
  }
  let cron: Cron;
  try {
    cron = compile(expression);
  } catch (e) {
    throw fieldError(raw, fields, (e as Error).message);
  }
  const ticks: CronTicks = {
    expression,
    next(afterMs) {
      const at = cron.nextRun(new Date(afterMs));
      if (at === null) throw new CronExpressionError(`cron_expression "${raw}" never fires`, { expression: raw });
      return at.getTime();
    },
  };
  // A valid-looking expression can still match no date at all (e.g. "0 0 30 2 *").
  ticks.next(Date.UTC(2000, 0, 1));
  return ticks;
}

/** Finds the field at fault by compiling each field alone, the others wildcards. */
function fieldError(raw: string, fields: string[], libraryMessage: string): CronExpressionError {
  for (let i = 0; i < FIELDS.length; i++) {
    const alone = FIELDS.map((_, j) => (j === i ? fields[i] : "*")).join(" ");
    try {
      compile(alone);
    } catch {
      const f = FIELDS[i]!;
      const value = fields[i] ?? "";
      return new CronExpressionError(
        `cron_expression field ${i + 1} (${f.name}) "${value}" is not valid: expected ${f.accepts}, "*", a list (1,2), a range (1-5) or a step (*/15)`,
        { expression: raw, field: i + 1, field_name: f.name, value },
      );
    }
  }
  return new CronExpressionError(
    `cron_expression "${raw}" is not valid: ${libraryMessage.replace(/^CronPattern: /, "")}`,
    { expression: raw },
  );
}
