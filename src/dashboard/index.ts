/**
 * The dashboard (docs/http-api.md `/ui`): one HTML page, one stylesheet and one script. The page and the
 * stylesheet are strings compiled into `dist/`; the script is bundled from the typed browser modules
 * in ./browser at build time (`npm run build`, run by `npm ci`). No CDN. The page is public (it holds
 * no data); every piece of data comes from the JSON API, which keeps its own auth.
 *
 * @example
 * const app = new Hono();
 * app.route("/ui", dashboardApp()); // GET /ui, /ui/, /ui/app.js, /ui/style.css
 */
import { Hono, type Context } from "hono";
import { dashboardScript } from "./assets.js";
import { DASHBOARD_HTML } from "./page.js";
import { DASHBOARD_CSS } from "./style.js";

// Only our own origin: no inline script, no external fonts or CDNs, never framed. `connect-src 'self'`
// covers fetch and EventSource to the same API.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

function asset(c: Context, body: string, type: string): Response {
  return c.body(body, 200, {
    "content-type": type,
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    // The assets change with the server version only; a reload must still pick up a new server.
    "cache-control": "no-cache",
  });
}

const HTML = { body: () => DASHBOARD_HTML, type: "text/html; charset=utf-8" };

/**
 * The dashboard routes, to be mounted at `/ui`: `/ui`, `/ui/`, `/ui/index.html`, `/ui/app.js`, `/ui/style.css`.
 * `script` supplies the bundled browser code (null when it was not built); tests replace it.
 */
export function dashboardApp(script: () => string | null = dashboardScript): Hono {
  const ASSETS: Record<string, { body: () => string | null; type: string }> = {
    "": HTML,
    "index.html": HTML,
    "app.js": { body: script, type: "text/javascript; charset=utf-8" },
    "style.css": { body: () => DASHBOARD_CSS, type: "text/css; charset=utf-8" },
  };
  const ui = new Hono();
  ui.get("/", (c) => asset(c, DASHBOARD_HTML, HTML.type));
  // One pattern for the rest: a mounted `/` route matches `/ui` only (strict routing), and the
  // optional file name also matches the trailing slash of `/ui/`. Anything else falls through to 404.
  ui.get("/:file{(?:index\\.html|app\\.js|style\\.css)?}", (c) => {
    const a = ASSETS[c.req.param("file") ?? ""]!;
    const body = a.body();
    // Only the bundled script can be missing (a build that ran `tsc` alone): say how to fix it.
    if (body === null) return c.text("the dashboard script is not built: run `npm run build`", 500);
    return asset(c, body, a.type);
  });
  // Nothing else lives under /ui: answer 404 here rather than fall through to the API's auth check.
  ui.all("/*", (c) => c.notFound());
  return ui;
}
