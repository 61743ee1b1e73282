/**
 * Browser code: the applications list and one application's requests (status filter, cursor
 * paging).
 */
import type { ApplicationList, RequestList } from "../../core/api.js";
import { STATUSES, type Status } from "../../core/status.js";
import { api, namespace, setCrumbs, showError } from "./connection.js";
import { appHref, enc, fmtDuration, fmtTime, h, outcomeText, requestHref, statusBadge, table } from "./dom.js";
import type { View } from "./view.js";

const PAGE_SIZE = 25;

export async function renderApps(view: View, main: HTMLElement): Promise<void> {
  setCrumbs([["Applications", "#/"]]);
  const data = await api<ApplicationList>("/applications");
  if (!view.alive()) return;
  const rows = data.applications.map((a) =>
    h(
      "tr",
      null,
      h(
        "td",
        null,
        h("a", { href: appHref(a.name) }, a.name),
        a.description ? h("div", { class: "muted" }, a.description) : null,
      ),
      h("td", null, a.version),
      // Every application of a bundle ships all of its functions: show how many, names on hover.
      h(
        "td",
        { title: a.functions.join(", ") },
        `${a.functions.length} ${a.functions.length === 1 ? "function" : "functions"}`,
      ),
      h(
        "td",
        null,
        Object.entries(a.tags).map(([k, v]) => h("span", { class: "tag" }, `${k}=${v}`)),
      ),
      h("td", null, fmtTime(a.created_at)),
    ),
  );
  main.replaceChildren(
    h("h1", null, "Applications"),
    h("p", { class: "muted" }, "Namespace ", h("code", null, namespace())),
    rows.length
      ? table(["Name", "Version", "Functions", "Tags", "Deployed"], rows, "Applications")
      : h("p", null, "No application is deployed in this namespace yet."),
  );
}

/** One application's requests, newest first, `status` filtering them; `rerender` redraws the view. */
export async function renderRequests(
  view: View,
  main: HTMLElement,
  app: string,
  status: Status | null,
  rerender: () => void,
): Promise<void> {
  setCrumbs([
    ["Applications", "#/"],
    [app, appHref(app)],
  ]);
  const select = h(
    "select",
    {
      id: "status-filter",
      onchange: () => {
        location.hash = appHref(app) + (select.value ? `?status=${enc(select.value)}` : "");
      },
    },
    h("option", { value: "" }, "all"),
    STATUSES.map((s) => h("option", { value: s }, s)),
  );
  select.value = status ?? "";
  const tbody = h("tbody");
  const empty = h("p", { hidden: true }, status ? `No ${status} requests.` : "No requests yet.");
  const more = h("button", { type: "button", hidden: true }, "Load more");
  let cursor: string | null = null;
  async function load(): Promise<void> {
    more.disabled = true;
    const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (status) q.set("status", status);
    if (cursor) q.set("cursor", cursor);
    const page = await api<RequestList>(`/applications/${enc(app)}/requests?${q.toString()}`);
    if (!view.alive()) return;
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
  const refresh = h("button", { type: "button", onclick: () => rerender() }, "Refresh");
  main.replaceChildren(
    h("h1", null, app),
    h("div", { class: "toolbar" }, h("label", null, "Status ", select), refresh),
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
