// What an executor keeps in its data directory to stay itself across restarts (identity.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rememberServer, stableId, stickyOrder } from "./identity.js";

const servers = ["http://a:1", "http://b:2", "http://c:3"];

test("a restarted executor starts with the server it last served, then the rest in list order", () => {
  const dir = mkdtempSync(join(tmpdir(), "tributary-identity-"));
  try {
    assert.deepEqual(stickyOrder(dir, servers), servers, "first start: the list as given");
    rememberServer(dir, "http://b:2");
    assert.deepEqual(stickyOrder(dir, servers), ["http://b:2", "http://c:3", "http://a:1"]);
    assert.deepEqual(stickyOrder(dir, ["http://x:9", "http://a:1"]), ["http://x:9", "http://a:1"], "not in the list");
    assert.equal(stableId(dir), stableId(dir), "the same id on every start");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
