/**
 * Work of a request begun before a reload dropped its live state and ended after the reload rebuilt
 * it from the store (src/engine/reload.ts, "stale work"): a result being committed, a child being
 * created. Such work changes nothing the rebuild made (no reservation given back or taken twice, the
 * rebuilt request not dropped), and what it committed is read by one more reload, so the request
 * ends once, its children are told to stop, nothing runs twice and nothing stays reserved.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bytes, createHarness, fnSpec, type FakeExecutor, type Harness } from "./harness.js";
import { failOnce, holdOnce, nothingLive, topCallingWork } from "./store-failures.js";

/** Lets reload passes run (one a second) until none is due. */
async function reloads(h: Harness, passes = 4): Promise<void> {
  for (let i = 0; i < passes; i++) {
    await h.clock.advance(1_000);
    await h.settle();
  }
}

/** The attempts `ex` was told to stop. */
const cancelled = (ex: FakeExecutor): string[] => ex.sent.flatMap((m) => (m.t === "cancel" ? [m.attemptId] : []));

/** A reload falls due for `top`'s request: its call to work2 (seq 1) does not start (the store away). */
async function reloadDue(h: Harness, ex: FakeExecutor, topAttemptId: string): Promise<void> {
  const starts = failOnce(h, "startAttempt", (_a, _c, evs) => evs[0]?.functionName === "work2");
  ex.call(topAttemptId, 1, "work2");
  await h.settle();
  assert.equal(starts(), 1, "a reload is due");
}

/**
 * `attemptId` (on `ex`) succeeds with `value` (fails, with null); its commit lands only after a
 * reload of its request.
 */
async function resultAcrossReload(
  h: Harness,
  ex: FakeExecutor,
  attemptId: string,
  value: string | null,
): Promise<void> {
  const commit = holdOnce(h, "finishAttempt", (id) => id === attemptId);
  if (value === null) ex.fail(attemptId);
  else ex.succeed(attemptId, value);
  await h.settle();
  assert.ok(commit.held(), "the result is being committed");
  await reloads(h, 1);
  commit.release();
  await h.settle();
  await reloads(h);
}

for (const announced of [false, true]) {
  test(`a root's result committed after its request was reloaded ends the request once and stops its children (listed in a hello: ${announced})`, async () => {
    const h = await createHarness([fnSpec("top"), fnSpec("work"), fnSpec("work2")]);
    try {
      const { ex, id, top, work } = await topCallingWork(h);
      // A reconnect: the executor lists what it runs.
      if (announced) ex.hello([top.attemptId, work.attemptId]);
      const finished: number[] = [];
      h.engine.subscribe(id, (ev) => ev.kind === "request:finished" && finished.push(ev.seq));
      await reloadDue(h, ex, top.attemptId);

      // top returns without waiting for its children; its commit lands only after the reload.
      await resultAcrossReload(h, ex, top.attemptId, '"top done"');

      assert.equal((await h.request(id)).status, "succeeded");
      assert.equal(ex.assignments().filter((a) => a.functionName === "top").length, 1, "top ran once");
      assert.ok(
        ex.sent.some((m) => m.t === "ack" && m.attemptId === top.attemptId),
        "top's result is acknowledged",
      );
      const running = ex.assignments().filter((a) => a.functionName !== "top");
      for (const a of running) assert.ok(cancelled(ex).includes(a.attemptId), `${a.functionName} is told to stop`);
      for (const a of running) ex.fail(a.attemptId, "cancelled", "cancelled");
      await reloads(h, 2);
      const calls = await h.store.listCalls(id);
      assert.deepEqual(
        calls.map((c) => [c.functionName, c.status]),
        [
          ["top", "succeeded"],
          ["work", "cancelled"],
          ["work2", "cancelled"],
        ],
      );
      assert.deepEqual(
        (await h.store.listAttempts(id)).filter((a) => a.status === "running"),
        [],
        "no attempt row stays running",
      );
      // Subscribers dedupe by seq (a reload publishes it again from the store, event-bus.ts).
      assert.equal(new Set(finished).size, 1, "the request finishes once");
      nothingLive(h);
    } finally {
      await h.close();
    }
  });
}

