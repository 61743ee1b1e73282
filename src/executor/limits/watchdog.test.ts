// The watchdog against real child processes: one that allocates, one that fills its temp dir.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dirSizeBytes, readRssBytes } from "./usage.js";
import { startWatchdog, type Exceeded } from "./watchdog.js";

const MB = 2 ** 20;

/** A node child running `code`; killed at the end of the test whatever happens. */
function child(code: string) {
  const c = spawn(process.execPath, ["-e", code], { stdio: "ignore" });
  const exited = new Promise<void>((r) => c.once("exit", () => r()));
  return { c, exited, kill: () => c.kill("SIGKILL") };
}

/** Bounds `p`; its timer is ref'd on purpose: the watchdog's own timers are not, by design. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const limit = new Promise<T>(
    (_, rej) => (t = setTimeout(() => rej(new Error(`${what}: no answer within ${ms} ms`)), ms)),
  );
  return Promise.race([p, limit]).finally(() => clearTimeout(t));
}

test("RSS of a live process is read from /proc; an exited one reads as null", async () => {
  const rss = await readRssBytes(process.pid);
  assert.ok(rss !== null && rss > 10 * MB, `rss ${rss}`);
  assert.equal(await readRssBytes(2 ** 22 + 12345), null);
});

test("a child that allocates past its memory limit is reported as out_of_memory", { timeout: 20_000 }, async () => {
  // Buffers live outside the V8 heap: only the RSS watchdog can see them.
  const k = child("const k = []; setInterval(() => { const b = Buffer.alloc(16 << 20, 1); k.push(b); }, 20);");
  const dir = mkdtempSync(join(tmpdir(), "tributary-dog-"));
  try {
    const hit = await within(
      new Promise<Exceeded>((resolve) => {
        const dog = startWatchdog({
          pid: k.c.pid!,
          memoryLimitBytes: 128 * MB,
          diskDir: dir,
          diskLimitBytes: 10 * MB,
          onExceed: (e) => {
            k.kill();
            resolve(e);
            dog.stop();
          },
        });
      }),
      15_000,
      "watchdog",
    );
    assert.equal(hit.reason, "out_of_memory");
    assert.ok(hit.usedBytes > 128 * MB && hit.limitBytes === 128 * MB);
    await k.exited;
  } finally {
    k.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("files under the temp dir count against the disk quota (symlinks do not); checkNow catches a burst", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tributary-dog-"));
  const other = mkdtempSync(join(tmpdir(), "tributary-other-"));
  const reports: Exceeded[] = [];
  const dog = startWatchdog({
    pid: process.pid,
    memoryLimitBytes: null,
    diskDir: dir,
    diskLimitBytes: 2 * MB,
    diskIntervalMs: 60_000,
    onExceed: (e) => reports.push(e),
  });
  try {
    writeFileSync(join(other, "big"), Buffer.alloc(4 * MB));
    symlinkSync(join(other, "big"), join(dir, "link"));
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "sub", "a"), Buffer.alloc(MB));
    assert.equal(await dirSizeBytes(dir), MB);
    assert.equal(await dog.checkNow(), null);
    writeFileSync(join(dir, "sub", "b"), Buffer.alloc(2 * MB));
    const e = await dog.checkNow();
    assert.equal(e?.reason, "disk_quota_exceeded");
    assert.equal(e?.usedBytes, 3 * MB);
    assert.equal(reports.length, 1);
    assert.equal(await dog.checkNow(), null, "reports once");
    assert.equal(await dirSizeBytes(join(dir, "missing")), 0);
  } finally {
    dog.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  }
});

test("the sampling loop finds a quota breach on its own", { timeout: 10_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tributary-dog-"));
  try {
    const hit = await within(
      new Promise<Exceeded>((resolve) => {
        startWatchdog({
          pid: process.pid,
          memoryLimitBytes: null,
          diskDir: dir,
          diskLimitBytes: MB,
          diskIntervalMs: 50,
          onExceed: resolve,
        });
        setTimeout(() => writeFileSync(join(dir, "f"), Buffer.alloc(2 * MB)), 100);
      }),
      5_000,
      "disk loop",
    );
    assert.equal(hit.reason, "disk_quota_exceeded");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
