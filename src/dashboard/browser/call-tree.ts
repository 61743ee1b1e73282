/**
 * Browser code: the call tree of a request (parent → children, indented) with each call's status,
 * failure, pending reason and attempts.
 */
import type { FunctionCallInfo } from "../../core/api.js";
import { fmtDuration, h, statusBadge, table } from "./dom.js";
import { attemptUsageText } from "./usage-view.js";

function attemptsTable(c: FunctionCallInfo): HTMLTableElement | null {
  if (!c.attempts.length) return null;
  // The usage column only where the server reports usage (attempts that finished on a server that measures it).
  const withUsage = c.attempts.some((a) => attemptUsageText(a) !== null);
  return table(
    ["Attempt", "Status", "Failure reason", "Executor", "Container", "Duration", ...(withUsage ? ["Usage"] : [])],
    c.attempts.map((a) =>
      h(
        "tr",
        null,
        h("td", null, `#${a.number}`),
        h("td", null, statusBadge(a.status)),
        h(
          "td",
          null,
          a.failure_reason ?? "—",
          a.error && a.status === "failed" ? h("div", { class: "error" }, a.error.message) : null,
        ),
        h("td", { class: "mono" }, a.executor_id ?? "—"),
        h("td", { class: "mono" }, a.container_id ?? "—"),
        h("td", null, fmtDuration(a.started_at, a.finished_at)),
        withUsage ? h("td", { class: "attempt-usage" }, attemptUsageText(a) ?? "—") : null,
      ),
    ),
    `Attempts of ${c.function_name}`,
  );
}

function callNode(c: FunctionCallInfo, childrenOf: ReadonlyMap<string, FunctionCallInfo[]>): HTMLLIElement {
  const kids = childrenOf.get(c.id) ?? [];
  return h(
    "li",
    null,
    h(
      "div",
      { class: "call", "data-call": c.id, "data-function": c.function_name },
      h(
        "div",
        { class: "call-head" },
        h("span", { class: "call-name" }, c.function_name),
        statusBadge(c.status),
        c.failure_reason ? h("span", { class: "error" }, c.failure_reason) : null,
        h("span", { class: "muted" }, `${c.attempts_used} ${c.attempts_used === 1 ? "attempt" : "attempts"}`),
        h("span", { class: "muted" }, fmtDuration(c.created_at, c.finished_at)),
        c.pending_reason ? h("span", { class: "pending-reason" }, `pending: ${c.pending_reason}`) : null,
      ),
      c.error ? h("div", { class: "error" }, `${c.error.name}: ${c.error.message}`) : null,
      attemptsTable(c),
    ),
    kids.length
      ? h(
          "ul",
          null,
          kids.map((k) => callNode(k, childrenOf)),
        )
      : null,
  );
}

/** Nested lists: roots are calls without a parent (or whose parent is not in the list). */
export function callTree(calls: readonly FunctionCallInfo[]): HTMLElement {
  const ids = new Set(calls.map((c) => c.id));
  const childrenOf = new Map<string, FunctionCallInfo[]>();
  const roots: FunctionCallInfo[] = [];
  for (const c of calls) {
    if (c.parent_id && ids.has(c.parent_id)) {
      const siblings = childrenOf.get(c.parent_id);
      if (siblings) siblings.push(c);
      else childrenOf.set(c.parent_id, [c]);
    } else roots.push(c);
  }
  if (!roots.length) return h("p", { class: "muted" }, "No function call yet.");
  return h(
    "ul",
    { class: "tree", "aria-label": "Call tree" },
    roots.map((c) => callNode(c, childrenOf)),
  );
}
