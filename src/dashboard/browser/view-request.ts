/**
 * Browser code: one request — facts, cancel, the overall progress bar (the request's aggregated
 * fraction) with the latest update, usage (when the server reports it), the timeline of calls and
 * attempts, call tree, output, state, metrics and logs. The stream drives updates (each
 * non-progress event schedules one refresh of the request); a slow poll covers what has no event
 * (pending reasons).
 */
import type { LogsResponse, MetricsResponse, RequestDetail, StateResponse } from "../../core/api.js";
import { isTerminal } from "../../core/status.js";
import { callTree } from "./call-tree.js";
import { api, setCrumbs, showError } from "./connection.js";
import {
  appHref,
  fill,
  fmtDuration,
  fmtTime,
  h,
  outcomeText,
  requestHref,
  statusBadge,
  table,
  enc,
  type Child,
} from "./dom.js";
import { follow } from "./live.js";
import { fetchOutput } from "./output-view.js";
import { overallBar } from "./overall-bar.js";
import { retryKey, timeline } from "./timeline.js";
import { usageFacts } from "./usage-view.js";
import type { View } from "./view.js";

/** What the progress line shows: a snapshot from the request detail or a `progress` event. */
interface ProgressShown {
  current: number;
  total: number;
  message?: string | undefined;
  function_name?: string | undefined;
  /** When it was reported: an older snapshot never replaces a newer one. */
  at: number;
}

const LOG_PAGE = 1000;

function section(title: string, id: string, ...body: Child[]): HTMLElement {
  return h("section", { "aria-labelledby": `${id}-title` }, h("h2", { id: `${id}-title` }, title), body);
}

/** Every call and attempt of the request is done, not only the request itself. */
function settled(d: RequestDetail): boolean {
  return (
    isTerminal(d.status) &&
    d.function_calls.every((c) => isTerminal(c.status) && c.attempts.every((a) => isTerminal(a.status)))
  );
}

