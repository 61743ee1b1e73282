/**
 * `tributary requests list <app> | show <app> <id> | output <app> <id> | logs <app> <id> [-f] | cancel <app> <id>`
 */
import { writeFile } from "node:fs/promises";
import { Command } from "commander";
import type { Status } from "../core/status.js";
import { clientFor, printJson, withClientFlags, type ClientFlags } from "./context.js";
import { duration, printTable, time } from "./format.js";
import { printLogs } from "./logs.js";
import { epochMs, intIn, status } from "./options.js";
import { outputAsJson, printOutput } from "./output-view.js";
import { renderRequest } from "./request-view.js";

interface ListFlags extends ClientFlags {
  status?: Status;
  idPrefix?: string;
  createdAfter?: number;
  createdBefore?: number;
  cursor?: string;
  limit?: number;
  json?: boolean;
}

export function requestsCommand(): Command {
  const cmd = new Command("requests").description("inspect and manage the requests of an application");

  cmd.addCommand(
    withClientFlags(new Command("list"))
      .description("list requests, newest first")
      .argument("<app>", "application name")
      .option("--status <status>", "only requests with this status", status)
      .option("--id-prefix <prefix>", "only requests whose id starts with this")
      .option("--created-after <time>", "only requests created at or after (epoch ms or ISO 8601)", epochMs)
      .option("--created-before <time>", "only requests created before (epoch ms or ISO 8601)", epochMs)
      .option("--cursor <cursor>", "continue from a previous page's next cursor")
      .option("--limit <n>", "page size", intIn(1, 1000))
      .option("--json", "print machine-readable JSON")
      .action(async (app: string, flags: ListFlags) => {
        const page = await clientFor(flags).listRequests(app, {
          status: flags.status,
          idPrefix: flags.idPrefix,
          createdAfter: flags.createdAfter,
          createdBefore: flags.createdBefore,
          cursor: flags.cursor,
          limit: flags.limit,
        });
        if (flags.json) return printJson(page);
        const rows = page.requests.map((r) => [
          r.id,
          r.status,
          r.failure_reason ?? "-",
          time(r.created_at),
          duration(r.created_at, r.finished_at),
        ]);
        printTable(["ID", "STATUS", "FAILURE", "CREATED", "DURATION"], rows, "no requests");
        if (page.next_cursor) process.stdout.write(`more: --cursor ${page.next_cursor}\n`);
      }),
  );

  cmd.addCommand(
    withClientFlags(new Command("show"))
      .description("show a request with its function calls and attempts")
      .argument("<app>", "application name")
      .argument("<id>", "request id")
      .option("--json", "print machine-readable JSON")
      .action(async (app: string, id: string, flags: ClientFlags & { json?: boolean }) => {
        const detail = await clientFor(flags).getRequest(app, id);
        if (flags.json) printJson(detail);
        else process.stdout.write(renderRequest(detail));
      }),
  );

  cmd.addCommand(
    withClientFlags(new Command("output"))
      .description("print (or save) a request's output")
      .argument("<app>", "application name")
      .argument("<id>", "request id")
      .option("-o, --out <file>", "write the raw output bytes to this file")
      .option("--json", "print machine-readable JSON")
      .action(async (app: string, id: string, flags: ClientFlags & { out?: string; json?: boolean }) => {
        const out = await clientFor(flags).getOutput(app, id);
        if (flags.out !== undefined) {
          await writeFile(flags.out, out.bytes);
          process.stderr.write(`wrote ${out.bytes.byteLength} bytes (${out.contentType}) to ${flags.out}\n`);
        } else if (flags.json) printJson({ request_id: id, ...outputAsJson(out) });
        else printOutput(out, `tributary requests output ${app} ${id} -o`);
      }),
  );

  cmd.addCommand(
    withClientFlags(new Command("logs"))
      .description("print the logs of every attempt of a request")
      .argument("<app>", "application name")
      .argument("<id>", "request id")
      .option("-f, --follow", "keep printing new lines until the request finishes")
      .option("--json", "print one JSON object per line")
      .action(async (app: string, id: string, flags: ClientFlags & { follow?: boolean; json?: boolean }) => {
        await printLogs(clientFor(flags), app, id, { follow: !!flags.follow, json: !!flags.json });
      }),
  );

  cmd.addCommand(
    withClientFlags(new Command("cancel"))
      .description("cancel a request: running calls are aborted, pending ones never start")
      .argument("<app>", "application name")
      .argument("<id>", "request id")
      .action(async (app: string, id: string, flags: ClientFlags) => {
        await clientFor(flags).cancelRequest(app, id);
        process.stdout.write(`cancelled ${id}\n`);
      }),
  );

  return cmd;
}
