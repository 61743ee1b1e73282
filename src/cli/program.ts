/**
 * The command tree of `tributary` (docs/cli.md), one command per file.
 *
 * Flag errors come from commander and name the flag (`error: unknown option '--prot'`,
 * `error: option '--port <port>' argument 'x' is invalid. …`). Heavy modules (server, executor,
 * esbuild) are imported by the commands that need them, so `tributary requests list` starts fast.
 */
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { ClientError } from "../client/client-error.js";
import { appsCommand } from "./apps.js";
import { deployCommand } from "./deploy.js";
import { devCommand } from "./dev.js";
import { executorCommand } from "./executor.js";
import { keysCommand } from "./keys.js";
import { requestsCommand } from "./requests.js";
import { runCommand } from "./run.js";
import { secretsCommand } from "./secrets.js";
import { cronCommand } from "./cron.js";
import { serverCommand } from "./server.js";

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

/**
 * The whole command tree (exported for tests and embedding).
 *
 * @example
 * await buildProgram().parseAsync(["node", "tributary", "apps", "list"]);
 */
export function buildProgram(): Command {
  const program = new Command("tributary")
    .description("Durable serverless applications for TypeScript")
    .version(version())
    .showHelpAfterError("(run with --help for usage)")
    .showSuggestionAfterError(true);
  for (const cmd of [
    devCommand(),
    serverCommand(),
    executorCommand(),
    deployCommand(),
    runCommand(),
    requestsCommand(),
    secretsCommand(),
    cronCommand(),
    appsCommand(),
    keysCommand(),
  ]) {
    program.addCommand(cmd);
  }
  // Subcommands inherit the error behaviour, so `tributary requests lst` is an error, not a no-op.
  for (const cmd of program.commands) {
    cmd.showHelpAfterError("(run with --help for usage)").showSuggestionAfterError(true);
    for (const sub of cmd.commands) sub.showHelpAfterError("(run with --help for usage)");
  }
  return program;
}

/**
 * Maps an error to its one-line message (and the server's code for HTTP errors). A 401 adds where
 * the CLI reads its key from: the server's message cannot know (it answers any client).
 */
export function describeError(e: unknown, env: NodeJS.ProcessEnv = process.env): string {
  if (e instanceof ClientError) {
    if (e.status <= 0) return e.message;
    const line = `${e.message} (${e.code}, HTTP ${e.status})`;
    return e.status === 401 ? `${line}; ${apiKeyHint(env.TRIBUTARY_API_KEY)}` : line;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}

/** What to do about a 401, from the key the CLI sent (config.ts reads a blank variable as unset). */
function apiKeyHint(key: string | undefined): string {
  if (key === undefined) return "this server needs an API key: set TRIBUTARY_API_KEY";
  if (key.trim() === "") return "TRIBUTARY_API_KEY is empty, so no key was sent: set it to an API key of this server";
  return "the key sent is TRIBUTARY_API_KEY's: set it to a valid API key of this server";
}
