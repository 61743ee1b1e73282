/**
 * Browser code: the pages of one application (requests, invoke form, schedules) as tabs under its
 * name, and their hash routes.
 */
import { appHref, enc, h } from "./dom.js";

export type AppTab = "requests" | "invoke" | "schedules";

const TABS: readonly (readonly [AppTab, string])[] = [
  ["requests", "Requests"],
  ["invoke", "Invoke"],
  ["schedules", "Schedules"],
];

/** `#/apps/NAME` for the requests, `#/apps/NAME/invoke`, `#/apps/NAME/schedules`. */
export function appTabHref(app: string, tab: AppTab): string {
  return tab === "requests" ? appHref(app) : `#/apps/${enc(app)}/${tab}`;
}

/** The application's heading and its tabs, `current` marked as the page shown. */
export function appHeader(app: string, current: AppTab): HTMLElement {
  return h(
    "div",
    { class: "app-head" },
    h("h1", null, app),
    h(
      "nav",
      { class: "tabs", "aria-label": `Pages of ${app}` },
      TABS.map(([tab, label]) =>
        h("a", { href: appTabHref(app, tab), "aria-current": tab === current ? "page" : null }, label),
      ),
    ),
  );
}
