/**
 * Browser code: find a request by id across the namespace's applications (the Applications page).
 * Request routes are per application, so this asks each application's list for the id as a prefix
 * (`id_prefix`, a few rows each, all at once). A whole id that matches exactly one request opens
 * it; otherwise the matches are listed with their application.
 */
import type { RequestList, RequestSummary } from "../../core/api.js";
import { api } from "./connection.js";
import { enc, fmtTime, h, requestHref, statusBadge, table } from "./dom.js";
import type { View } from "./view.js";

const PER_APP = 10;

async function search(apps: readonly string[], prefix: string): Promise<RequestSummary[]> {
  const q = `id_prefix=${enc(prefix)}&limit=${PER_APP}`;
  const pages = await Promise.all(apps.map((a) => api<RequestList>(`/applications/${enc(a)}/requests?${q}`)));
  return pages.flatMap((p) => p.requests).sort((x, y) => y.created_at - x.created_at);
}

/** The search form and, below it, its results; `apps` are the names to search. */
export function findRequestForm(view: View, apps: readonly string[]): HTMLElement {
  const input = h("input", {
    id: "find-request",
    type: "search",
    placeholder: "request id or its start",
    autocomplete: "off",
    spellcheck: "false",
    size: 32,
  });
  const results = h("div", { id: "find-results", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "toolbar", role: "search", "aria-label": "Find a request" },
    h("label", null, "Find a request by id ", input),
    h("button", { type: "submit" }, "Find"),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const prefix = input.value.trim();
    // The characters of an id only: anything else could match nothing (and the server says 400).
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(prefix)) {
      results.replaceChildren(h("p", { class: "error" }, "A request id holds letters, digits, _ and - only."));
      return;
    }
    results.replaceChildren(h("p", { class: "muted" }, "Searching…"));
    search(apps, prefix)
      .then((found) => {
        if (!view.alive()) return;
        const only = found[0];
        if (found.length === 1 && only?.id === prefix) {
          location.hash = requestHref(only.application, only.id);
          return;
        }
        results.replaceChildren(
          found.length
            ? table(
                ["Request", "Application", "Status", "Created"],
                found.map((r) =>
                  h(
                    "tr",
                    null,
                    h("td", null, h("a", { class: "mono", href: requestHref(r.application, r.id) }, r.id)),
                    h("td", null, r.application),
                    h("td", null, statusBadge(r.status)),
                    h("td", null, fmtTime(r.created_at)),
                  ),
                ),
                "Requests found",
              )
            : h("p", null, `No request id starts with “${prefix}” in this namespace's applications.`),
        );
      })
      .catch((err: unknown) => {
        results.replaceChildren(h("p", { class: "error" }, err instanceof Error ? err.message : String(err)));
      });
  });
  return h("div", { class: "find-request" }, form, results);
}
