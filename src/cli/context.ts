/**
 * What every client command shares: the `--server`/`--namespace` flags, the client built from them
 * and the environment, and printing.
 */
import type { Command } from "commander";
import { TributaryClient } from "../client/http.js";
import { url } from "./options.js";

export interface ClientFlags {
  server?: string;
  namespace?: string;
}

/** Adds `--server URL` and `--namespace NS` to a command. */
export function withClientFlags(cmd: Command): Command {
  return cmd
    .option("--server <url>", "server URL (default: $TRIBUTARY_SERVER or http://127.0.0.1:8900)", url)
    .option("--namespace <ns>", "namespace", "default");
}

/**
 * The client for a command's flags; the API key comes from `TRIBUTARY_API_KEY`.
 *
 * @example
 * const client = clientFor(cmd.optsWithGlobals());
 */
export function clientFor(flags: ClientFlags): TributaryClient {
  return new TributaryClient({ server: flags.server, namespace: flags.namespace });
}

/** Prints a value as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

/** A failure the user caused or must act on; main prints `error: message` and exits 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
