/**
 * The dashboard's entry, bundled by esbuild into /ui/app.js: hash routes (#/, #/apps/NAME with
 * its filters, #/apps/NAME/invoke, #/apps/NAME/schedules, #/apps/NAME/requests/ID), one view at a
 * time (see view.ts), and the settings form.
 */
import { NS_KEY, apiKey, setApiKey, namespace, notice, setCrumbs, showError } from "./connection.js";
import { byId, h } from "./dom.js";
import { renderApps } from "./view-apps.js";
import { renderInvoke } from "./view-invoke.js";
import { renderRequest } from "./view-request.js";
import { parseFilters, renderRequests } from "./view-requests.js";
import { renderSchedules } from "./view-schedules.js";
import { newView } from "./view.js";

async function render(): Promise<void> {
  notice("");
  const view = newView();
  const main = byId("main", HTMLElement);
  const [path = "/", query = ""] = (location.hash.replace(/^#/, "") || "/").split("?");
  try {
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    const [first, app, third, id] = parts;
    const inApp = first === "apps" && app !== undefined;
    if (parts.length === 0) await renderApps(view, main);
    else if (inApp && parts.length === 2)
      await renderRequests(view, main, app, parseFilters(new URLSearchParams(query)), rerender);
    else if (inApp && third === "schedules" && parts.length === 3) await renderSchedules(view, main, app, rerender);
    else if (inApp && third === "invoke" && parts.length === 3) await renderInvoke(view, main, app);
    else if (inApp && third === "requests" && id !== undefined && parts.length === 4)
      await renderRequest(view, main, app, id);
    else {
      setCrumbs([["Applications", "#/"]]);
      main.replaceChildren(
        h("h1", null, "Not found"),
        h("p", null, h("a", { href: "#/" }, "Back to the applications")),
      );
    }
  } catch (e) {
    if (view.alive()) showError(e);
  }
}

/** render() never rejects (it shows its errors), so its promise needs no handler. */
function rerender(): void {
  void render();
}

function initSettings(): void {
  const ns = byId("ns", HTMLInputElement);
  const key = byId("key", HTMLInputElement);
  ns.value = namespace();
  key.value = apiKey();
  byId("settings", HTMLFormElement).addEventListener("submit", (e) => {
    e.preventDefault();
    localStorage.setItem(NS_KEY, ns.value.trim() || "default");
    setApiKey(key.value);
    rerender();
  });
}

window.addEventListener("hashchange", () => {
  rerender();
  byId("main", HTMLElement).focus();
});
initSettings();
rerender();
