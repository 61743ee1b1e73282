/**
 * Browser code, part 6: hash routes (#/, #/apps/NAME, #/apps/NAME/requests/ID), the view lifetime
 * (a view's timers and streams stop when another view starts, and its late answers are dropped) and
 * the settings form. Same string rules as dom.ts.
 */
export const ROUTER_JS = String.raw`
let currentView = null;
function newView() {
  if (currentView) currentView.close();
  const closers = [];
  let open = true;
  const view = {
    alive: () => open && currentView === view,
    onClose: (f) => { closers.push(f); },
    close: () => { open = false; for (const f of closers) { try { f(); } catch (e) { /* already stopped */ } } },
  };
  currentView = view;
  return view;
}

function showError(e) { notice(e && e.message ? e.message : String(e)); }

async function render() {
  notice("");
  const view = newView();
  const main = document.getElementById("main");
  const [path, query] = (location.hash.replace(/^#/, "") || "/").split("?");
  const params = new URLSearchParams(query || "");
  const status = STATUSES.includes(params.get("status")) ? params.get("status") : null;
  try {
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    if (parts.length === 0) await renderApps(view, main);
    else if (parts[0] === "apps" && parts.length === 2) await renderRequests(view, main, parts[1], status);
    else if (parts[0] === "apps" && parts.length === 4 && parts[2] === "requests") await renderRequest(view, main, parts[1], parts[3]);
    else {
      setCrumbs([["Applications", "#/"]]);
      main.replaceChildren(h("h1", null, "Not found"), h("p", null, h("a", { href: "#/" }, "Back to the applications")));
    }
  } catch (e) {
    if (view.alive()) showError(e);
  }
}

function initSettings() {
  const ns = document.getElementById("ns");
  const key = document.getElementById("key");
  ns.value = namespace();
  key.value = apiKey();
  document.getElementById("settings").addEventListener("submit", (e) => {
    e.preventDefault();
    localStorage.setItem(NS_KEY, ns.value.trim() || "default");
    if (key.value) localStorage.setItem(API_KEY_KEY, key.value);
    else localStorage.removeItem(API_KEY_KEY);
    render();
  });
}

window.addEventListener("hashchange", () => { render(); document.getElementById("main").focus(); });
initSettings();
render();
`;