test("a child's result committed after its request was reloaded is not run again and leaves no reservation", async () => {
  const h = await createHarness([fnSpec("top"), fnSpec("work"), fnSpec("work2")]);
  try {
    const { ex, id, top, work } = await topCallingWork(h);
    await reloadDue(h, ex, top.attemptId);

    await resultAcrossReload(h, ex, work.attemptId, '"done"');

    // The parent re-sends its calls, as asked after each reload.
    const again0 = ex.call(top.attemptId, 0, "work");
    const again1 = ex.call(top.attemptId, 1, "work2");
    await h.settle();
    const work2 = ex.assignments().filter((a) => a.functionName === "work2");
    assert.equal(work2.length, 1, "work2 placed once");
    ex.succeed(work2[0]!.attemptId, '"w2"');
    await h.settle();
    assert.equal(ex.reply(top.attemptId, again0)?.ok, true, "the parent gets work's result");
    assert.equal(ex.reply(top.attemptId, again1)?.ok, true, "the parent gets work2's result");
    ex.succeed(top.attemptId, '"top done"');
    await h.settle();

    assert.equal((await h.request(id)).status, "succeeded");
    assert.equal(ex.assignments().filter((a) => a.functionName === "work").length, 1, "work ran once");
    assert.deepEqual(
      (await h.store.listCalls(id)).map((c) => [c.functionName, c.status, c.attemptsUsed]),
      [
        ["top", "succeeded", 1],
        ["work", "succeeded", 1],
        ["work2", "succeeded", 1],
      ],
    );
    nothingLive(h);
  } finally {
    await h.close();
  }
});

test("a failure committed after its request was reloaded retries the call once and leaves no reservation", async () => {
  const retries = { maxRetries: 1, initialDelay: 1, delayMultiplier: 2, maxDelay: 60 };
  const h = await createHarness([fnSpec("top"), fnSpec("work", { retries }), fnSpec("work2")]);
  try {
    const { ex, id, top, work } = await topCallingWork(h);
    ex.hello([top.attemptId, work.attemptId]); // a reconnect: the executor lists what it runs
    await reloadDue(h, ex, top.attemptId);
    await resultAcrossReload(h, ex, work.attemptId, null);

    const again = [ex.call(top.attemptId, 0, "work"), ex.call(top.attemptId, 1, "work2")];
    await h.settle();
    const works = ex.assignments().filter((a) => a.functionName === "work");
    assert.equal(works.length, 2, "work retried once");
    ex.succeed(works[1]!.attemptId, '"done"');
    ex.succeed(ex.assignment("work2")!.attemptId, '"w2"');
    await h.settle();
    for (const rpc of again) assert.equal(ex.reply(top.attemptId, rpc)?.ok, true, "top gets its children's results");
    ex.succeed(top.attemptId, '"top done"');
    await h.settle();
    assert.equal((await h.request(id)).status, "succeeded");
    assert.deepEqual(
      (await h.store.listCalls(id)).map((c) => [c.functionName, c.status, c.attemptsUsed]),
      [
        ["top", "succeeded", 1],
        ["work", "succeeded", 2],
        ["work2", "succeeded", 1],
      ],
    );
    nothingLive(h);
  } finally {
    await h.close();
  }
});

/**
 * Request `id` of `top`, which called `mid` (seq 0): `send` makes mid ask for a child, whose write
 * (caught by `hold`) lands only after a reload of the request, due since work2's start failed.
 */
async function midWritesAcrossReload(
  h: Harness,
  ex: FakeExecutor,
  hold: () => { held(): boolean; release(): void },
  send: (mid: string) => void,
): Promise<{ id: string; top: string; mid: string }> {
  // As PostgreSQL's group commit: writes apply at commit, not as they are issued.
  Object.defineProperty(h.store, "appliedAtCall", { value: false });
  const id = await h.invoke("top");
  const top = ex.assignment("top")!.attemptId;
  ex.call(top, 0, "mid");
  await h.settle();
  const mid = ex.assignment("mid")!.attemptId;
  const commit = hold();
  send(mid);
  await h.settle();
  assert.ok(commit.held(), "mid's child is being journaled");
  await reloadDue(h, ex, top);
  await reloads(h, 1);
  commit.release();
  await h.settle();
  await reloads(h);
  return { id, top, mid };
}

/** mid is done: top gets its re-sent calls (`rpcs`) answered and ends, leaving nothing live. */
async function topEnds(h: Harness, ex: FakeExecutor, r: { id: string; top: string; mid: string }, rpcs: number[]) {
  ex.succeed(r.mid, '"mid done"');
  ex.succeed(ex.assignment("work2")!.attemptId, '"w2"');
  await h.settle();
  for (const rpc of rpcs) assert.equal(ex.reply(r.top, rpc)?.ok, true, "top gets its children's results");
  ex.succeed(r.top, '"top done"');
  await h.settle();
  assert.equal((await h.request(r.id)).status, "succeeded");
  nothingLive(h);
}

