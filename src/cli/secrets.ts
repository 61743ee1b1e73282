/**
 * `tributary secrets set NAME [VALUE | --from-env VAR] | list | rm NAME`
 *
 * Values never appear in output. Without VALUE or --from-env, a piped stdin is read, so a value can
 * be set without it landing in the shell history.
 */
import { Command } from "commander";
import { CliError, clientFor, printJson, withClientFlags, type ClientFlags } from "./context.js";
import { printTable, time } from "./format.js";

export function secretsCommand(): Command {
  const cmd = new Command("secrets").description(
    "manage secrets (injected as environment variables into functions that list them)",
  );

  cmd.addCommand(
    withClientFlags(new Command("set"))
      .description("create or replace a secret")
      .argument("<name>", "secret name")
      .argument("[value]", "the value (or use --from-env, or pipe it on stdin)")
      .option("--from-env <var>", "take the value from this environment variable")
      .action(async (name: string, value: string | undefined, flags: ClientFlags & { fromEnv?: string }) => {
        const v = await secretValue(value, flags.fromEnv);
        if (v === "") throw new CliError(`secret ${name}: the value is empty`);
        await clientFor(flags).putSecret(name, v);
        process.stdout.write(`set secret ${name}\n`);
      }),
  );

  cmd.addCommand(
    withClientFlags(new Command("list"))
      .description("list secret names")
      .option("--json", "print machine-readable JSON")
      .action(async (flags: ClientFlags & { json?: boolean }) => {
        const secrets = await clientFor(flags).listSecrets();
        if (flags.json) return printJson(secrets);
        printTable(
          ["NAME", "UPDATED"],
          secrets.map((s) => [s.name, time(s.updated_at)]),
          "no secrets",
        );
      }),
  );

  cmd.addCommand(
    withClientFlags(new Command("rm"))
      .description("delete a secret")
      .argument("<name>", "secret name")
      .action(async (name: string, flags: ClientFlags) => {
        await clientFor(flags).deleteSecret(name);
        process.stdout.write(`deleted secret ${name}\n`);
      }),
  );

  return cmd;
}

async function secretValue(value: string | undefined, fromEnv: string | undefined): Promise<string> {
  if (value !== undefined && fromEnv !== undefined) throw new CliError("give either VALUE or --from-env, not both");
  if (fromEnv !== undefined) {
    const v = process.env[fromEnv];
    if (v === undefined) throw new CliError(`--from-env ${fromEnv}: the environment variable ${fromEnv} is not set`);
    return v;
  }
  if (value !== undefined) return value;
  if (process.stdin.isTTY) throw new CliError("missing VALUE: give VALUE, --from-env VAR, or pipe the value on stdin");
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  // One trailing newline is what `echo` and here-strings add; it is not part of the value.
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}
