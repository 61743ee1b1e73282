/**
 * `tributary keys create NAME [--namespace NS]… | list | rm <id>` (admin key in TRIBUTARY_API_KEY)
 *
 * `create` prints the new key on stdout, alone on its line, and only once: the server keeps its
 * digest, so a lost key is revoked and replaced, never recovered.
 */
import { Command } from "commander";
import { TributaryClient } from "../client/http.js";
import { collect, url } from "./options.js";
import { printJson } from "./context.js";
import { printTable, time } from "./format.js";

interface KeyFlags {
  server?: string;
  json?: boolean;
}

function client(flags: KeyFlags): TributaryClient {
  return new TributaryClient({ server: flags.server });
}

const withServer = (cmd: Command): Command =>
  cmd.option("--server <url>", "server URL (default: $TRIBUTARY_SERVER or http://127.0.0.1:8900)", url);

export function keysCommand(): Command {
  const cmd = new Command("keys").description("manage API keys (needs an admin key in TRIBUTARY_API_KEY)");

  cmd.addCommand(
    withServer(new Command("create"))
      .description("create a key, limited to the given namespaces (default: every namespace); prints it once")
      .argument("<name>", "what the key is for (shown in `keys list`)")
      .option("--namespace <ns>", "a namespace the key may use (repeatable)", collect)
      .option("--json", "print machine-readable JSON")
      .action(async (name: string, flags: KeyFlags & { namespace?: string[] }) => {
        const k = await client(flags).createKey(name, flags.namespace);
        if (flags.json) return printJson(k);
        process.stdout.write(`${k.key}\n`);
        process.stderr.write(
          `created key ${k.id} (${k.namespaces ? `namespaces: ${k.namespaces.join(", ")}` : "every namespace"}); it is shown only this once\n`,
        );
      }),
  );

  cmd.addCommand(
    withServer(new Command("list"))
      .description("list keys (never their secrets)")
      .option("--json", "print machine-readable JSON")
      .action(async (flags: KeyFlags) => {
        const keys = await client(flags).listKeys();
        if (flags.json) return printJson(keys);
        printTable(
          ["ID", "NAME", "NAMESPACES", "CREATED"],
          keys.map((k) => [k.id, k.name, k.namespaces ? k.namespaces.join(",") : "*", time(k.created_at)]),
          "no keys",
        );
      }),
  );

  cmd.addCommand(
    withServer(new Command("rm"))
      .description("revoke a key (its next use gets 401)")
      .argument("<id>", "key id (from `keys list`)")
      .action(async (id: string, flags: KeyFlags) => {
        await client(flags).deleteKey(id);
        process.stdout.write(`revoked key ${id}\n`);
      }),
  );

  return cmd;
}
