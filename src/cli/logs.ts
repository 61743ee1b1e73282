/**
 * `tributary requests logs <app> <id> [-f]`: the stdout/stderr lines of every attempt of a request.
 *
 * Pages are read with the server's cursor (`after` = the last line's id), so no line is printed
 * twice. Following polls once a second until a page reports the request finished: the server reads
 * the status before the lines, so that page and the ones after it hold everything.
 */
import type { LogLine } from "../core/api.js";
import type { TributaryClient } from "../client/http.js";

const POLL_MS = 1000;
const PAGE = 1000;

/** One log line for people: `12:00:05.123 fn | line` (`!` instead of `|` marks stderr). */
export function formatLogLine(l: LogLine): string {
  const d = new Date(l.ts);
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  const t = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
  return `${t} ${l.function_name} ${l.stream === "stderr" ? "!" : "|"} ${l.line}`;
}

/**
 * Prints the logs, and with `follow` keeps printing until the request finishes.
 *
 * @example
 * await printLogs(client, "greet", id, { follow: true, json: false });
 */
export async function printLogs(
  client: TributaryClient,
  app: string,
  id: string,
  opts: { follow: boolean; json: boolean },
): Promise<void> {
  let after = 0;
  let finishedSeen = false;
  for (;;) {
    const page = await client.getLogs(app, id, { after, limit: PAGE });
    for (const l of page.logs) process.stdout.write((opts.json ? JSON.stringify(l) : formatLogLine(l)) + "\n");
    // Without a cursor the server cannot page; what it returned is all there is.
    if (page.next === null) return;
    after = page.next;
    if (page.logs.length >= PAGE) continue;
    if (!opts.follow || finishedSeen) return;
    if (page.finished) {
      // One more read: lines written between the status check and this page's listing.
      finishedSeen = true;
      continue;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
