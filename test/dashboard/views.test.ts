// The dashboard's views in headless Chromium: finding a request by id, filtering the requests by
// status and creation time, an application's cron schedules, the invoke form, and a request's
// timeline. Screenshots go to SCREENSHOTS (browser.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import type { Cluster } from "../helpers/cluster.js";
import {
  assertPageErrors,
  describeDashboard,
  invoke,
  screenshot,
  seeRequestStatus,
  statusOf,
  waitFor,
  type Browser,
} from "./browser.js";

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

      // From the Applications page, without knowing the application: every application is asked.
      await page.goto(`${cluster.server.url}/ui#/`);
      await page.getByLabel("Find a request by id").fill("no-such-request");
      await page.getByRole("button", { name: "Find" }).click();
      await page.getByText("No request id starts with “no-such-request”").waitFor();
      await page.getByLabel("Find a request by id").fill(ids[0]!.slice(0, 12));
      await page.getByRole("button", { name: "Find" }).click();
      const found = page.locator('table[aria-label="Requests found"]');
      await found.getByRole("link", { name: ids[0]! }).waitFor();
      assert.match(await found.locator("tr", { hasText: ids[0]! }).innerText(), /dash_tree\s+succeeded/);
      await page.getByLabel("Find a request by id").fill(ids[0]!);
      await page.getByRole("button", { name: "Find" }).click();
      await page.waitForURL(new RegExp(`#/apps/dash_tree/requests/${ids[0]}$`));
      await seeRequestStatus(page, "succeeded");
      assertPageErrors(browser);
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
      // The view re-renders after the hash changes: poll rather than read the field once.
      const from = page.getByLabel("Created from");
      for (let i = 0; i < 100 && (await from.inputValue()) !== ""; i++) await page.waitForTimeout(50);
      assert.equal(await from.inputValue(), "");
      assertPageErrors(browser);
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

      // Create one from the page: a bad expression gets the server's reason, a good one a new row.
      await page.getByLabel("Cron expression").fill("* * * *");
      await page.getByRole("button", { name: "Create schedule" }).click();
      await page.locator("#cron-error", { hasText: "has 4 fields" }).waitFor();
      await page.getByLabel("Cron expression").fill("*/5 * * * *");
      await page.getByLabel("Input (JSON, optional)").fill("3");
      await page.getByRole("button", { name: "Create schedule" }).click();
      const added = page.locator("tr[data-schedule]", { has: page.locator("code.cron", { hasText: "*/5 * * * *" }) });
      await added.waitFor();
      assert.equal(await page.locator("tr[data-schedule]").count(), 2);
      await screenshot(page, "schedules");

      // Delete asks first, then the row goes (and the server's list with it).
      page.once("dialog", (d) => void d.accept());
      await added.getByRole("button", { name: "Delete" }).click();
      await added.waitFor({ state: "detached" });
      assert.equal(await page.locator("tr[data-schedule]").count(), 1);
      const left = (await (await fetch(`${cluster.server.url}/applications/dash_tree/cron-schedules`)).json()) as {
        schedules: { id: string }[];
      };
      assert.deepEqual(
        left.schedules.map((x) => x.id),
        [schedule_id],
      );
      assertPageErrors(browser, /status of 400/);
    });

    test("invoke an application through its generated form and watch it finish", async () => {
      await page.goto(`${cluster.server.url}/ui#/apps/dash_form`);
      await page.getByRole("link", { name: "Invoke" }).click();
      await page.waitForURL(/#\/apps\/dash_form\/invoke$/);
      // One field per property of the input type, each of the kind its type asks for.
      const form = page.locator("#invoke-form");
      await form.waitFor();
      assert.equal(await form.getByLabel("name").getAttribute("type"), "text");
      assert.equal(await form.getByLabel("count").getAttribute("type"), "number");
      assert.equal(await form.getByLabel("loud").getAttribute("type"), "checkbox");
      assert.deepEqual(await form.getByLabel("style").locator("option").allInnerTexts(), ["plain", "fancy"]);
      assert.equal(await form.getByLabel("tags").evaluate((el) => el.tagName), "TEXTAREA");

      // A required number left empty is caught before anything is sent.
      await form.getByLabel("name").fill("<b>ada</b>");
      await page.getByRole("button", { name: "Invoke" }).click();
      await page.locator("#invoke-error", { hasText: "count: a value is required" }).waitFor();

      // The server's schema check speaks through the same line (raw JSON, a wrong type).
      await form.getByLabel("Raw JSON").check();
      await page.locator("#input-raw").fill('{"name": 3, "count": 1, "loud": false, "style": "plain"}');
      await page.getByRole("button", { name: "Invoke" }).click();
      await page.locator("#invoke-error", { hasText: "$.name" }).waitFor();
      await form.getByLabel("Raw JSON").uncheck();

      await form.getByLabel("count").fill("2");
      await form.getByLabel("loud").check();
      await form.getByLabel("style").selectOption("fancy");
      await form.getByLabel("tags").fill('["a", "b"]');
      // Every figure the overall bar shows, in order, as the stream moves it.
      await page.evaluate(`(() => {
        const seen = (window.__overall = []);
        new MutationObserver(() => {
          const t = document.getElementById("invoke-progress-text")?.textContent;
          if (t && t !== seen[seen.length - 1]) seen.push(t);
        }).observe(document.getElementById("invoke-result"), { subtree: true, childList: true, characterData: true });
      })()`);
      await page.getByRole("button", { name: "Invoke" }).click();

      // Followed live: running with its steps, then succeeded at 100 % with the output.
      const link = page.locator("#invoke-request");
      await link.waitFor();
      const id = await link.innerText();
      await page.locator("#invoke-status .status", { hasText: /^running$/ }).waitFor();
      await page.locator("#invoke-status .status", { hasText: /^succeeded$/ }).waitFor();
      assert.equal(await page.locator("#invoke-progress-text").innerText(), "100 %");
      // Live: the bar rose through the steps (1/3, 2/3, 3/3 of the only call), never backwards.
      const seen = (await page.evaluate("window.__overall")) as string[];
      const percents = seen.filter((t) => t.endsWith("%")).map((t) => parseInt(t, 10));
      assert.deepEqual(percents, [33, 66, 100], seen.join(", "));
      assert.equal(await page.locator("#invoke-progress-message").innerText(), "step 3");
      const out = JSON.parse(await page.locator("#invoke-output-value").innerText()) as unknown;
      assert.deepEqual(out, { text: "HELLO <B>ADA</B>HELLO <B>ADA</B>", style: "fancy", tags: ["a", "b"] });
      assert.equal(await page.locator("main b").count(), 0, "user markup must never become elements");
      await screenshot(page, "invoke-finished");

      // The request the form made is a real one: its page shows it succeeded.
      assert.equal(await statusOf(cluster, "dash_form", id), "succeeded");
      await link.click();
      await seeRequestStatus(page, "succeeded");
      assertPageErrors(browser, /status of 400/);
    });

    test("a File input is a file picker whose bytes are sent with their type", async () => {
      await page.goto(`${cluster.server.url}/ui#/apps/dash_file/invoke`);
      const picker = page.getByLabel("Input file");
      assert.equal(await picker.getAttribute("type"), "file");
      await picker.setInputFiles({ name: "note.txt", mimeType: "text/plain", buffer: Buffer.from("hi <b>there</b>") });
      await page.getByRole("button", { name: "Invoke" }).click();
      await page.locator("#invoke-status .status", { hasText: /^succeeded$/ }).waitFor();
      const out = JSON.parse(await page.locator("#invoke-output-value").innerText()) as unknown;
      assert.deepEqual(out, { size: 15, type: "text/plain", text: "hi <b>there</b>" });
      assertPageErrors(browser);
    });

    test("open the timeline of a request with a retried child and see both attempts", async () => {
      const id = await invoke(cluster, "dash_retry", 21);
      await page.goto(`${cluster.server.url}/ui#/apps/dash_retry/requests/${id}`);
      await seeRequestStatus(page, "succeeded");
      const chart = page.locator("#timeline-chart");
      // The child's row: attempt 1 failed, attempt 2 succeeded, the retry's backoff between them.
      const child = chart.locator('.tl-row[data-function="dash_flaky"]');
      await child.locator('.seg-attempt[data-attempt="2"][data-status="succeeded"]').waitFor();
      const failed = child.locator('.seg-attempt[data-attempt="1"]');
      assert.equal(await failed.getAttribute("data-status"), "failed");
      // Its tooltip says why it failed, how long it ran and what it used.
      assert.match((await failed.getAttribute("title")) ?? "", /^attempt #1 failed \(function_error\), .+ \(wall \d/);
      const backoff = child.locator(".seg-backoff");
      assert.equal(await backoff.count(), 1);
      assert.match((await backoff.getAttribute("title")) ?? "", /retry backoff 400 ms/);
      // On the time axis: the failed bar, then the backoff, then the retry, left to right.
      const box = async (l: typeof failed) => (await l.boundingBox())!;
      const [f, b, ok] = [await box(failed), await box(backoff), await box(child.locator('[data-attempt="2"]'))];
      assert.ok(f.x + f.width <= b.x + 1, `backoff starts after the failed attempt (${f.x}+${f.width} vs ${b.x})`);
      assert.ok(b.x + b.width <= ok.x + 1, `the retry starts after the backoff (${b.x}+${b.width} vs ${ok.x})`);
      assert.ok(b.width > 10, `the 400 ms backoff is visible (${b.width}px)`);

      // The parent's row: one attempt that waits on the child for most of its length, drawn above it.
      const parent = chart.locator('.tl-row[data-function="dash_retry"]');
      const parentBar = parent.locator(".seg-attempt");
      assert.equal(await parentBar.count(), 1);
      const wait = parent.locator(".seg-wait");
      assert.equal(await wait.count(), 1);
      const [p, w] = [await box(parentBar), await box(wait)];
      assert.ok(w.x >= p.x - 1 && w.x + w.width <= p.x + p.width + 1, "the wait lies within the parent's attempt");
      assert.ok(w.width > p.width / 2, `the wait covers most of it (${w.width} of ${p.width}px)`);
      assert.deepEqual(
        await chart.locator(".tl-row[data-function] .tl-label").allInnerTexts(),
        ["dash_retry", "dash_flaky"],
        "rows in call-tree order",
      );

      // Usage, as the server sums it: every attempt measured, shown beside the facts and per attempt.
      const { usage } = (await (
        await fetch(`${cluster.server.url}/applications/dash_retry/requests/${id}`)
      ).json()) as {
        usage: { attempts: number; wall_seconds: number };
      };
      assert.equal(usage.attempts, 3, "the parent's attempt and both of the child's");
      const facts = page.locator("#usage");
      await facts.waitFor();
      assert.match(await facts.innerText(), /Attempts measured\s+3/);
      assert.match(await facts.innerText(), new RegExp(`Wall time\\s+${usage.wall_seconds.toFixed(3)} s`));
      const perAttempt = page.locator('.call[data-function="dash_flaky"] td.attempt-usage');
      assert.equal(await perAttempt.count(), 2);
      assert.match(await perAttempt.first().innerText(), /^wall \d+\.\d{3} s · CPU .+ · peak .+$/);

      // The overall progress bar of a succeeded request is full, and the call tree agrees.
      assert.equal(await page.locator("#overall-bar-text").innerText(), "100 %");
      assert.match(
        await page.locator('.call[data-function="dash_flaky"] table').innerText(),
        /#1\s+failed[\s\S]*#2\s+succeeded/,
      );
      await page.locator("#timeline-title").scrollIntoViewIfNeeded();
      await screenshot(page, "timeline-retried-child");
      assertPageErrors(browser);
    });
  },
);