export async function renderRequest(view: View, main: HTMLElement, app: string, id: string): Promise<void> {
  setCrumbs([
    ["Applications", "#/"],
    [app, appHref(app)],
    [id, requestHref(app, id)],
  ]);
  const base = `/applications/${enc(app)}/requests/${enc(id)}`;
  const facts = h("dl", { class: "facts", id: "facts" });
  const cancel = h("button", { type: "button", class: "danger", id: "cancel", hidden: true }, "Cancel request");
  const bar = h("progress", { id: "progress-bar", max: "1", value: "0", "aria-labelledby": "progress-title" });
  const barText = h("span", { id: "progress-text", "aria-live": "polite" }, "No progress reported yet.");
  const overall = overallBar("overall-bar", "Request");
  const tree = h("div", { id: "calls" });
  const chart = h("div", { id: "timeline" });
  const usage = h("div", { id: "usage-box" });
  const usageSection = section("Usage", "usage", usage);
  usageSection.hidden = true;
  // Retry delays from the stream's attempt:failed events, for the timeline's backoff segments.
  const delays = new Map<string, number>();
  const output = h("div", { id: "output" }, h("p", { class: "muted" }, "Shown when the request succeeds."));
  const state = h("div", { id: "state" });
  const metrics = h("div", { id: "metrics" });
  const logs = h("pre", { class: "box", id: "logs", hidden: true });
  const noLogs = h("p", { class: "muted" }, "No log lines yet.");
  main.replaceChildren(
    h("div", { class: "toolbar" }, h("h1", null, "Request ", h("span", { class: "mono" }, id)), cancel),
    facts,
    section(
      "Progress",
      "progress",
      overall.el,
      h("div", { class: "progress" }, h("span", { class: "muted" }, "Latest update"), bar, barText),
    ),
    usageSection,
    section("Timeline", "timeline", chart),
    section("Function calls", "calls", tree),
    section("Output", "output", output),
    section("State", "state", state),
    section("Metrics", "metrics", metrics),
    section("Logs", "logs", h("div", null, logs, noLogs)),
  );

  let lastProgressAt = -1;
  function setProgress(p: ProgressShown): void {
    if (p.at < lastProgressAt) return; // an older snapshot than the one shown
    lastProgressAt = p.at;
    bar.max = p.total > 0 ? p.total : 1;
    bar.value = Math.min(p.current, bar.max);
    barText.textContent =
      `${p.current} / ${p.total}` +
      (p.message ? ` — ${p.message}` : "") +
      (p.function_name ? ` (${p.function_name})` : "");
  }

  function drawFacts(d: RequestDetail): void {
    // A finished request that never reported progress or logged says so, instead of "yet".
    if (d.finished_at) {
      if (lastProgressAt < 0 && barText.textContent === "No progress reported yet.")
        barText.textContent = "No progress was reported.";
      if (noLogs.textContent === "No log lines yet.") noLogs.textContent = "No log lines.";
    }
    const rows: [string, Child][] = [
      ["Status", statusBadge(d.status)],
      ["Outcome", outcomeText(d.outcome)],
      ["Failure reason", d.failure_reason ?? "—"],
    ];
    if (d.request_error) {
      const where = d.request_error.function_name ? `${d.request_error.function_name}: ` : "";
      rows.push(["Request error", h("span", { class: "error" }, where + d.request_error.message)]);
    }
    if (d.error && d.status === "failed")
      rows.push(["Error", h("span", { class: "error" }, `${d.error.name}: ${d.error.message}`)]);
    rows.push(
      ["Application", h("span", null, h("a", { href: appHref(app) }, app), ` version ${d.version}`)],
      ["Created", fmtTime(d.created_at)],
      ["Finished", fmtTime(d.finished_at)],
      ["Duration", fmtDuration(d.created_at, d.finished_at)],
    );
    facts.replaceChildren(...rows.flatMap(([k, v]) => [h("dt", null, k), h("dd", null, v)]));
  }

  let outputShown = false;
  async function loadOutput(): Promise<void> {
    const shown = await fetchOutput(`${base}/output`, "output-value");
    if (!view.alive()) return;
    outputShown = true;
    output.replaceChildren(shown);
  }

  async function loadState(): Promise<void> {
    const s = (await api<StateResponse>(`${base}/state`)).state;
    if (!view.alive()) return;
    state.replaceChildren(
      Object.keys(s).length
        ? h("pre", { class: "box" }, JSON.stringify(s, null, 2))
        : h("p", { class: "muted" }, "No state."),
    );
  }

  async function loadMetrics(): Promise<void> {
    const m = await api<MetricsResponse>(`${base}/metrics`);
    if (!view.alive()) return;
    const counters = Object.entries(m.counters);
    const timers = Object.entries(m.timers);
    fill(
      metrics,
      counters.length
        ? table(
            ["Counter", "Total"],
            counters.map(([k, v]) => h("tr", null, h("td", null, k), h("td", null, v))),
            "Counters",
          )
        : null,
      timers.length
        ? table(
            ["Timer", "Count", "Sum (s)", "Min (s)", "Max (s)"],
            timers.map(([k, t]) =>
              h(
                "tr",
                null,
                h("td", null, k),
                h("td", null, t.count),
                h("td", null, t.sum.toFixed(3)),
                h("td", null, t.min.toFixed(3)),
                h("td", null, t.max.toFixed(3)),
              ),
            ),
            "Timers",
          )
        : null,
      counters.length || timers.length ? null : h("p", { class: "muted" }, "No metrics."),
    );
  }

  let logAfter = 0;
  async function loadLogs(): Promise<void> {
    for (let i = 0; i < 20; i++) {
      // at most 20 pages per refresh; the next refresh goes on from the cursor
      const page = await api<LogsResponse>(`${base}/logs?limit=${LOG_PAGE}&after=${logAfter}`);
      if (!view.alive()) return;
      logs.append(
        ...page.logs.map((l) =>
          h("span", { class: `log-${l.stream}` }, `[${l.function_name}] ${l.line.replace(/\n$/, "")}\n`),
        ),
      );
      logAfter = page.next;
      if (page.logs.length < LOG_PAGE) break;
    }
    logs.hidden = logs.childNodes.length === 0;
    noLogs.hidden = !logs.hidden;
  }

  let detail: RequestDetail | null = null;
  async function refreshOnce(): Promise<void> {
    const d = await api<RequestDetail>(base);
    if (!view.alive()) return;
    detail = d;
    drawFacts(d);
    cancel.hidden = isTerminal(d.status);
    tree.replaceChildren(callTree(d.function_calls));
    chart.replaceChildren(timeline(d.function_calls, delays, Date.now()));
    const used = usageFacts(d);
    usageSection.hidden = used === null;
    fill(usage, used);
    if (d.progress) {
      setProgress(d.progress);
      overall.set(d.progress.fraction);
    }
    if (d.status === "succeeded") overall.complete();
    await Promise.all([
      loadState(),
      loadMetrics(),
      loadLogs(),
      d.status === "succeeded" && !outputShown ? loadOutput() : null,
    ]);
  }
  // One refresh at a time (the log cursor is shared); a request for more while one runs reruns it.
  let busy = false;
  let again = false;
  let soonTimer: number | null = null;
  async function refresh(): Promise<void> {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        await refreshOnce();
      } while (again && view.alive());
    } finally {
      busy = false;
    }
  }
  function soon(): void {
    if (soonTimer === null) {
      soonTimer = setTimeout(() => {
        soonTimer = null;
        refresh().catch(showError);
      }, 250);
    }
  }
  view.onClose(() => {
    if (soonTimer !== null) clearTimeout(soonTimer);
  });

  async function cancelRequest(): Promise<void> {
    cancel.disabled = true;
    try {
      await api(`${base}/cancel`, { method: "POST" });
    } catch (e) {
      showError(e);
    }
    cancel.disabled = false;
    soon();
  }
  cancel.addEventListener("click", () => void cancelRequest());

  await refresh();
  // The stream ends with the request, but calls of a cancelled or failed request finish a moment
  // later (their containers are stopped after it): keep polling until every call and attempt is done.
  const poll = setInterval(() => {
    if (detail && !settled(detail)) soon();
  }, 2000);
  view.onClose(() => clearInterval(poll));
  view.onClose(
    // events=all: the lifecycle events (call created, attempt started or failed, …) drive the refreshes.
    follow(`${base}/progress?events=all`, {
      onEvent: (ev) => {
        const d = ev.data;
        if (ev.kind === "progress" && d && typeof d.current === "number" && typeof d.total === "number") {
          const message = typeof d.message === "string" ? d.message : undefined;
          setProgress({ current: d.current, total: d.total, message, function_name: ev.functionName, at: ev.at });
          if (typeof ev.fraction === "number") overall.set(ev.fraction);
        } else {
          if (ev.kind === "attempt:failed" && ev.callId && ev.attempt && typeof d?.retry_in_ms === "number")
            delays.set(retryKey(ev.callId, ev.attempt), d.retry_in_ms);
          soon();
        }
      },
      onFinished: () => soon(),
      onBroken: () => soon(),
    }),
  );
}
