/** Contract: API keys are found by digest, listed oldest first, and deleted by id. */
import assert from "node:assert/strict";
import type { ApiKeyRow } from "../types.js";
import { storeTest, uid, type MakeStore } from "./fixtures.js";

const key = (over: Partial<ApiKeyRow> = {}): ApiKeyRow => ({
  id: uid("key"),
  name: "ci",
  namespaces: null,
  hash: uid("h").padEnd(64, "0"),
  createdAt: 10,
  ...over,
});

export function apiKeyContract(makeStore: MakeStore): void {
  storeTest(makeStore, "api keys: create, find by digest, list oldest first, delete", async (s) => {
    assert.deepEqual(await s.listApiKeys(), []);
    const all = key({ name: "all namespaces", createdAt: 20 });
    const limited = key({ name: "team ✓", namespaces: ["team-a", "team_b"], createdAt: 10 });
    const empty = key({ name: "nothing", namespaces: [], createdAt: 30 });
    await s.createApiKey(all);
    await s.createApiKey(limited);
    await s.createApiKey(empty);
    assert.deepEqual(await s.findApiKey(all.hash), all);
    assert.deepEqual(await s.findApiKey(limited.hash), limited);
    assert.deepEqual(await s.findApiKey(empty.hash), empty, "an empty namespace list stays empty, not null");
    assert.equal(await s.findApiKey("0".repeat(64)), null);
    assert.deepEqual(await s.listApiKeys(), [limited, all, empty]);

    assert.equal(await s.deleteApiKey(limited.id), true);
    assert.equal(await s.deleteApiKey(limited.id), false);
    assert.equal(await s.findApiKey(limited.hash), null, "a deleted key is found no more");
    assert.deepEqual(await s.listApiKeys(), [all, empty]);
  });

  storeTest(makeStore, "api keys: a second key with the same digest is refused", async (s) => {
    const first = key();
    await s.createApiKey(first);
    await assert.rejects(s.createApiKey(key({ hash: first.hash })));
    assert.deepEqual(await s.listApiKeys(), [first]);
  });
}
