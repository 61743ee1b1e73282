/**
 * `map` in the engine: a new map journals all its items at once (one transaction); a replayed map
 * (its parent retried) answers finished items from the journal, re-attaches running ones and runs
 * none of them twice.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHarness, fnSpec } from "./harness.js";

const enc = new TextEncoder();
const dec = new TextDecoder();
const retries = { maxRetries: 1, initialDelay: 1, delayMultiplier: 1, maxDelay: 1 };

test("a map journals its items in order, and a retried parent gets the finished ones from the journal", async () => {
  const h = await createHarness([fnSpec("parent", { retries }), fnSpec("child")]);
  try {
    const ex = h.executor("ex", { cpu: 5, memory: 5 });
    const id = await h.invoke("parent");
    const first = ex.assignment("parent")!;
    const items = Array.from({ length: 6 }, (_, i) => enc.encode(`[${i}]`));
    const map = (attemptId: string, rpc: number) =>
      h.engine.executorMessage("ex", { t: "map", attemptId, rpc, seq: 1, functionName: "child", items });
    map(first.attemptId, 1);
    await h.settle();
    const created = (await h.store.listEvents(id, 0, 1_000)).filter((e) => e.kind === "call:created");
    assert.equal(created.length, 1 + 6);
    const calls = (await h.store.listCalls(id)).filter((c) => c.functionName === "child");
    assert.deepEqual(
      calls.map((c) => [c.item, dec.decode(c.args.inline!)]),
      items.map((b, i) => [i, dec.decode(b)]),
    );
    // The parent waits (its CPU is released, its memory kept): four children run; two finish, two
    // keep running, and the next two take the room of the finished ones.
    const running = ex.assignments().filter((a) => a.functionName === "child");
    assert.equal(running.length, 4);
    ex.succeed(running[0]!.attemptId, '"r0"');
    ex.succeed(running[1]!.attemptId, '"r1"');
    await h.settle();
    ex.fail(first.attemptId, "function_error", "the parent crashed mid-map");
    await h.settle();
    await h.clock.advance(1_000);
    await h.settle();
    const second = ex.assignment("parent")!;
    assert.equal(second.attemptNumber, 2);
    map(second.attemptId, 1);
    await h.settle();
    // Finish everything still running or pending, each once.
    const finished = new Set([running[0]!.attemptId, running[1]!.attemptId]);
    for (let round = 0; round < 6; round++) {
      for (const a of ex.assignments().filter((x) => x.functionName === "child" && !finished.has(x.attemptId))) {
        finished.add(a.attemptId);
        ex.succeed(a.attemptId, `"${dec.decode(a.args).slice(1, -1)}"`);
      }
      await h.settle();
    }
    const reply = ex.reply(second.attemptId, 1);
    assert.ok(reply?.ok, "the replayed map is answered");
    const values = (reply.value as Uint8Array[]).map((v) => dec.decode(v));
    assert.deepEqual(values, ['"r0"', '"r1"', '"2"', '"3"', '"4"', '"5"']);
    const childAttempts = ex.assignments().filter((a) => a.functionName === "child");
    assert.equal(new Set(childAttempts.map((a) => a.callId)).size, 6);
    assert.equal(childAttempts.length, 6, "no item ran twice");
    assert.equal(
      (await h.store.listEvents(id, 0, 1_000)).filter((e) => e.kind === "call:created").length,
      7,
      "the replay created nothing new",
    );
  } finally {
    await h.close();
  }
});

test("cancelling a request mid-map cancels every pending item, each with its call:finished", async () => {
  const h = await createHarness([fnSpec("parent"), fnSpec("child")]);
  try {
    const ex = h.executor("ex", { cpu: 5, memory: 5 });
    const id = await h.invoke("parent");
    const parent = ex.assignment("parent")!;
    const items = Array.from({ length: 2_000 }, (_, i) => enc.encode(`[${i}]`));
    h.engine.executorMessage("ex", {
      t: "map",
      attemptId: parent.attemptId,
      rpc: 1,
      seq: 1,
      functionName: "child",
      items,
    });
    await h.settle();
    const running = ex.assignments().filter((a) => a.functionName === "child");
    assert.equal(running.length, 4, "the rest wait for room");
    assert.equal(await h.engine.cancel(id), true);
    await h.settle();
    const calls = (await h.store.listCalls(id)).filter((c) => c.functionName === "child");
    assert.equal(calls.filter((c) => c.status === "pending").length, 0);
    assert.equal(calls.filter((c) => c.status === "cancelled").length, 2_000 - 4, "every waiting item is cancelled");
    const finished = (await h.store.listEvents(id, 0, 10_000)).filter(
      (e) => e.kind === "call:finished" && e.functionName === "child",
    );
    assert.equal(new Set(finished.map((e) => e.callId)).size, 2_000 - 4);
    for (const a of running) assert.ok(ex.sent.some((m) => m.t === "cancel" && m.attemptId === a.attemptId));
  } finally {
    await h.close();
  }
});
