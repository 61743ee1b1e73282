/**
 * The checkpoint worker: the store's connection never checkpoints, yet committed pages reach the
 * database file (the worker copies them), and closing the store ends the worker so the store's
 * connection, closing last, checkpoints and removes the WAL. A store left open never keeps its
 * process alive.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ev, inline, newRequest } from "../contract/fixtures.js";
import { createSqliteStore } from "./index.js";

const root = mkdtempSync(join(tmpdir(), "tributary-sqlite-checkpoint-"));
after(() => rmSync(root, { recursive: true, force: true }));

test(
  "committed pages reach the database file without a checkpoint on the writing thread",
  { timeout: 20_000 },
  async () => {
    const path = join(root, "cp.db");
    const store = createSqliteStore(path);
    try {
      const before = statSync(path).size;
      const { request, root: call } = newRequest();
      await store.createRequest(request, call, [ev("request:started")]);
      // About 4 MB of state values, over many commits: far past one checkpoint's worth of WAL.
      const value = inline(JSON.stringify("x".repeat(40_000)));
      for (let i = 0; i < 100; i++) await store.setState(request.id, `k${i}`, value, i);
      const deadline = Date.now() + 10_000;
      while (statSync(path).size <= before + 2_000_000 && Date.now() < deadline) await sleep(20);
      assert.ok(statSync(path).size > before + 2_000_000, "the worker copied the WAL into the database file");
    } finally {
      await store.close();
    }
    assert.equal(existsSync(`${path}-wal`), false, "the store's connection closed last and removed the WAL");
    const again = createSqliteStore(path);
    try {
      assert.equal((await again.listState((await again.listUnfinishedRequests())[0]!.id)).length, 100);
    } finally {
      await again.close();
    }
  },
);

test("a process that leaves its store open still exits", { timeout: 20_000 }, () => {
  const adapter = new URL("./index.js", import.meta.url).href;
  const script = `
    const { createSqliteStore } = await import(${JSON.stringify(adapter)});
    const store = createSqliteStore(${JSON.stringify(join(root, "open.db"))});
    await store.createApplicationVersion("default", "app", { applications: [], functions: [] }, "b", 1);
  `;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { timeout: 10_000 });
  assert.equal(r.error, undefined, "the child exited on its own");
  assert.equal(r.status, 0, r.stderr.toString());
});
