/**
 * Runs (engine/runs.ts): once a function is known to finish without blocking calls, the items of a
 * map go to an executor that takes runs several at a time, under one container slot. Every item
 * keeps its own call, attempt and events; an item handed back unstarted is retried without using
 * up its retries; a function that ever made a blocking call is never batched.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHarness, fnSpec, type FakeExecutor, type Harness } from "./harness.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Invokes `parent`, which maps `child` over `n` items on `ex`; returns the request id and the parent's attempt. */
async function startMap(h: Harness, ex: FakeExecutor, n: number): Promise<{ id: string; parent: string }> {
  const id = await h.invoke("parent");
  const parent = ex.assignment("parent")!.attemptId;
  const items = Array.from({ length: n }, (_, i) => enc.encode(`[${i}]`));
  h.engine.executorMessage(ex.id, { t: "map", attemptId: parent, rpc: 1, seq: 1, functionName: "child", items });
  await h.settle();
  return { id, parent };
}

/** Succeeds every child (and leaf) attempt not in `done`, with its item doubled, until none is left. */
async function finishAll(h: Harness, ex: FakeExecutor, done: Set<string>): Promise<void> {
  for (let round = 0; round < 100; round++) {
    const open = ex.assignments().filter((a) => a.functionName !== "parent" && !done.has(a.attemptId));
    if (!open.length) return;
    for (const a of open) {
      done.add(a.attemptId);
      ex.succeed(a.attemptId, String(2 * Number(dec.decode(a.args).slice(1, -1))));
    }
    await h.settle();
  }
}

test("a map's items run in runs once the function is a leaf, each with its own call, attempt and events", async () => {
  const h = await createHarness([fnSpec("parent"), fnSpec("child")]);
  try {
    const ex = h.executor("ex", { cpu: 4, memory: 8 }, [], 16);
    const { id, parent } = await startMap(h, ex, 40);
    // Nothing is known of `child` yet: its first items go alone (the waiting parent released its CPU).
    const first = ex.assignments().filter((a) => a.functionName === "child");
    assert.equal(first.length, 4);
    assert.equal(ex.runs().length, 0);
    const done = new Set<string>();
    done.add(first[0]!.attemptId);
    ex.succeed(first[0]!.attemptId, "0");
    await h.settle();
    // Known to finish without blocking calls: the freed slot takes a run, sized to spread the 36
    // waiting items over the executor's 4 slots.
    const runs = ex.runs();
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.length, 9);
    assert.equal(h.engine.metrics().executors[0]!.cpuUsed, 4, "a run holds one slot");
    await finishAll(h, ex, done);
    const reply = ex.reply(parent, 1);
    assert.ok(reply?.ok);
    assert.deepEqual(
      (reply.value as Uint8Array[]).map((v) => dec.decode(v)),
      Array.from({ length: 40 }, (_, i) => String(2 * i)),
    );
    assert.ok(ex.runs().length > 1);
    assert.ok(ex.runs().every((r) => r.length <= 16));
    const calls = (await h.store.listCalls(id)).filter((c) => c.functionName === "child");
    const attempts = (await h.store.listAttempts(id)).filter((a) => a.callId !== calls[0]!.parentCallId);
    assert.equal(calls.length, 40);
    assert.ok(calls.every((c) => c.status === "succeeded" && c.attemptsUsed === 1));
    assert.equal(attempts.length, 40, "one attempt per item");
    const events = await h.store.listEvents(id, 0, 10_000);
    for (const c of calls) {
      assert.deepEqual(
        events.filter((e) => e.callId === c.id).map((e) => e.kind),
        ["call:created", "attempt:started", "attempt:succeeded", "call:finished"],
      );
    }
    assert.equal(h.engine.metrics().executors[0]!.cpuUsed, 1, "only the parent holds CPU again");
  } finally {
    await h.close();
  }
});

