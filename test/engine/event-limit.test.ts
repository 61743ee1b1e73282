/**
 * The events limit (`maxEventsPerRequest`, the server's `--max-events-per-request`): past it a new
 * child call is refused with an SDKUsageError naming the limit, a progress update fails the call
 * that sent it, and the request still finishes (never hangs). Driven through the engine's façade
 * with a fake executor.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHarness, fnSpec } from "./harness.js";

const LIMIT = 40;

test("past the limit a new child call is refused with SDKUsageError naming the limit; replays are not", async () => {
  const h = await createHarness([fnSpec("parent"), fnSpec("child")], { maxEventsPerRequest: LIMIT });
  try {
    const ex = h.executor("ex");
    const id = await h.invoke("parent");
    const parent = ex.assignment("parent")!.attemptId;
    let refused: { name: string; message: string; retryable: boolean } | null = null;
    let seq = 0;
    for (; seq < 100 && !refused; seq++) {
      const rpc = ex.call(parent, seq, "child");
      await h.settle();
      const child = ex.assignments().filter((a) => a.functionName === "child")[seq];
      if (child) {
        ex.succeed(child.attemptId);
        await h.settle();
      }
      const reply = ex.reply(parent, rpc);
      if (reply && !reply.ok) refused = reply.error;
    }
    assert.ok(refused, "no call was refused");
    assert.equal(refused.name, "SDKUsageError");
    assert.equal(refused.retryable, false);
    assert.match(
      refused.message,
      new RegExp(`limit of ${LIMIT} events \\(the server's --max-events-per-request\\): call to 'child' refused`),
    );
    const events = await h.store.listEvents(id, 0, 1000);
    // The limit bounds what starts; the last child accepted still journals its own lifecycle.
    assert.ok(events.length <= LIMIT + 4, `${events.length} events journaled`);
    assert.ok(seq > 3, "calls within the limit were accepted");
    // A journaled child is answered from the journal even at the limit (a replay adds no call).
    const replayed = ex.call(parent, 0, "child");
    await h.settle();
    assert.equal(ex.reply(parent, replayed)?.ok, true);
    // The function lets the error escape: its call fails, not retried, and the request ends.
    ex.fail(parent, "function_error", refused.message, "SDKUsageError");
    const done = await h.engine.waitFinished(id, 10_000);
    assert.equal(done?.status, "failed");
    assert.equal(done?.failureReason, "function_error");
    assert.match(done?.error?.message ?? "", /--max-events-per-request/);
  } finally {
    await h.close();
  }
});

test("past the limit a progress update fails the call that sent it; the request finishes", async () => {
  const h = await createHarness([fnSpec("chatty")], { maxEventsPerRequest: LIMIT });
  try {
    const ex = h.executor("ex");
    const id = await h.invoke("chatty");
    const attemptId = ex.assignment("chatty")!.attemptId;
    const waiting = h.engine.waitFinished(id, 10_000);
    for (let i = 0; i < 500; i++) {
      h.engine.executorMessage("ex", { t: "progress", attemptId, update: { current: i, total: 500 }, at: i });
      // Let each window's updates be written (telemetry flushes on a real 25 ms timer, and
      // coalescing would otherwise keep the count low).
      if (i % 8 === 7) {
        await new Promise((r) => setTimeout(r, 30));
        await h.settle();
      }
    }
    const done = await waiting;
    assert.equal(done?.status, "failed");
    assert.equal(done?.failureReason, "function_error");
    assert.match(done?.error?.message ?? "", new RegExp(`limit of ${LIMIT} events .*progress update refused`));
    assert.ok(
      ex.sent.some((m) => m.t === "cancel" && m.attemptId === attemptId),
      "the executor is told to stop it",
    );
    const events = await h.store.listEvents(id, 0, 10_000);
    assert.ok(events.length <= LIMIT + 16, `${events.length} events journaled`);
    assert.equal(events.at(-1)?.kind, "request:finished");
    // The stopped attempt's late result changes nothing.
    ex.fail(attemptId, "cancelled", "the request was cancelled", "CancelledError");
    await h.settle();
    assert.equal((await h.request(id)).failureReason, "function_error");
    assert.equal(ex.assignments().length, 1, "not retried");
  } finally {
    await h.close();
  }
});
