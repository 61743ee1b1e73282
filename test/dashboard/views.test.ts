// The dashboard's list views in headless Chromium: finding a request by id, filtering the requests
// by status and creation time, and an application's cron schedules. Screenshots go to SCREENSHOTS.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import type { Cluster } from "../helpers/cluster.js";
import { describeDashboard, invoke, screenshot, seeRequestStatus, statusOf, waitFor, type Browser } from "./browser.js";

let cluster: Cluster;
let browser: Browser;
let page: Page;
const ids: string[] = [];

describeDashboard(
  "dashboard views in headless Chromium",
  async (s) => {
    ({ cluster, browser, page } = s);
    for (let i = 1; i <= 3; i++) {
      ids.push(await invoke(cluster, "dash_tree", i));
      // Distinct creation times, so the time filters below have a boundary between each.
      await new Promise((r) => setTimeout(r, 5));
    }
    for (const id of ids)
      await waitFor(`${id} to finish`, async () => (await statusOf(cluster, "dash_tree", id)) === "succeeded");
  },
  () => {
    /** The request ids the list shows, top to bottom. */
    async function listed(): Promise<string[]> {
      return page.locator('table[aria-label="Requests of dash_tree"] tbody td:first-child a').allInnerTexts();
    }

    test("find a request by id: the whole id opens it, a prefix lists it, a miss says so", async () => {
      await page.goto(`${cluster.server.url}/ui#/apps/dash_tree`);
      await page.getByRole("link", { name: ids[0]! }).waitFor();
      assert.deepEqual(await listed(), [...ids].reverse(), "newest first");

      // The whole id: straight to the request, and Back returns to the unfiltered list.
      await page.getByLabel("Request id").fill(ids[1]!);
      await page.getByLabel("Request id").press("Enter");
      await page.waitForURL(new RegExp(`#/apps/dash_tree/requests/${ids[1]}$`));
      await seeRequestStatus(page, "succeeded");
      await page.locator("#output-value", { hasText: '"items": 2' }).waitFor();
      await screenshot(page, "search-found-request");
      await page.goBack();
      await page.waitForURL(/#\/apps\/dash_tree$/);
      await page.getByRole("link", { name: ids[2]! }).waitFor();

      // A prefix lists the requests it starts; the field keeps it after the reload of the view.
      const prefix = ids[2]!.slice(0, 12);
      await page.getByLabel("Request id").fill(prefix);
      await page.getByRole("button", { name: "Apply" }).click();
      await page.waitForURL(new RegExp(`\\?id=${prefix}$`));
      await page.getByRole("link", { name: ids[2]! }).waitFor();
      const shown = await listed();
      assert.ok(shown.length >= 1 && shown.every((id) => id.startsWith(prefix)), shown.join(", "));
      assert.equal(await page.getByLabel("Request id").inputValue(), prefix);

      // No match, and a status filter that excludes it: the page says so.
      await page.getByLabel("Request id").fill("no-such-request");
      await page.getByLabel("Request id").press("Enter");
      await page.getByText("No request matches these filters.").waitFor();
      assert.deepEqual(await listed(), []);
      await page.getByLabel("Request id").fill(ids[0]!);
      await page.getByLabel("Status").selectOption("failed");
      await page.waitForURL(new RegExp(`\\?id=${ids[0]}&status=failed$`));
      await page.getByText("No request matches these filters.").waitFor();
      await screenshot(page, "search-no-match");
      assert.deepEqual(browser.errors, []);
    });

    test("filter by creation time: from the hash, and through the date fields", async () => {
      const created = await Promise.all(
        ids.map(
          async (id) =>
            (
              (await (await fetch(`${cluster.server.url}/applications/dash_tree/requests/${id}`)).json()) as {
                created_at: number;
              }
            ).created_at,
        ),
      );
      // From the second request's creation on: the second and third, newest first.
      await page.goto(`${cluster.server.url}/ui#/apps/dash_tree?after=${created[1]}`);
      await page.getByRole("link", { name: ids[2]! }).waitFor();
      assert.deepEqual(await listed(), [ids[2], ids[1]]);
      // Created before the second one: the first only.
      await page.goto(`${cluster.server.url}/ui#/apps/dash_tree?before=${created[1]}`);
      await page.getByRole("link", { name: ids[0]! }).waitFor();
      assert.deepEqual(await listed(), [ids[0]]);

      // The date fields (local time, to the minute): everything before 2001 is nothing.
      await page.goto(`${cluster.server.url}/ui#/apps/dash_tree`);
      await page.getByRole("link", { name: ids[0]! }).waitFor();
      await page.getByLabel("Created before").fill("2001-01-01T00:00");
      await page.getByRole("button", { name: "Apply" }).click();
      await page.waitForURL(/\?before=\d+$/);
      await page.getByText("No request matches these filters.").waitFor();
      // …and from 2001 on, with that bound cleared, everything again.
      await page.getByLabel("Created before").fill("");
      await page.getByLabel("Created from").fill("2001-01-01T00:00");
      await page.getByRole("button", { name: "Apply" }).click();
      await page.waitForURL(/\?after=\d+$/);
      await page.getByRole("link", { name: ids[0]! }).waitFor();
      assert.deepEqual(await listed(), [...ids].reverse());
      await screenshot(page, "requests-filtered-by-time");
      await page.getByRole("link", { name: "Clear" }).click();
      await page.waitForURL(/#\/apps\/dash_tree$/);
      assert.equal(await page.getByLabel("Created from").inputValue(), "");
      assert.deepEqual(browser.errors, []);
    });

    test("see a schedule: its expression with next and last fire times", async () => {
      const res = await fetch(`${cluster.server.url}/applications/dash_tree/cron-schedules`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ cron_expression: "0 6 * * 1", input: 2 }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      const { schedule_id } = (await res.json()) as { schedule_id: string };
      const { schedules } = (await (
        await fetch(`${cluster.server.url}/applications/dash_tree/cron-schedules`)
      ).json()) as { schedules: { id: string; next_fire_time_ms: number }[] };
      const next = schedules.find((s) => s.id === schedule_id)!.next_fire_time_ms;

      await page.goto(`${cluster.server.url}/ui#/apps/dash_sleepy`);
      await page.getByRole("link", { name: "Schedules" }).click();
      await page.getByText("No cron schedule for this application.").waitFor();

      await page.goto(`${cluster.server.url}/ui#/apps/dash_tree`);
      await page.getByRole("link", { name: "Schedules" }).click();
      await page.waitForURL(/#\/apps\/dash_tree\/schedules$/);
      const row = page.locator(`tr[data-schedule="${schedule_id}"]`);
      await row.waitFor();
      assert.equal(await row.locator("code.cron").innerText(), "0 6 * * 1");
      // The next fire time: the server's, shown in local time with the exact instant on hover.
      const nextCell = row.locator("td.next-fire > span");
      assert.equal(await nextCell.getAttribute("title"), new Date(next).toISOString());
      assert.match(await nextCell.innerText(), /\(in .+\)$/);
      assert.equal(await row.locator("td.last-fire").innerText(), "never");
      await screenshot(page, "schedules");
      assert.deepEqual(browser.errors, []);
    });
  },
);
