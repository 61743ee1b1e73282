/**
 * `tributary requests show`: a request's metadata and its call tree, for people.
 */
import type { FunctionCallInfo, RequestDetail, UsageInfo } from "../core/api.js";
import { duration, time } from "./format.js";

/**
 * Renders a request: header fields, then each function call indented under its parent with its
 * status, attempts and (for failures) the reason and message.
 *
 * @example
 * process.stdout.write(renderRequest(await client.getRequest("greet", id)));
 */
export function renderRequest(d: RequestDetail): string {
  const lines: string[] = [];
  const field = (k: string, v: string): void => void lines.push(`${(k + ":").padEnd(16)}${v}`);
  field("request", d.id);
  field("application", `${d.application} (version ${d.version})`);
  field("status", d.status);
  if (d.failure_reason) field("failure reason", d.failure_reason);
  if (d.request_error)
    field(
      "request error",
      `${d.request_error.message}${d.request_error.function_name ? ` (in ${d.request_error.function_name})` : ""}`,
    );
  else if (d.error) field("error", `${d.error.name}: ${d.error.message}`);
  field("created", time(d.created_at));
  field("finished", time(d.finished_at));
  field(
    "duration",
    duration(d.created_at, d.finished_at ?? (d.status === "running" || d.status === "pending" ? Date.now() : null)),
  );
  if (d.progress) {
    const p = d.progress;
    field("progress", `${p.function_name} ${p.current}/${p.total}${p.message ? ` ${p.message}` : ""}`);
  }
  // Absent from servers older than usage; empty until an attempt finished.
  if (d.usage && d.usage.attempts > 0) field("usage", usageLine(d.usage));
  const calls = d.function_calls ?? [];
  if (calls.length > 0) {
    lines.push("", "function calls:");
    const children = new Map<string | null, FunctionCallInfo[]>();
    const ids = new Set(calls.map((c) => c.id));
    for (const c of calls) {
      // A parent missing from the list (pagination, pruning) must not hide its children.
      const parent = c.parent_id !== null && ids.has(c.parent_id) ? c.parent_id : null;
      children.set(parent, [...(children.get(parent) ?? []), c]);
    }
    const walk = (parent: string | null, depth: number): void => {
      for (const c of children.get(parent) ?? []) {
        lines.push(`${"  ".repeat(depth + 1)}${callLine(c)}`);
        walk(c.id, depth + 1);
      }
    };
    walk(null, 0);
  }
  return lines.join("\n") + "\n";
}

/**
 * "cpu 1.02 s, wall 1.10 s, peak memory 52.3 MB, 2.2 GB-s (2 attempts, 1 container started)".
 * @example usageLine(detail.usage)
 */
export function usageLine(u: UsageInfo): string {
  const parts = [
    `cpu ${u.cpu_seconds === null ? "unknown" : `${u.cpu_seconds.toFixed(2)} s`}`,
    `wall ${u.wall_seconds.toFixed(2)} s`,
    `peak memory ${u.peak_memory_bytes === null ? "unknown" : megabytes(u.peak_memory_bytes)}`,
    `${u.memory_gb_seconds.toFixed(2)} GB-s`,
  ];
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;
  return `${parts.join(", ")} (${plural(u.attempts, "attempt")}, ${plural(u.containers_started, "container")} started)`;
}

const megabytes = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MB`;

function callLine(c: FunctionCallInfo): string {
  let s = `${c.function_name}  ${c.status}`;
  if (c.failure_reason) s += ` (${c.failure_reason})`;
  const used = c.attempts_used ?? c.attempts?.length ?? 0;
  // Attempts past those counted against the retry policy were infrastructure retries (an executor
  // lost, a server restarted): said, so "attempts: 1" beside two attempts in --json is no riddle.
  const uncounted = (c.attempts?.length ?? 0) - used;
  s += `  attempts: ${used}${uncounted > 0 ? ` (+${uncounted} after an infrastructure fault, not counted)` : ""}`;
  s += `  ${duration(c.created_at, c.finished_at)}`;
  if (c.status === "pending" && c.pending_reason) s += `  waiting: ${c.pending_reason}`;
  if (c.error?.message) s += `\n${" ".repeat(6)}error: ${c.error.message}`;
  return s;
}
