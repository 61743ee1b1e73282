// The dashboard in headless Chromium: a real server + executor, a real browser, and
// assertions on what a person sees. Skips with a notice where Debian's /usr/bin/chromium is absent.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { TributaryClient } from "../../src/client/index.js";
import { deploy } from "../../src/client/deploy.js";
import { startCluster, sourceOf, type Cluster } from "../helpers/cluster.js";
import { describeDashboard, invoke, screenshot, seeRequestStatus, statusOf, waitFor, type Browser } from "./browser.js";

let cluster: Cluster;
let browser: Browser;
let page: Page;
let pageErrors: string[];
const streams: string[] = [];

describeDashboard(
  "dashboard in headless Chromium",
  async (s) => {
    ({ cluster, browser, page } = s);
    pageErrors = browser.errors;
    page.on("response", (r) => /\/progress(\?|$)/.test(r.url()) && r.status() === 200 && streams.push(r.url()));
  },
  () => {
    test("apps → requests → a finished request: status, call tree, progress, output", { timeout: 60_000 }, async () => {
      const id = await invoke(cluster, "dash_tree", 3);
      await waitFor("dash_tree to finish", async () => (await statusOf(cluster, "dash_tree", id)) === "succeeded");

      await page.goto(`${cluster.server.url}/ui`);
      const appRow = page.locator("tr", { has: page.getByRole("link", { name: "dash_tree", exact: true }) });
      await appRow.waitFor();
      // Tags and function names as text; the tag's markup is shown, not parsed.
      assert.match(await appRow.innerText(), /team=<ui>/);
      // Every function of the bundle (apps.ts), counted.
      const { functions } = (await (await fetch(`${cluster.server.url}/applications/dash_tree`)).json()) as {
        functions: string[];
      };
      assert.ok(functions.length >= 3);
      assert.match(await appRow.innerText(), new RegExp(`${functions.length} functions`));
      assert.match((await appRow.locator("td[title]").getAttribute("title")) ?? "", /dash_leaf/);
      assert.equal(await page.locator("main ui").count(), 0);

      await page.getByRole("link", { name: "dash_tree", exact: true }).click();
      const reqRow = page.locator("tr", { has: page.getByRole("link", { name: id }) });
      await reqRow.waitFor();
      assert.match(await reqRow.innerText(), /succeeded/);
      assert.match(await reqRow.innerText(), /"success"/);

      await page.getByRole("link", { name: id }).click();
      await seeRequestStatus(page, "succeeded");
      assert.match(await page.locator("#facts").innerText(), /Outcome\s+"success"/);

      // The call tree: dash_leaf is drawn inside dash_tree's list item, both succeeded.
      const root = page.locator('ul.tree > li:has(> .call[data-function="dash_tree"])');
      await root.waitFor();
      const leaf = root.locator('ul .call[data-function="dash_leaf"]');
      await leaf.waitFor();
      assert.match(await root.locator("> .call .call-head").innerText(), /dash_tree\s+succeeded/);
      assert.match(await leaf.locator(".call-head").innerText(), /dash_leaf\s+succeeded/);
      assert.match(await leaf.locator("table").innerText(), /#1\s+succeeded/);

      // The progress bar, fed by the SSE stream, reaches its total.
      await page.waitForFunction(() => {
        // Runs in the page; the project's TypeScript has no DOM lib, hence the narrow cast.
        const doc = (
          globalThis as unknown as { document: { getElementById(id: string): { value: number; max: number } | null } }
        ).document;
        const bar = doc.getElementById("progress-bar");
        return bar !== null && bar.max === 3 && bar.value === 3;
      });
      assert.match(await page.locator("#progress-text").innerText(), /^3 \/ 3 — item 3 \(dash_tree\)$/);

      // Output, state, metrics and logs, with user markup shown as text.
      const output = page.locator("#output-value");
      await output.waitFor();
      const shown = JSON.parse(await output.innerText()) as unknown;
      assert.deepEqual(shown, { items: 3, leaf: 11, note: "<i>not markup</i>" });
      await page.locator("#logs", { hasText: "[dash_leaf] leaf got <b>bold</b>" }).waitFor();
      assert.match(await page.locator("#state").innerText(), /"seen": 3/);
      assert.match(await page.locator("#metrics").innerText(), /items_processed\s+3/);
      assert.equal(await page.locator("main b, main i").count(), 0, "user markup must never become elements");

      // The bar was fed by the progress stream (EventSource, no key on this server), asked for with
      // the lifecycle events the page refreshes on.
      assert.ok(
        streams.some((u) => u.endsWith(`/requests/${id}/progress?events=all`)),
        `progress stream opened: ${streams.join(", ")}`,
      );

      await screenshot(page, "request-finished");
      assert.deepEqual(pageErrors, []);
    });

    test("a running request shows live progress and Cancel turns it cancelled", { timeout: 60_000 }, async () => {
      const id = await invoke(cluster, "dash_sleepy", null);
      await page.goto(`${cluster.server.url}/ui#/apps/dash_sleepy`);
      await page.getByRole("link", { name: id }).click();
      await seeRequestStatus(page, "running");
      await page.locator("#progress-text", { hasText: "0 / 1 — waiting to be cancelled" }).waitFor();
      // A running attempt is a bar on the timeline that grows towards now; the overall bar says 0 %.
      await page.locator('#timeline-chart .seg-attempt[data-attempt="1"][data-status="running"]').waitFor();
      assert.equal(await page.locator("#overall-bar-text").innerText(), "0 %");

      const cancel = page.getByRole("button", { name: "Cancel request" });
      await cancel.click();
      await seeRequestStatus(page, "cancelled");
      assert.match(await page.locator("#facts").innerText(), /Outcome\s+\{"failure":"cancelled"\}/);
      await cancel.waitFor({ state: "hidden" });
      assert.equal(await statusOf(cluster, "dash_sleepy", id), "cancelled");
      await page.locator('.call[data-function="dash_sleepy"] .call-head', { hasText: "cancelled" }).waitFor();
      // The timeline ends the attempt's bar where it was cancelled.
      await page.locator('#timeline-chart .seg-attempt[data-attempt="1"][data-status="cancelled"]').waitFor();

      // The status filter lists it among the cancelled requests and nowhere else.
      await page.getByRole("link", { name: "dash_sleepy" }).first().click();
      await page.getByLabel("Status").selectOption("cancelled");
      await page.waitForURL(/status=cancelled$/);
      await page.getByRole("link", { name: id }).waitFor();
      await page.getByLabel("Status").selectOption("succeeded");
      await page.getByText("No succeeded requests.").waitFor();
      assert.deepEqual(pageErrors, []);
    });

    test("with API keys: the page asks for the key, then sends it (stream included)", { timeout: 60_000 }, async () => {
      const secured = await startCluster({ server: { apiKeys: ["k-dashboard"] } });
      const p = await browser.context.newPage();
      try {
        await deploy(
          sourceOf(import.meta.url, "./apps.ts"),
          new TributaryClient({ server: secured.server.url, apiKey: "k-dashboard" }),
        );
        const res = await fetch(`${secured.server.url}/applications/dash_tree`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: "Bearer k-dashboard" },
          body: "2",
        });
        const { request_id: id } = (await res.json()) as { request_id: string };
        const keyed: string[] = [];
        p.on(
          "request",
          (r) =>
            r.url().endsWith("/progress?events=all") &&
            r.headers()["authorization"] === "Bearer k-dashboard" &&
            keyed.push(r.url()),
        );

        await p.goto(`${secured.server.url}/ui#/apps/dash_tree/requests/${id}`);
        await p.getByRole("alert").filter({ hasText: "set the API key above" }).waitFor();
        assert.equal(
          await p.evaluate("document.activeElement && document.activeElement.id"),
          "key",
          "a 401 puts the cursor in the key field",
        );
        await p.getByLabel("API key").fill("k-dashboard");
        await p.getByRole("button", { name: "Save" }).click();
        // The key lives in this tab's sessionStorage only, never in localStorage (which outlives it).
        assert.deepEqual(
          await p.evaluate('[sessionStorage.getItem("tributary.apiKey"), localStorage.getItem("tributary.apiKey")]'),
          ["k-dashboard", null],
        );
        await seeRequestStatus(p, "succeeded");
        await p.locator("#progress-text", { hasText: "2 / 2 — item 2" }).waitFor();
        await waitFor("the keyed progress stream", async () => keyed.length > 0, 10_000);
        assert.ok(await p.getByRole("alert").isHidden());

        // The invoke form sends the key too, and follows its request on the keyed stream.
        await p.goto(`${secured.server.url}/ui#/apps/dash_tree/invoke`);
        await p.locator("#invoke-form").getByLabel("input").fill("4");
        await p.getByRole("button", { name: "Invoke" }).click();
        await p.locator("#invoke-status .status", { hasText: /^succeeded$/ }).waitFor();
        assert.equal(JSON.parse(await p.locator("#invoke-output-value").innerText()).items, 4);
        // …and so do the schedules view and the cross-application search.
        await p.goto(`${secured.server.url}/ui#/apps/dash_tree/schedules`);
        await p.getByText("No cron schedule for this application.").waitFor();
        await p.goto(`${secured.server.url}/ui#/`);
        await p.getByLabel("Find a request by id").fill(id);
        await p.getByRole("button", { name: "Find" }).click();
        await p.waitForURL(new RegExp(`#/apps/dash_tree/requests/${id}$`));
        await seeRequestStatus(p, "succeeded");
      } finally {
        await p.close();
        await secured.stop();
      }
    });
  },
);
