/**
 * `tributary cron create <app> "<cron expression>" [input-json] | list <app> | rm <app> <id>`
 *
 * Schedules are five-field cron expressions in UTC; each tick makes one request of the application
 * (docs/semantics.md). The server checks the expression and answers a bad one with what is wrong.
 */
import { Command } from "commander";
import { CliError, clientFor, printJson, withClientFlags, type ClientFlags } from "./context.js";
import { printTable, time } from "./format.js";

export function cronCommand(): Command {
  const cmd = new Command("cron").description("manage cron schedules (five fields, UTC) that invoke an application");

  cmd.addCommand(
    withClientFlags(new Command("create"))
      .description("create a schedule; prints its id")
      .argument("<app>", "application name")
      .argument("<expression>", 'five-field cron expression in UTC, quoted (e.g. "*/15 * * * *")')
      .argument("[input-json]", "the JSON input of every request it makes")
      .action(async (app: string, expression: string, inputJson: string | undefined, flags: ClientFlags) => {
        const id = await clientFor(flags).createCronSchedule(app, expression, parseInput(inputJson));
        process.stdout.write(`${id}\n`);
      }),
  );

  cmd.addCommand(
    withClientFlags(new Command("list"))
      .description("list an application's schedules with their next and last fire times")
      .argument("<app>", "application name")
      .option("--json", "print machine-readable JSON")
      .action(async (app: string, flags: ClientFlags & { json?: boolean }) => {
        const schedules = await clientFor(flags).listCronSchedules(app);
        if (flags.json) return printJson(schedules);
        printTable(
          ["ID", "EXPRESSION (UTC)", "NEXT", "LAST", "ENABLED"],
          schedules.map((s) => [
            s.id,
            s.cron_expression,
            time(s.next_fire_time_ms),
            time(s.last_fired_at_ms),
            s.enabled ? "yes" : "no",
          ]),
          `no cron schedules for ${app}`,
        );
      }),
  );

  cmd.addCommand(
    withClientFlags(new Command("rm"))
      .description("delete a schedule")
      .argument("<app>", "application name")
      .argument("<id>", "schedule id (from create or list)")
      .action(async (app: string, id: string, flags: ClientFlags) => {
        await clientFor(flags).deleteCronSchedule(app, id);
        process.stdout.write(`deleted cron schedule ${id}\n`);
      }),
  );

  return cmd;
}

function parseInput(raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (e) {
    throw new CliError(`input-json is not valid JSON: ${(e as Error).message}`);
  }
}
