// Test support for the dashboard's browser tests: headless Debian Chromium (never a download) on a
// clean temporary profile, the plain-HTTP helpers they share, and screenshots in one directory.
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { startCluster, sourceOf, type Cluster } from "../helpers/cluster.js";

export const CHROMIUM = "/usr/bin/chromium";
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.log(`notice: ${CHROMIUM} not found, so the dashboard browser tests skip (apt-get install chromium)`);

/** Where screenshots go: $TRIBUTARY_SCREENSHOTS, else a fixed directory under the temp dir. */
export const SCREENSHOTS = process.env.TRIBUTARY_SCREENSHOTS ?? join(tmpdir(), "tributary-dashboard-screenshots");

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Page errors, console errors and CSP violations seen so far (a test asserts it stays empty). */
  errors: string[];
  close(): Promise<void>;
}

/** A headless Chromium on a fresh profile, removed by close(). */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "tributary-chromium-"));
  // Playwright refuses `--user-data-dir` in launch args: a persistent context on a fresh temp dir is
  // the same thing (a clean profile, removed after).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(20_000);
  const errors: string[] = [];
  // A CSP violation, a script error or a failed API call shows up here.
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && errors.push(`console: ${m.text()}`));
  return {
    context,
    page,
    errors,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Asserts the page logged exactly the errors matching `expected` (in order; e.g. the one 400 a test
 * provoked on purpose, which Chromium logs as a failed resource) and nothing else; clears them.
 */
export function assertPageErrors(b: Browser, ...expected: RegExp[]): void {
  const seen = b.errors.splice(0);
  assert.equal(seen.length, expected.length, `page errors: ${JSON.stringify(seen)}`);
  expected.forEach((re, i) => assert.match(seen[i]!, re));
}

/** Saves a full-page screenshot as SCREENSHOTS/<name>.png and logs where. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
  return path;
}

/** Invokes `app` with a JSON input through the plain HTTP API; returns the request id. */
export async function invoke(c: Cluster, app: string, input: unknown): Promise<string> {
  const res = await fetch(`${c.server.url}/applications/${app}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(input),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { request_id: string }).request_id;
}

export async function statusOf(c: Cluster, app: string, id: string): Promise<string> {
  return ((await (await fetch(`${c.server.url}/applications/${app}/requests/${id}`)).json()) as { status: string })
    .status;
}

export async function waitFor(what: string, ok: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The status word shown in the request's facts, once it reads `word`. */
export async function seeRequestStatus(page: Page, word: string): Promise<void> {
  await page.locator("#facts .status", { hasText: new RegExp(`^${word}$`) }).waitFor();
}

/** What a dashboard suite's tests use; filled in by its `before` hook. */
export interface Suite {
  cluster: Cluster;
  browser: Browser;
  page: Page;
}

/**
 * A describe() of browser tests (skipped without Chromium) whose hooks start a cluster with
 * ./apps.ts deployed and a browser, run `ready`, and stop both after. `body` gets the suite.
 */
export function describeDashboard(name: string, ready: (s: Suite) => Promise<void>, body: (s: Suite) => void): void {
  describe(name, { skip: haveChromium ? false : `${CHROMIUM} not found`, timeout: 150_000 }, () => {
    const s = {} as Suite;
    before(
      async () => {
        s.cluster = await startCluster();
        await s.cluster.deploy(sourceOf(import.meta.url, "./apps.ts"));
        s.browser = await launchBrowser();
        s.page = s.browser.page;
        await ready(s);
      },
      { timeout: 60_000 },
    );
    after(
      async () => {
        await s.browser?.close();
        await s.cluster?.stop();
      },
      { timeout: 30_000 },
    );
    body(s);
  });
}
