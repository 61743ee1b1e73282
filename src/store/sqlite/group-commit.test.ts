/**
 * Group commit with lean transactions (group-commit.ts, transaction.ts): a method that throws (or
 * fails and reports it) inside a batch leaves none of its writes, and the batch's other writes,
 * before and after it in the same tick, commit as if each method had run alone.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ev, inline, newCall, newRequest } from "../contract/fixtures.js";
import { createSqliteStore } from "./index.js";

const root = mkdtempSync(join(tmpdir(), "tributary-sqlite-group-commit-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

test("a failing method in a batch is undone alone; the batch's other writes commit", async () => {
  const path = join(root, `${++n}.db`);
  const store = createSqliteStore(path);
  const a = newRequest();
  const b = newRequest();
  const c = newRequest();
  try {
    await store.createRequest(a.request, a.root, [ev("request:started")]);
    const taken = newCall(a.request.id, a.root.id, 0, 0, "f");
    await store.createCall(taken, [ev("call:created")]);

    // One tick: a write before, two failing methods, a write after, and reads in between.
    const fresh = newCall(a.request.id, a.root.id, 1, 0, "f");
    const before = store.createRequest(b.request, b.root, [ev("request:started")]);
    const stateBefore = store.setState(a.request.id, "k", inline('"before"'), 2);
    // `createCalls` inserts `fresh`, then finds `taken` exists: all or nothing, so null.
    const many = store.createCalls(a.request.id, [fresh, taken], [ev("call:created"), ev("call:created")]);
    // A root call whose id exists: createRequest throws after inserting its request row.
    const dup = assert.rejects(
      store.createRequest(c.request, { ...c.root, id: a.root.id }, [ev("request:started")]),
      /already exists/,
    );
    const seenFresh = store.getCall(fresh.id);
    const seenC = store.getRequest(c.request.id);
    const afterEvents = store.appendEvents(a.request.id, [ev("progress")]);

    assert.equal((await before).created, true);
    await stateBefore;
    assert.equal(await many, null);
    await dup;
    assert.equal(await seenFresh, null);
    assert.equal(await seenC, null);
    assert.deepEqual(
      (await afterEvents).map((e) => e.seq),
      [3],
    );
  } finally {
    await store.close();
  }

  // What the file holds after a reopen: exactly the writes that were acknowledged.
  const again = createSqliteStore(path);
  try {
    assert.equal((await again.getRequest(b.request.id))?.id, b.request.id);
    assert.equal(await again.getRequest(c.request.id), null);
    assert.deepEqual(
      (await again.listCalls(a.request.id)).map((call) => call.seq),
      [0, 0],
    );
    assert.deepEqual(await again.getState(a.request.id, "k"), inline('"before"'));
    assert.deepEqual(
      (await again.listEvents(a.request.id, 0, 10)).map((e) => e.kind),
      ["request:started", "call:created", "progress"],
    );
  } finally {
    await again.close();
  }
});

test("a batch's writes settle only after its commit, and close commits an open batch", async () => {
  const path = join(root, `${++n}.db`);
  const store = createSqliteStore(path);
  const a = newRequest();
  const created = store.createRequest(a.request, a.root, [ev("request:started")]);
  // Not awaited: close commits the open batch, and the write's promise still resolves.
  await store.close();
  assert.equal((await created).created, true);
  const again = createSqliteStore(path);
  try {
    assert.equal((await again.getRequest(a.request.id))?.id, a.request.id);
  } finally {
    await again.close();
  }
});
