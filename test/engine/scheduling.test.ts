/**
 * The scheduler through the engine's façade, on the fake clock: calls are placed by shape (a call
 * that does not fit never blocks a smaller one behind it), children go before new requests, and
 * where every attempt of an executor waits on children one child is placed above capacity.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHarness, fnSpec } from "./harness.js";

test("a call that does not fit waits with its reason while a smaller one behind it runs", async () => {
  const h = await createHarness([fnSpec("big", { cpu: 2 }), fnSpec("small", { cpu: 1 })]);
  try {
    const ex = h.executor("ex", { cpu: 3 });
    const first = await h.invoke("big");
    const second = await h.invoke("big");
    const third = await h.invoke("small");
    assert.deepEqual(
      ex.assignments().map((a) => a.requestId),
      [first, third],
      "the small call runs although an earlier big one waits",
    );
    const reasons = [...h.engine.pendingReasons(second).values()];
    assert.equal(reasons.length, 1);
    assert.match(reasons[0]!, /waiting for capacity \(cpu 2/);
    ex.succeed(ex.assignments()[0]!.attemptId);
    await h.settle();
    assert.equal(ex.assignments().at(-1)?.requestId, second, "the waiting call starts once capacity frees");
    assert.equal((await h.request(first)).status, "succeeded");
  } finally {
    await h.close();
  }
});

test("a call no executor can ever run fails with constraint_unsatisfiable naming what is missing", async () => {
  const h = await createHarness([
    fnSpec("gpu_fn", { gpu: ["H100:1"] }),
    fnSpec("imaged", { image: { name: "i", baseImage: "cuda", steps: [], id: "x" } }),
  ]);
  try {
    h.executor("ex");
    const a = await h.invoke("gpu_fn");
    const b = await h.invoke("imaged");
    await h.settle();
    const ra = await h.request(a);
    assert.equal(ra.status, "failed");
    assert.equal(ra.failureReason, "constraint_unsatisfiable");
    assert.match(ra.error?.message ?? "", /gpu H100:1/);
    const rb = await h.request(b);
    assert.equal(rb.failureReason, "constraint_unsatisfiable");
    assert.match(rb.error?.message ?? "", /image cuda/);
  } finally {
    await h.close();
  }
});

test("before the start-up grace ends an unsatisfiable call waits; after it, it fails", async () => {
  const h = await createHarness([fnSpec("huge", { memory: 64 })], { unsatisfiableGraceMs: 3_000 });
  try {
    h.executor("ex");
    const id = await h.invoke("huge");
    assert.equal((await h.request(id)).status, "pending", "executors may still be reconnecting");
    await h.clock.advance(3_100);
    await h.settle();
    const r = await h.request(id);
    assert.equal(r.failureReason, "constraint_unsatisfiable");
    assert.match(r.error?.message ?? "", /memory 64 GB/);
  } finally {
    await h.close();
  }
});

test("children are placed before new requests when capacity frees", async () => {
  // Memory is the bottleneck: a parent waiting on a child keeps its memory.
  const h = await createHarness([fnSpec("parent"), fnSpec("child"), fnSpec("other")]);
  try {
    const ex = h.executor("ex", { memory: 2 });
    await h.invoke("parent");
    const other = await h.invoke("other");
    const parent = ex.assignment("parent")!;
    const late = await h.invoke("other");
    ex.call(parent.attemptId, 0, "child");
    await h.settle();
    assert.equal(
      ex.assignment("child"),
      undefined,
      "no room yet, and the executor is not stuck (another attempt runs)",
    );
    ex.succeed(ex.assignments().find((a) => a.requestId === other)!.attemptId);
    await h.settle();
    assert.ok(ex.assignment("child"), "the child took the freed memory");
    assert.equal(ex.assignments().filter((a) => a.requestId === late).length, 0, "the newer request still waits");
    assert.equal((await h.request(late)).status, "pending");
  } finally {
    await h.close();
  }
});

test("deadlock breaker: when every attempt of an executor waits on children, exactly one child goes above capacity", async () => {
  const h = await createHarness([fnSpec("parent"), fnSpec("child"), fnSpec("other")]);
  try {
    const ex = h.executor("ex", { memory: 2 });
    const r1 = await h.invoke("parent");
    const r2 = await h.invoke("parent");
    const [p1, p2] = ex.assignments();
    const rpc1 = ex.call(p1!.attemptId, 0, "child", "[1]");
    const rpc2 = ex.call(p2!.attemptId, 0, "child", "[2]");
    await h.settle();
    const children = ex.assignments().filter((a) => a.functionName === "child");
    assert.equal(children.length, 1, "one child is forced on top, not both");
    const newcomer = await h.invoke("other");
    assert.equal(
      ex.assignments().filter((a) => a.requestId === newcomer).length,
      0,
      "a new request is never placed above capacity",
    );
    const forced = children[0]!;
    ex.succeed(forced.attemptId, '"child done"');
    await h.settle();
    const waiting = forced.requestId === r1 ? p1! : p2!;
    assert.equal(
      ex.reply(waiting.attemptId, forced.requestId === r1 ? rpc1 : rpc2)?.ok,
      true,
      "its parent got the result",
    );
    ex.succeed(waiting.attemptId);
    await h.settle();
    assert.equal(
      ex.assignments().filter((a) => a.functionName === "child").length,
      2,
      "the other child runs once memory frees",
    );
    assert.equal((await h.request(forced.requestId)).status, "succeeded");
    assert.equal((await h.request(forced.requestId === r1 ? r2 : r1)).status, "running");
  } finally {
    await h.close();
  }
});

test("maxContainers bounds concurrent attempts of a function and says why the rest wait", async () => {
  const h = await createHarness([fnSpec("limited", { maxContainers: 1 })]);
  try {
    const ex = h.executor("ex");
    await h.invoke("limited");
    const second = await h.invoke("limited");
    assert.equal(ex.assignments().length, 1);
    assert.deepEqual(
      [...h.engine.pendingReasons(second).values()],
      ["waiting for a container: maxContainers 1 reached"],
    );
    ex.succeed(ex.assignments()[0]!.attemptId);
    await h.settle();
    assert.equal(ex.assignments().length, 2);
  } finally {
    await h.close();
  }
});

test("a child no executor can ever run fails its request with constraint_unsatisfiable; the parent is not retried", async () => {
  const retries = { maxRetries: 3, initialDelay: 1, delayMultiplier: 1, maxDelay: 1 };
  const h = await createHarness([fnSpec("parent", { retries }), fnSpec("gpu_child", { gpu: ["B200:4"] })]);
  try {
    const ex = h.executor("ex", { gpus: { H100: 2 } });
    const id = await h.invoke("parent");
    const parent = ex.assignment("parent")!;
    const rpc = ex.call(parent.attemptId, 0, "gpu_child");
    await h.settle();
    const r = await h.request(id);
    assert.equal(r.status, "failed");
    assert.equal(r.failureReason, "constraint_unsatisfiable");
    assert.equal(r.error?.message, "gpu_child: no executor can provide gpu B200:4");
    assert.ok(
      ex.sent.some((m) => m.t === "cancel" && m.attemptId === parent.attemptId),
      "the parent is told to stop",
    );
    assert.equal(ex.reply(parent.attemptId, rpc)?.ok, false);
    ex.fail(parent.attemptId, "function_error", "gpu_child: no executor can provide gpu B200:4", "FunctionError");
    await h.settle();
    await h.clock.advance(10_000);
    await h.settle();
    assert.equal(ex.assignments().length, 1, "no retry of the parent");
    const after = await h.request(id);
    assert.equal(
      after.failureReason,
      "constraint_unsatisfiable",
      "the parent's own failure does not overwrite the outcome",
    );
    const calls = await h.store.listCalls(id);
    assert.deepEqual(calls.map((c) => [c.functionName, c.status, c.failureReason]).sort(), [
      ["gpu_child", "failed", "constraint_unsatisfiable"],
      ["parent", "failed", "function_error"],
    ]);
  } finally {
    await h.close();
  }
});
