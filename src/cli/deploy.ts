/**
 * `tributary deploy <entry.ts> [--server URL] [--namespace NS]`
 */
import { Command } from "commander";
import { pathFlag } from "./paths.js";
import { clientFor, printJson, withClientFlags, type ClientFlags } from "./context.js";

export function deployCommand(): Command {
  const cmd = new Command("deploy")
    .description("bundle an entry file and deploy every application it defines")
    .argument("<entry>", "the TypeScript or JavaScript entry file")
    .option("--json", "print machine-readable JSON");
  return withClientFlags(cmd).action(async (entry: string, flags: ClientFlags & { json?: boolean }) => {
    // Imported here so commands that never bundle do not load esbuild.
    const { deploy } = await import("../client/deploy.js");
    const client = clientFor(flags);
    const res = await deploy(pathFlag(entry), client);
    for (const n of res.notices) process.stderr.write(`notice: ${n}\n`);
    if (flags.json) return printJson({ applications: res.applications });
    for (const a of res.applications)
      process.stdout.write(
        `deployed ${a.name} version ${a.version} to ${client.server} (namespace ${client.namespace})\n`,
      );
  });
}