test("items of a run handed back unstarted are retried without using up their retries", async () => {
  const h = await createHarness([fnSpec("parent"), fnSpec("child")]);
  try {
    const ex = h.executor("ex", { cpu: 2, memory: 8 }, [], 8);
    const { id, parent } = await startMap(h, ex, 12);
    const done = new Set<string>();
    const lone = ex.assignments().filter((a) => a.functionName === "child");
    for (const a of lone) {
      done.add(a.attemptId);
      ex.succeed(a.attemptId, String(2 * Number(dec.decode(a.args).slice(1, -1))));
    }
    await h.settle();
    const [run] = ex.runs();
    assert.ok(run && run.length > 2);
    // The first item runs; the container died before the others started (the executor says so).
    done.add(run[0]!.attemptId);
    ex.succeed(run[0]!.attemptId, String(2 * Number(dec.decode(run[0]!.args).slice(1, -1))));
    for (const a of run.slice(1)) {
      done.add(a.attemptId);
      ex.fail(a.attemptId, "internal_error", "its container ended before the item started", "InternalError");
    }
    await h.settle();
    const handed = await Promise.all(run.slice(1).map((a) => h.store.getCall(a.callId)));
    for (const c of handed) assert.deepEqual([c?.attemptsUsed, c?.infraRetries], [0, 1]);
    await finishAll(h, ex, done);
    const reply = ex.reply(parent, 1);
    assert.ok(reply?.ok);
    assert.deepEqual(
      (reply.value as Uint8Array[]).map((v) => dec.decode(v)),
      Array.from({ length: 12 }, (_, i) => String(2 * i)),
    );
    const again = await Promise.all(run.slice(1).map((a) => h.store.getCall(a.callId)));
    for (const c of again) assert.deepEqual([c?.status, c?.attemptsUsed, c?.infraRetries], ["succeeded", 1, 1]);
    assert.equal((await h.request(id)).status, "running");
  } finally {
    await h.close();
  }
});

test("a function that made a blocking call never runs in runs", async () => {
  const h = await createHarness([fnSpec("parent"), fnSpec("child"), fnSpec("leaf")]);
  try {
    const ex = h.executor("ex", { cpu: 2, memory: 16 }, [], 8);
    const { parent } = await startMap(h, ex, 10);
    const done = new Set<string>();
    // The first item calls another function (and so waits); it finishes last.
    const first = ex.assignments().filter((a) => a.functionName === "child")[0]!;
    const rpc = ex.call(first.attemptId, 1, "leaf", "[1]");
    await h.settle();
    done.add(first.attemptId);
    await finishAll(h, ex, done);
    assert.ok(ex.reply(first.attemptId, rpc)?.ok);
    ex.succeed(first.attemptId, "0");
    await h.settle();
    assert.ok(ex.reply(parent, 1)?.ok);
    assert.equal(ex.runs().length, 0);
  } finally {
    await h.close();
  }
});

/** Tells the engine that `attemptId` started on a container (the executor's `started`). */
function started(h: Harness, ex: FakeExecutor, attemptId: string): void {
  h.engine.executorMessage(ex.id, { t: "started", attemptId, containerId: "c-1", pid: 1 });
}

/** The executor gives `attemptId` back: its run's container could not start it. */
function notStarted(h: Harness, ex: FakeExecutor, attemptId: string): void {
  h.engine.executorMessage(ex.id, {
    t: "done",
    attemptId,
    ok: false,
    reason: "internal_error",
    error: { name: "InternalError", message: "its container ended before the item started", retryable: true },
    notStarted: true,
  });
}

/** Makes `child` a known leaf: its lone first attempts succeed. */
async function learnLeaf(h: Harness, ex: FakeExecutor, done: Set<string>): Promise<void> {
  for (const a of ex.assignments().filter((x) => x.functionName === "child")) {
    done.add(a.attemptId);
    ex.succeed(a.attemptId, String(2 * Number(dec.decode(a.args).slice(1, -1))));
  }
  await h.settle();
}

