/**
 * Browser code: one application's requests, newest first, with the list route's server-side
 * filters (status, id prefix, creation time) kept in the hash so a filtered list can be linked and
 * reloaded, and cursor paging within them. A search for a whole id that matches exactly one request
 * opens that request.
 */
import type { RequestList } from "../../core/api.js";
import { STATUSES, type Status } from "../../core/status.js";
import { appHeader } from "./app-tabs.js";
import { api, setCrumbs, showError } from "./connection.js";
import { appHref, enc, fmtDuration, fmtTime, h, outcomeText, requestHref, statusBadge } from "./dom.js";
import type { View } from "./view.js";

const PAGE_SIZE = 25;

/** The filters as the hash carries them: `#/apps/NAME?id=…&after=MS&before=MS&status=…`. */
export interface RequestFilters {
  status: Status | null;
  id: string;
  /** Created at or after (ms since the epoch). */
  after: number | null;
  /** Created before (ms since the epoch). */
  before: number | null;
}

function isStatus(s: string | null): s is Status {
  return (STATUSES as readonly (string | null)[]).includes(s);
}

function msOrNull(s: string | null): number | null {
  const n = s === null || s === "" ? NaN : Number(s);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** Reads the filters from the hash's query; anything malformed is left out. */
export function parseFilters(q: URLSearchParams): RequestFilters {
  const status = q.get("status");
  return {
    status: isStatus(status) ? status : null,
    id: (q.get("id") ?? "").trim(),
    after: msOrNull(q.get("after")),
    before: msOrNull(q.get("before")),
  };
}

/** The hash of the list with these filters (status last, so a link reads naturally). */
export function requestsHref(app: string, f: RequestFilters): string {
  const q = new URLSearchParams();
  if (f.id) q.set("id", f.id);
  if (f.after !== null) q.set("after", String(f.after));
  if (f.before !== null) q.set("before", String(f.before));
  if (f.status) q.set("status", f.status);
  const qs = q.toString();
  return appHref(app) + (qs ? `?${qs}` : "");
}

/** ms → the value of an `<input type="datetime-local">` (local time, to the minute). */
function toLocalInput(ms: number | null): string {
  if (ms === null) return "";
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The value of an `<input type="datetime-local">` (local time) → ms, or null when empty. */
function fromLocalInput(v: string): number | null {
  const ms = v ? new Date(v).getTime() : NaN;
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

function filtersForm(app: string, f: RequestFilters, onRefresh: () => void): HTMLFormElement {
  const id = h("input", {
    id: "request-search",
    type: "search",
    name: "id",
    value: f.id,
    placeholder: "request id or its start",
    autocomplete: "off",
    spellcheck: "false",
    size: 28,
  });
  const after = h("input", { id: "created-after", type: "datetime-local", value: toLocalInput(f.after) });
  const before = h("input", { id: "created-before", type: "datetime-local", value: toLocalInput(f.before) });
  const status = h(
    "select",
    { id: "status-filter" },
    h("option", { value: "" }, "all"),
    STATUSES.map((s) => h("option", { value: s }, s)),
  );
  status.value = f.status ?? "";
  const read = (): RequestFilters => ({
    id: id.value.trim(),
    after: fromLocalInput(after.value),
    before: fromLocalInput(before.value),
    status: isStatus(status.value) ? status.value : null,
  });
  const form = h(
    "form",
    { class: "toolbar filters", role: "search", "aria-label": `Filter the requests of ${app}` },
    h("label", null, "Request id ", id),
    h("label", null, "Status ", status),
    h("label", null, "Created from ", after),
    h("label", null, "Created before ", before),
    h("button", { type: "submit" }, "Apply"),
    h("a", { href: appHref(app) }, "Clear"),
    h("button", { type: "button", onclick: onRefresh }, "Refresh"),
  );
  const go = (): void => {
    location.hash = requestsHref(app, read());
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    go();
  });
  // The status select applies at once, as it always did; dates and the id wait for Apply / Enter.
  status.addEventListener("change", go);
  return form;
}

function filtered(f: RequestFilters): boolean {
  return Boolean(f.id || f.status || f.after !== null || f.before !== null);
}

/** One application's requests under `filters`; `rerender` redraws the view. */
export async function renderRequests(
  view: View,
  main: HTMLElement,
  app: string,
  filters: RequestFilters,
  rerender: () => void,
): Promise<void> {
  setCrumbs([
    ["Applications", "#/"],
    [app, appHref(app)],
  ]);
  const tbody = h("tbody");
  const empty = h(
    "p",
    { hidden: true, id: "requests-empty" },
    filtered(filters)
      ? filters.status && !filters.id && filters.after === null && filters.before === null
        ? `No ${filters.status} requests.`
        : "No request matches these filters."
      : "No requests yet.",
  );
  const more = h("button", { type: "button", hidden: true }, "Load more");
  let cursor: string | null = null;
  let first = true;
  async function load(): Promise<void> {
    more.disabled = true;
    const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (filters.status) q.set("status", filters.status);
    if (filters.id) q.set("id_prefix", filters.id);
    if (filters.after !== null) q.set("created_after", String(filters.after));
    if (filters.before !== null) q.set("created_before", String(filters.before));
    if (cursor) q.set("cursor", cursor);
    const page = await api<RequestList>(`/applications/${enc(app)}/requests?${q.toString()}`);
    if (!view.alive()) return;
    // A whole id that names exactly one request: open it (replacing this entry, so Back skips it).
    const only = page.requests[0];
    if (first && filters.id && page.requests.length === 1 && only?.id === filters.id && !page.next_cursor) {
      location.replace(requestHref(app, only.id));
      return;
    }
    first = false;
    tbody.append(
      ...page.requests.map((r) =>
        h(
          "tr",
          null,
          h("td", null, h("a", { class: "mono", href: requestHref(app, r.id) }, r.id)),
          h("td", null, statusBadge(r.status)),
          h("td", null, outcomeText(r.outcome)),
          h("td", null, r.failure_reason ?? "—"),
          h("td", null, r.version),
          h("td", null, fmtTime(r.created_at)),
          h("td", null, fmtDuration(r.created_at, r.finished_at)),
        ),
      ),
    );
    cursor = page.next_cursor;
    more.hidden = !cursor;
    more.disabled = false;
    empty.hidden = tbody.children.length > 0;
  }
  more.addEventListener("click", () => load().catch(showError));
  main.replaceChildren(
    appHeader(app, "requests"),
    filtersForm(app, filters, rerender),
    h(
      "table",
      { "aria-label": `Requests of ${app}` },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          ["Request", "Status", "Outcome", "Failure reason", "Version", "Created", "Duration"].map((x) =>
            h("th", { scope: "col" }, x),
          ),
        ),
      ),
      tbody,
    ),
    empty,
    h("div", { class: "toolbar" }, more),
  );
  await load();
}
