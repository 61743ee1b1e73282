/**
 * `tributary apps list | rm <app>`
 */
import { Command } from "commander";
import { clientFor, printJson, withClientFlags, type ClientFlags } from "./context.js";
import { printTable, time } from "./format.js";

export function appsCommand(): Command {
  const cmd = new Command("apps").description("list and delete deployed applications");

  cmd.addCommand(
    withClientFlags(new Command("list"))
      .description("list applications with their current version")
      .option("--json", "print machine-readable JSON")
      .action(async (flags: ClientFlags & { json?: boolean }) => {
        const apps = await clientFor(flags).listApplications();
        if (flags.json) return printJson(apps);
        const rows = apps.map((a) => [
          a.name,
          String(a.version),
          time(a.created_at),
          String((a.functions ?? []).length),
        ]);
        printTable(["NAME", "VERSION", "DEPLOYED", "FUNCTIONS"], rows, "no applications");
      }),
  );

  cmd.addCommand(
    withClientFlags(new Command("rm"))
      .description("delete an application (its requests keep their pinned version)")
      .argument("<app>", "application name")
      .action(async (app: string, flags: ClientFlags) => {
        await clientFor(flags).deleteApplication(app);
        process.stdout.write(`deleted application ${app}\n`);
      }),
  );

  return cmd;
}
