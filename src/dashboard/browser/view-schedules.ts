/**
 * Browser code: an application's cron schedules (`GET …/cron-schedules`): expression, next and last
 * fire times (UTC expressions, shown in local time and as a distance from now), a delete button,
 * and a form that creates one (the server checks the expression and the input, and says what is
 * wrong).
 */
import type { CronScheduleList } from "../../core/api.js";
import { appHeader, appTabHref } from "./app-tabs.js";
import { api, setCrumbs, showError } from "./connection.js";
import { appHref, enc, fmtMs, fmtTime, h, table } from "./dom.js";
import type { View } from "./view.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A distance in time as a person says it: "42.00 s", "3m 05s", "5h 12m", "3d 14h". */
function span(ms: number): string {
  if (ms >= DAY) return `${Math.floor(ms / DAY)}d ${Math.floor((ms % DAY) / HOUR)}h`;
  if (ms >= HOUR) return `${Math.floor(ms / HOUR)}h ${String(Math.floor((ms % HOUR) / 60_000)).padStart(2, "0")}m`;
  return fmtMs(ms);
}

/** "in 3d 14h" / "5m 02s ago", beside the absolute time. */
function relative(ms: number, now: number): string {
  const d = ms - now;
  return d >= 0 ? `in ${span(d)}` : `${span(-d)} ago`;
}

function when(ms: number | null, now: number): HTMLElement {
  if (!ms) return h("span", { class: "muted" }, "never");
  return h(
    "span",
    { title: new Date(ms).toISOString() },
    fmtTime(ms),
    " ",
    h("span", { class: "muted" }, `(${relative(ms, now)})`),
  );
}

export async function renderSchedules(view: View, main: HTMLElement, app: string, rerender: () => void): Promise<void> {
  setCrumbs([
    ["Applications", "#/"],
    [app, appHref(app)],
    ["Schedules", appTabHref(app, "schedules")],
  ]);
  const base = `/applications/${enc(app)}/cron-schedules`;
  const { schedules } = await api<CronScheduleList>(base);
  if (!view.alive()) return;
  const now = Date.now();
  async function remove(id: string): Promise<void> {
    if (!confirm(`Delete the cron schedule ${id}?`)) return;
    await api(`${base}/${enc(id)}`, { method: "DELETE" });
    rerender();
  }
  const rows = schedules.map((s) =>
    h(
      "tr",
      { "data-schedule": s.id },
      h("td", null, h("code", { class: "cron" }, s.cron_expression), h("div", { class: "muted mono" }, s.id)),
      h("td", { class: "next-fire" }, s.enabled ? when(s.next_fire_time_ms, now) : h("span", { class: "muted" }, "—")),
      h("td", { class: "last-fire" }, when(s.last_fired_at_ms, now)),
      h("td", null, s.enabled ? "yes" : "no"),
      h(
        "td",
        null,
        h("button", { type: "button", class: "danger", onclick: () => remove(s.id).catch(showError) }, "Delete"),
      ),
    ),
  );
  main.replaceChildren(
    appHeader(app, "schedules"),
    h(
      "p",
      { class: "muted" },
      "Cron expressions have five fields and are in UTC; each tick starts one request. From a shell: ",
      h("code", null, `tributary cron create ${app} "<expression>"`),
      ".",
    ),
    rows.length
      ? table(["Cron expression", "Next fire", "Last fired", "Enabled", ""], rows, `Cron schedules of ${app}`)
      : h("p", { id: "no-schedules" }, "No cron schedule for this application."),
    h("div", { class: "toolbar" }, h("button", { type: "button", onclick: rerender }, "Refresh")),
    createForm(base, rerender),
  );
}

/** Creates a schedule: `{ cron_expression, input? }`; a 400 (bad expression or input) shows its message. */
function createForm(base: string, rerender: () => void): HTMLElement {
  const expression = h("input", { id: "cron-expression", placeholder: "*/5 * * * *", autocomplete: "off", size: 20 });
  const input = h("textarea", { id: "cron-input", rows: 2, cols: 40, spellcheck: "false", class: "mono" });
  const error = h("p", { class: "error", id: "cron-error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "cron-create", "aria-labelledby": "cron-create-title" },
    h("h2", { id: "cron-create-title" }, "New schedule"),
    h("div", { class: "field" }, h("label", { for: "cron-expression" }, "Cron expression"), expression),
    h("div", { class: "field" }, h("label", { for: "cron-input" }, "Input (JSON, optional)"), input),
    h("div", { class: "toolbar" }, h("button", { type: "submit" }, "Create schedule")),
    error,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.hidden = true;
    const body: { cron_expression: string; input?: unknown } = { cron_expression: expression.value.trim() };
    try {
      if (input.value.trim()) body.input = JSON.parse(input.value);
    } catch (err) {
      error.textContent = `Input: not JSON (${err instanceof Error ? err.message : String(err)})`;
      error.hidden = false;
      return;
    }
    api(base, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
      .then(rerender)
      .catch((err: unknown) => {
        error.textContent = err instanceof Error ? err.message : String(err);
        error.hidden = false;
      });
  });
  return form;
}
