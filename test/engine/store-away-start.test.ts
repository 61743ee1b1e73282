/**
 * An attempt's start whose commit fails (the database away): nothing was sent to the executor, and
 * the store may or may not hold the start, so the request is reloaded from the store once it answers
 * (src/engine/reload.ts): the call is placed again and runs once.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bytes, createHarness, fnSpec } from "./harness.js";
import { childRunsOnceAfterReload, failOnce } from "./store-failures.js";

test("a root call whose start failed to commit runs once the store answers", async () => {
  const h = await createHarness([fnSpec("top")]);
  try {
    const ex = h.executor("ex");
    const failures = failOnce(h, "startAttempt");
    const id = await h.invoke("top");
    assert.equal(failures(), 1);
    assert.equal(ex.assignments().length, 0, "nothing sent for a start not committed");

    await h.clock.advance(1_000);
    await h.settle();
    const top = ex.assignment("top");
    assert.ok(top, "placed again after the reload");
    ex.succeed(top.attemptId, '"top done"');
    await h.settle();
    assert.equal((await h.request(id)).status, "succeeded");
    assert.equal(ex.assignments().length, 1, "top ran once");
    assert.deepEqual(
      (await h.store.listAttempts(id)).map((a) => a.status),
      ["succeeded"],
    );
  } finally {
    await h.close();
  }
});

test("a child whose start failed to commit runs once, and its parent gets its result", async () => {
  const h = await createHarness([fnSpec("top"), fnSpec("work")]);
  try {
    const ex = h.executor("ex");
    const id = await h.invoke("top");
    const top = ex.assignment("top")!;
    const failures = failOnce(h, "startAttempt", (_a, _c, evs) => evs[0]?.functionName === "work");
    ex.call(top.attemptId, 0, "work");
    await h.settle();
    assert.equal(failures(), 1);
    assert.equal(ex.assignment("work"), undefined, "nothing sent for a start not committed");

    await childRunsOnceAfterReload(h, ex, top.attemptId, id);
  } finally {
    await h.close();
  }
});

test("a run whose starts failed to commit runs its items once the store answers", async () => {
  const h = await createHarness([fnSpec("parent"), fnSpec("child")]);
  try {
    const ex = h.executor("ex", { cpu: 4, memory: 8 }, [], 16);
    const id = await h.invoke("parent");
    const parent = ex.assignment("parent")!.attemptId;
    const items = Array.from({ length: 20 }, (_, i) => bytes(`[${i}]`));
    const map = { t: "map", attemptId: parent, rpc: 1, seq: 1, functionName: "child", items } as const;
    h.engine.executorMessage(ex.id, map);
    await h.settle();
    // The first item's success makes `child` a leaf: the next free slot takes a run, whose starts
    // (one store batch) fail to commit.
    const failures = failOnce(h, "startAttempts");
    const first = ex.assignment("child")!;
    ex.succeed(first.attemptId, "0");
    await h.settle();
    assert.equal(failures(), 1);

    await h.clock.advance(1_000);
    await h.settle();
    h.engine.executorMessage(ex.id, map); // the parent's map, re-sent when asked
    await h.settle();
    for (let round = 0; round < 50; round++) {
      const open = ex.assignments().filter((a) => a.functionName === "child" && a.attemptId !== first.attemptId);
      const left = open.filter((a) => !ex.sent.some((m) => m.t === "ack" && m.attemptId === a.attemptId));
      if (!left.length) break;
      for (const a of left) ex.succeed(a.attemptId, "1");
      await h.settle();
    }
    assert.equal(ex.reply(parent, 1)?.ok, true, "the map is answered");
    const children = (await h.store.listCalls(id)).filter((c) => c.functionName === "child");
    assert.equal(children.length, 20);
    assert.ok(
      children.every((c) => c.status === "succeeded" && c.attemptsUsed === 1),
      "every item ran once",
    );
    const byCall = new Map<string, number>();
    for (const a of ex.assignments()) byCall.set(a.callId, (byCall.get(a.callId) ?? 0) + 1);
    assert.ok(
      [...byCall.values()].every((n) => n === 1),
      "no item was assigned twice",
    );
  } finally {
    await h.close();
  }
});

test("a request whose creation committed but was reported failed runs once the store answers", async () => {
  const h = await createHarness([fnSpec("top")]);
  try {
    // Writes applied at commit (as PostgreSQL's group commit): the request is created, then started.
    Object.defineProperty(h.store, "appliedAtCall", { value: false });
    const ex = h.executor("ex");
    failOnce(h, "createRequest", undefined, true);
    await assert.rejects(
      h.engine.invoke("default", "top", { bytes: bytes(""), contentType: null }, null),
      /ECONNREFUSED/,
    );
    const [row] = await h.store.listUnfinishedRequests();
    assert.equal(row?.status, "pending", "the store holds it");

    await h.clock.advance(1_000);
    await h.settle();
    const top = ex.assignment("top");
    assert.ok(top, "run after the reload");
    ex.succeed(top.attemptId);
    await h.settle();
    assert.equal((await h.request(row.id)).status, "succeeded");
    assert.equal(ex.assignments().length, 1, "run once");
  } finally {
    await h.close();
  }
});