test("the backstop leaves a run's queued items alone while the items ahead of them run", async () => {
  const h = await createHarness([fnSpec("parent"), fnSpec("child", { timeout: 10 })], { backstopMarginMs: 5_000 });
  try {
    const ex = h.executor("ex", { cpu: 1, memory: 8 }, [], 16);
    const { parent } = await startMap(h, ex, 20);
    const done = new Set<string>();
    await learnLeaf(h, ex, done);
    const [run] = ex.runs();
    assert.ok(run && run.length >= 10, "one run holds the waiting items");
    // Each item runs 8 s (under its 10 s timeout): the last ones wait far past timeout + margin.
    for (const a of run) {
      started(h, ex, a.attemptId);
      await h.clock.advance(8_000);
      done.add(a.attemptId);
      ex.succeed(a.attemptId, String(2 * Number(dec.decode(a.args).slice(1, -1))));
      await h.settle();
    }
    assert.deepEqual(
      ex.sent.filter((m) => m.t === "cancel"),
      [],
      "no item was cancelled",
    );
    for (const a of run) {
      const c = await h.store.getCall(a.callId);
      assert.deepEqual([c?.status, c?.attemptsUsed, c?.infraRetries], ["succeeded", 1, 0], a.attemptId);
    }
    await finishAll(h, ex, done);
    assert.ok(ex.reply(parent, 1)?.ok);
  } finally {
    await h.close();
  }
});

test("items given back unstarted return to pending without using a retry, and the function runs in runs no more", async () => {
  const h = await createHarness([fnSpec("parent"), fnSpec("child")]);
  try {
    const ex = h.executor("ex", { cpu: 1, memory: 8 }, [], 64);
    const { id, parent } = await startMap(h, ex, 12);
    const done = new Set<string>();
    await learnLeaf(h, ex, done);
    const [run] = ex.runs();
    assert.ok(run && run.length === 11);
    // The run's container died as its first item started: every item is given back unstarted.
    started(h, ex, run[0]!.attemptId);
    for (const a of run) {
      done.add(a.attemptId);
      notStarted(h, ex, a.attemptId);
    }
    await h.settle();
    for (const a of run) {
      const c = await h.store.getCall(a.callId);
      assert.equal(c?.attemptsUsed, a === run[0] ? 1 : 0, "only the item that started used an attempt");
    }
    const events = await h.store.listEvents(id, 0, 10_000);
    const failed = events.filter((e) => e.kind === "attempt:failed" && e.callId === run[1]!.callId);
    assert.equal(failed.length, 1);
    assert.equal((failed[0]!.data as { not_started?: boolean }).not_started, true);
    await finishAll(h, ex, done);
    assert.equal(ex.runs().length, 1, "no run after a run's container died");
    const reply = ex.reply(parent, 1);
    assert.ok(reply?.ok, "no item failed");
    assert.deepEqual(
      (reply.value as Uint8Array[]).map((v) => dec.decode(v)),
      Array.from({ length: 12 }, (_, i) => String(2 * i)),
    );
    for (const a of run.slice(1)) {
      const c = await h.store.getCall(a.callId);
      assert.deepEqual([c?.status, c?.attemptsUsed], ["succeeded", 1]);
    }
  } finally {
    await h.close();
  }
});

test("an item given back unstarted is retried even past the infrastructure retry cap", async () => {
  const h = await createHarness([fnSpec("parent"), fnSpec("child")]);
  try {
    const ex = h.executor("ex", { cpu: 1, memory: 8 }, [], 64);
    const { parent } = await startMap(h, ex, 3);
    const done = new Set<string>();
    await learnLeaf(h, ex, done);
    const [run] = ex.runs();
    assert.ok(run && run.length === 2);
    const victim = run[1]!;
    done.add(run[0]!.attemptId);
    ex.succeed(run[0]!.attemptId, "0");
    await h.settle();
    // The victim's call used up the infrastructure retry cap first: the executor reconnects five
    // times without it (still running the parent), each an infrastructure fault.
    let current = victim.attemptId;
    for (let i = 0; i < 5; i++) {
      ex.hello([parent]);
      await h.settle();
      const again = ex
        .assignments()
        .filter((a) => a.callId === victim.callId)
        .at(-1)!;
      assert.notEqual(again.attemptId, current, `attempt ${i + 2} of the victim`);
      current = again.attemptId;
    }
    const row = await h.store.getCall(victim.callId);
    assert.equal(row?.infraRetries, 5);
    done.add(current);
    notStarted(h, ex, current);
    await h.settle();
    const after = await h.store.getCall(victim.callId);
    assert.deepEqual([after?.status, after?.attemptsUsed], ["running", 1], "given back and placed again, not failed");
    await finishAll(h, ex, done);
    assert.ok(ex.reply(parent, 1)?.ok);
  } finally {
    await h.close();
  }
});
