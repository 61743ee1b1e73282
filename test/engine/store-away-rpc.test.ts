/**
 * A child call's RPC whose store work fails (the database away): its creation not committed. The RPC
 * is not answered with an error; the request is reloaded once the store answers
 * (src/engine/reload.ts), the executor re-sends the RPC, and the child is created and run once.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bytes, createHarness, fnSpec, type Harness } from "./harness.js";
import { childRunsOnceAfterReload, failOnce } from "./store-failures.js";

/** As PostgreSQL's group commit: writes apply at commit, not as they are issued. */
function commitLater(h: Harness): void {
  Object.defineProperty(h.store, "appliedAtCall", { value: false });
}

for (const [applied, committed] of [
  [true, false],
  [false, false],
  [true, true],
  [false, true],
]) {
  const name = `a child whose creation ${committed ? "committed but was reported failed" : "failed to commit"} runs once the store answers (applied at call: ${applied})`;
  test(name, async () => {
    const h = await createHarness([fnSpec("top"), fnSpec("work")]);
    try {
      if (!applied) commitLater(h);
      const ex = h.executor("ex");
      const id = await h.invoke("top");
      const top = ex.assignment("top")!;
      const failures = failOnce(h, "createCall", undefined, committed);
      const first = ex.call(top.attemptId, 0, "work");
      await h.settle();
      assert.equal(failures(), 1);
      assert.equal(ex.reply(top.attemptId, first), undefined, "the RPC is not answered with an error");

      await childRunsOnceAfterReload(h, ex, top.attemptId, id);
    } finally {
      await h.close();
    }
  });
}

test("a map whose items failed to commit runs each item once the store answers", async () => {
  const h = await createHarness([fnSpec("parent"), fnSpec("child")]);
  try {
    const ex = h.executor("ex", { cpu: 8, memory: 8 });
    const id = await h.invoke("parent");
    const parent = ex.assignment("parent")!.attemptId;
    // The bulk creation fails, and so does the first item's own creation after it.
    const bulk = failOnce(h, "createCalls");
    const single = failOnce(h, "createCall");
    const items = Array.from({ length: 5 }, (_, i) => bytes(`[${i}]`));
    const map = { t: "map", attemptId: parent, rpc: 1, seq: 1, functionName: "child", items } as const;
    h.engine.executorMessage(ex.id, map);
    await h.settle();
    assert.deepEqual([bulk(), single()], [1, 1]);
    assert.equal(ex.reply(parent, 1), undefined, "the map is not answered with an error");

    await h.clock.advance(1_000);
    await h.settle();
    h.engine.executorMessage(ex.id, map); // re-sent when asked
    await h.settle();
    for (const a of ex.assignments().filter((x) => x.functionName === "child")) ex.succeed(a.attemptId, "1");
    await h.settle();
    assert.equal(ex.reply(parent, 1)?.ok, true, "the map is answered");
    const children = (await h.store.listCalls(id)).filter((c) => c.functionName === "child");
    assert.equal(children.length, 5);
    assert.ok(
      children.every((c) => c.status === "succeeded" && c.attemptsUsed === 1),
      "every item ran once",
    );
    assert.equal(ex.assignments().filter((x) => x.functionName === "child").length, 5, "no item assigned twice");
  } finally {
    await h.close();
  }
});

test("a reduce step whose creation failed to commit runs once the store answers", async () => {
  const h = await createHarness([fnSpec("parent"), fnSpec("add")]);
  try {
    commitLater(h);
    const ex = h.executor("ex");
    const id = await h.invoke("parent");
    const parent = ex.assignment("parent")!.attemptId;
    const items = [bytes("1"), bytes("2"), bytes("3")];
    const reduce = {
      t: "reduce",
      attemptId: parent,
      rpc: 1,
      seq: 1,
      functionName: "add",
      items,
      initial: null,
    } as const;
    h.engine.executorMessage(ex.id, reduce);
    await h.settle();
    // The second step's creation (started from the first step's outcome) fails.
    const failures = failOnce(h, "createCall");
    ex.succeed(ex.assignment("add")!.attemptId, "3");
    await h.settle();
    assert.equal(failures(), 1);
    assert.equal(ex.reply(parent, 1), undefined, "the reduce is not answered with an error");

    await h.clock.advance(1_000);
    await h.settle();
    h.engine.executorMessage(ex.id, reduce); // re-sent when asked
    await h.settle();
    const step = ex.assignments().filter((a) => a.functionName === "add");
    assert.equal(step.length, 2, "the first step is not run again");
    ex.succeed(step[1]!.attemptId, "6");
    await h.settle();
    assert.equal(ex.reply(parent, 1)?.ok, true, "the reduce is answered");
    assert.deepEqual(
      (await h.store.listCalls(id)).filter((c) => c.functionName === "add").map((c) => [c.status, c.attemptsUsed]),
      [
        ["succeeded", 1],
        ["succeeded", 1],
      ],
    );
  } finally {
    await h.close();
  }
});

test("a child's creation that fails for its own reason (not the store away) is answered with an error, not reloaded", async () => {
  const h = await createHarness([fnSpec("top"), fnSpec("work")]);
  try {
    const ex = h.executor("ex");
    await h.invoke("top");
    const top = ex.assignment("top")!;
    // A deterministic refusal: it would fail the same way after any number of reloads.
    h.store.createCall = () => Promise.reject(new Error('null value in column "args" violates not-null constraint'));
    const rpc = ex.call(top.attemptId, 0, "work");
    await h.settle();
    const reply = ex.reply(top.attemptId, rpc);
    assert.equal(reply?.ok, false, "the parent is answered");
    assert.match(JSON.stringify(reply), /InternalError/);
    await h.clock.advance(2_000);
    await h.settle();
    assert.equal(
      ex.sent.some((m) => m.t === "resend"),
      false,
      "no reload asks the executor to re-send",
    );
  } finally {
    await h.close();
  }
});
