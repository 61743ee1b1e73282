/**
 * `tributary run <app> [input-json | --input-file F] [--server URL] [--no-follow] [--json]`
 *
 * Invokes, follows the progress stream with a bar per running function, prints the output.
 * Exit 0 when the request succeeded, 1 when it failed or was cancelled (with the reason on stderr).
 */
import { Command } from "commander";
import { encodeInput } from "../core/codec.js";
import type { TributaryClient } from "../client/http.js";
import { requestStream, type StreamItem } from "../client/sse.js";
import { CliError, clientFor, printJson, withClientFlags, type ClientFlags } from "./context.js";
import { readInputFile } from "./input-file.js";
import { outputAsJson, printOutput } from "./output-view.js";
import { ProgressView } from "./progress-view.js";

interface RunFlags extends ClientFlags {
  inputFile?: string;
  follow: boolean;
  json?: boolean;
}

export function runCommand(): Command {
  const cmd = new Command("run")
    .description("invoke an application, show live progress and print its output")
    .argument("<app>", "application name")
    .argument("[input-json]", "the input as JSON text (omit for no input)")
    .option("--input-file <file>", "send this file as the input (.json as JSON, anything else as a File)")
    .option("--no-follow", "print the request id and return without waiting")
    .option("--json", "print machine-readable JSON");
  return withClientFlags(cmd).action(async (app: string, inputJson: string | undefined, flags: RunFlags) => {
    const client = clientFor(flags);
    const input = await readInput(inputJson, flags.inputFile);
    const { request_id: id } = await client.invoke(app, input);
    if (!flags.follow) {
      if (flags.json) printJson({ request_id: id });
      else process.stdout.write(id + "\n");
      return;
    }
    const finished = await follow(client, app, id, !flags.json);
    await report(client, app, id, finished, !!flags.json);
  });
}

async function readInput(
  inputJson: string | undefined,
  inputFile: string | undefined,
): Promise<{ bytes?: Uint8Array; contentType?: string }> {
  if (inputJson !== undefined && inputFile !== undefined)
    throw new CliError("give either [input-json] or --input-file, not both");
  if (inputFile !== undefined) return readInputFile(inputFile);
  if (inputJson === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(inputJson);
  } catch (e) {
    throw new CliError(`[input-json] is not valid JSON (${(e as Error).message}); quote strings, e.g. '"hello"'`);
  }
  const enc = encodeInput(value, "json");
  return enc ? { bytes: enc.bytes, contentType: enc.contentType } : {};
}

type Finished = Extract<StreamItem, { type: "finished" }>;

/**
 * Follows the stream to its end. With the progress view it asks for every event (the view shows
 * attempts starting and failing); with `--json` only for the outcome.
 */
async function follow(client: TributaryClient, app: string, id: string, showProgress: boolean): Promise<Finished> {
  const view = showProgress ? new ProgressView(process.stderr) : undefined;
  try {
    for await (const item of requestStream(client.transport, app, id, { events: showProgress ? "all" : "default" })) {
      if (item.type === "finished") return item;
      view?.onEvent(item.event);
    }
  } finally {
    view?.stop();
  }
  throw new CliError(`the progress stream of request ${id} ended without an outcome`);
}

async function report(
  client: TributaryClient,
  app: string,
  id: string,
  { outcome, output }: Finished,
  json: boolean,
): Promise<void> {
  const reason = outcome.status === "cancelled" ? "cancelled" : (outcome.failureReason ?? "internal_error");
  if (outcome.status !== "succeeded") {
    let message = outcome.error?.message;
    if (message === undefined && reason === "request_error")
      message = (await client.getRequest(app, id).catch(() => undefined))?.request_error?.message;
    if (json) {
      printJson({
        request_id: id,
        status: outcome.status,
        outcome: outcome.outcome,
        failure_reason: reason,
        error: message ?? null,
      });
      process.exitCode = 1;
      return;
    }
    throw new CliError(`request ${id} ${outcome.status}: ${reason}${message ? `: ${message}` : ""}`);
  }
  // Inlined in RequestFinished when at most 1 MiB; a larger output is read from …/output.
  const out = output ?? (await client.getOutput(app, id));
  if (json)
    printJson({
      request_id: id,
      status: outcome.status,
      outcome: outcome.outcome,
      failure_reason: null,
      ...outputAsJson(out),
    });
  else printOutput(out, `tributary requests output ${app} ${id}`);
}