test("a child created after its request was reloaded runs once and its parent's CPU is counted once", async () => {
  const h = await createHarness([fnSpec("top"), fnSpec("mid"), fnSpec("work"), fnSpec("work2")]);
  try {
    const ex = h.executor("ex");
    const r = await midWritesAcrossReload(
      h,
      ex,
      () => holdOnce(h, "createCall", (c) => c.functionName === "work"),
      (mid) => ex.call(mid, 0, "work"),
    );

    // The RPCs are re-sent, as asked after each reload.
    const midAgain = ex.call(r.mid, 0, "work");
    const topAgain = [ex.call(r.top, 0, "mid"), ex.call(r.top, 1, "work2")];
    await h.settle();
    const works = ex.assignments().filter((a) => a.functionName === "work");
    assert.equal(works.length, 1, "work placed once");
    ex.succeed(works[0]!.attemptId, '"done"');
    await h.settle();
    assert.equal(ex.reply(r.mid, midAgain)?.ok, true, "mid gets work's result");
    await topEnds(h, ex, r, topAgain);
    assert.deepEqual((await h.store.listCalls(r.id)).map((c) => [c.functionName, c.status, c.attemptsUsed]).sort(), [
      ["mid", "succeeded", 1],
      ["top", "succeeded", 1],
      ["work", "succeeded", 1],
      ["work2", "succeeded", 1],
    ]);
  } finally {
    await h.close();
  }
});

test("a map whose items were journaled after its request was reloaded runs each item once", async () => {
  const h = await createHarness([fnSpec("top"), fnSpec("mid"), fnSpec("item"), fnSpec("work2")]);
  try {
    const ex = h.executor("ex", { cpu: 8, memory: 8 });
    const items = Array.from({ length: 3 }, (_, i) => bytes(`[${i}]`));
    const map = (mid: string) => ({ t: "map", attemptId: mid, rpc: 100, seq: 0, functionName: "item", items }) as const;
    const r = await midWritesAcrossReload(
      h,
      ex,
      () => holdOnce(h, "createCalls", () => true),
      (mid) => h.engine.executorMessage(ex.id, map(mid)),
    );

    h.engine.executorMessage(ex.id, map(r.mid)); // re-sent when asked
    const topAgain = [ex.call(r.top, 0, "mid"), ex.call(r.top, 1, "work2")];
    await h.settle();
    const runs = ex.assignments().filter((a) => a.functionName === "item");
    assert.equal(runs.length, 3, "each item placed once");
    for (const a of runs) ex.succeed(a.attemptId, "1");
    await h.settle();
    assert.equal(ex.reply(r.mid, 100)?.ok, true, "the map is answered");
    await topEnds(h, ex, r, topAgain);
    const itemCalls = (await h.store.listCalls(r.id)).filter((c) => c.functionName === "item");
    assert.deepEqual(
      itemCalls.map((c) => [c.status, c.attemptsUsed]),
      [
        ["succeeded", 1],
        ["succeeded", 1],
        ["succeeded", 1],
      ],
    );
  } finally {
    await h.close();
  }
});

test("a child's creation the store refuses as already made (another ask of it committed first) waits on the call made, not an InternalError", async () => {
  const h = await createHarness([fnSpec("top"), fnSpec("work")]);
  try {
    const ex = h.executor("ex");
    const id = await h.invoke("top");
    const top = ex.assignment("top")!;
    // The creation of work commits, but as another ask's (begun before a reload): this one is refused.
    const store = h.store as unknown as { createCall: (...args: unknown[]) => Promise<unknown> };
    const real = store.createCall.bind(h.store);
    let refused = 0;
    store.createCall = async (...args: unknown[]) => {
      const evs = await real(...args);
      if (refused > 0) return evs;
      refused++;
      return null;
    };
    const rpc = ex.call(top.attemptId, 0, "work");
    await h.settle();
    assert.equal(refused, 1);
    assert.equal(ex.reply(top.attemptId, rpc), undefined, "not answered before work finishes");
    const work = ex.assignment("work")!;
    assert.ok(work, "the call made runs");
    ex.succeed(work.attemptId, '"w"');
    await h.settle();
    const reply = ex.reply(top.attemptId, rpc);
    assert.equal(reply?.ok, true, JSON.stringify(reply));
    assert.deepEqual(
      (await h.store.listCalls(id)).map((c) => [c.functionName, c.status]),
      [
        ["top", "running"],
        ["work", "succeeded"],
      ],
    );
  } finally {
    await h.close();
  }
});
