/**
 * `tributary requests logs <app> <id> [-f]`: the stdout/stderr lines of every attempt of a request.
 *
 * Following polls the logs route once a second until the request is finished, then reads one last
 * time. The route returns the whole list each time, so a line is printed when its occurrence count
 * (identical lines can repeat) exceeds what was already printed; this does not depend on the
 * server's ordering.
 */
import type { LogLine } from "../core/api.js";
import { isTerminal } from "../core/status.js";
import type { TributaryClient } from "../client/http.js";

const POLL_MS = 1000;

/** One log line for people: `12:00:05.123 fn[2] line` (`!` marks stderr). */
export function formatLogLine(l: LogLine, attemptNumbers: Map<string, number>): string {
  const d = new Date(l.ts);
  const t = `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}:${String(d.getSeconds()).padStart(2, "0")}.${String(d.getMilliseconds()).padStart(3, "0")}`;
  const n = attemptNumbers.get(l.attempt_id);
  return `${t} ${l.function_name}${n && n > 1 ? `[${n}]` : ""}${l.stream === "stderr" ? " !" : ""} ${l.line}`;
}

/**
 * Prints the logs once, or until the request finishes with `follow`.
 *
 * @example
 * await printLogs(client, "greet", id, { follow: true, json: false });
 */
export async function printLogs(client: TributaryClient, app: string, id: string, opts: { follow: boolean; json: boolean }): Promise<void> {
  const printed = new Map<string, number>();
  const attempts = new Map<string, number>();
  const emit = (lines: LogLine[]): void => {
    const seen = new Map<string, number>();
    for (const l of lines) {
      const key = `${l.attempt_id}\0${l.stream}\0${l.ts}\0${l.line}`;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      if (n <= (printed.get(key) ?? 0)) continue;
      printed.set(key, n);
      process.stdout.write((opts.json ? JSON.stringify(l) : formatLogLine(l, attempts)) + "\n");
    }
  };
  if (!opts.follow) {
    const lines = await client.getLogs(app, id);
    if (opts.json) process.stdout.write(JSON.stringify(lines, null, 2) + "\n");
    else emit(lines);
    return;
  }
  for (;;) {
    const detail = await client.getRequest(app, id);
    for (const c of detail.function_calls ?? []) for (const a of c.attempts ?? []) attempts.set(a.id, a.number);
    emit(await client.getLogs(app, id));
    // The last read happens after the request is seen finished, so no final line is missed.
    if (isTerminal(detail.status)) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
