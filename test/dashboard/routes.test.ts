// The dashboard's assets without a browser: served at /ui with a strict CSP, the script parses, the
// page needs no API key while the API still does. Runs even where Chromium is absent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Script } from "node:vm";
import { dashboardApp } from "../../src/dashboard/index.js";
import { dashboardScript } from "../../src/dashboard/assets.js";
import { STATUSES } from "../../src/core/status.js";
import { startCluster } from "../helpers/cluster.js";

test("assets are served with their types and a same-origin-only CSP", async () => {
  const ui = dashboardApp();
  for (const [path, type] of [
    ["/", "text/html"],
    ["/app.js", "text/javascript"],
    ["/style.css", "text/css"],
  ] as const) {
    const res = await ui.request(path);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get("content-type") ?? "", new RegExp(`^${type}`), path);
    assert.match(res.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  }
  const html = await (await ui.request("/")).text();
  assert.match(html, /<script type="module" src="\/ui\/app.js">/);
  assert.doesNotMatch(html, /https?:\/\//, "no external resource");
});

test("the script is valid JavaScript and never uses innerHTML", () => {
  const script = dashboardScript();
  assert.ok(script !== null, "dist/src/dashboard/app.js is built (scripts/build-dashboard.js)");
  // A module parses as a script when it has no import/export: the bundle has none (one file).
  assert.doesNotThrow(() => new Script(script, { filename: "app.js" }));
  assert.doesNotMatch(script, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  // The status words are core's own, bundled in (esbuild prints arrays with ", ").
  assert.ok(
    script.includes(`STATUSES = [${STATUSES.map((s) => JSON.stringify(s)).join(", ")}]`),
    "core's STATUSES in the bundle",
  );
  assert.deepEqual(STATUSES, ["pending", "running", "succeeded", "failed", "cancelled"]);
});

test("a server whose dashboard script was not built says how to build it", async () => {
  const res = await dashboardApp(() => null).request("/app.js");
  assert.equal(res.status, 500);
  assert.match(await res.text(), /not built: run `npm run build`/);
  assert.equal((await dashboardApp(() => null).request("/")).status, 200, "the page itself is still served");
});

test("/ui is public on a server with API keys; the API still wants the key", { timeout: 30_000 }, async () => {
  const c = await startCluster({ server: { apiKeys: ["secret-key"] }, executor: null });
  try {
    for (const p of ["/ui", "/ui/", "/ui/app.js", "/ui/style.css"])
      assert.equal((await fetch(c.server.url + p)).status, 200, p);
    assert.equal((await fetch(`${c.server.url}/v1/namespaces/default/applications`)).status, 401);
    const ok = await fetch(`${c.server.url}/v1/namespaces/default/applications`, {
      headers: { authorization: "Bearer secret-key" },
    });
    assert.equal(ok.status, 200);
    assert.equal((await fetch(c.server.url + "/ui/nope")).status, 404);
  } finally {
    await c.stop();
  }
});
