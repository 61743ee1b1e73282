/** Browser code: the applications list, and finding a request by id across them. */
import type { ApplicationList } from "../../core/api.js";
import { api, namespace, setCrumbs } from "./connection.js";
import { appHref, fill, fmtTime, h, table } from "./dom.js";
import { findRequestForm } from "./find-request.js";
import type { View } from "./view.js";

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
  fill(
    main,
    h("h1", null, "Applications"),
    h("p", { class: "muted" }, "Namespace ", h("code", null, namespace())),
    rows.length
      ? table(["Name", "Version", "Functions", "Tags", "Deployed"], rows, "Applications")
      : h("p", null, "No application is deployed in this namespace yet."),
    rows.length
      ? findRequestForm(
          view,
          data.applications.map((a) => a.name),
        )
      : null,
  );
}
