/**
 * A result whose commit fails (the database away, docs/operations.md "When something goes away"):
 * the executor keeps it, unacknowledged, and the server reloads the request from the store once
 * the store answers (src/engine/reload.ts), asking the executor to re-send. The call is finished
 * with that result; nothing runs again.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHarness, fnSpec } from "./harness.js";
import { failOnce, topCallingWork } from "./store-failures.js";

/** The first result commit fails, as with the database away; the ones after it go through. */
const failFirstFinish = (h: Awaited<ReturnType<typeof createHarness>>): (() => number) => failOnce(h, "finishAttempt");

test("a result whose commit failed is asked for again and finishes its call once the store answers", async () => {
  const h = await createHarness([fnSpec("top"), fnSpec("work")]);
  try {
    const { ex, id, top, work } = await topCallingWork(h);

    // The database goes away as the result arrives: its commit fails, once.
    const failures = failFirstFinish(h);
    ex.succeed(work.attemptId, '"done"');
    await h.settle();
    assert.equal(failures(), 1);
    assert.ok(!ex.sent.some((m) => m.t === "ack" && m.attemptId === work.attemptId), "not acknowledged");

    // Back: the request is reloaded and the executor asked to re-send what it holds.
    await h.clock.advance(1_000);
    await h.settle();
    assert.ok(
      ex.sent.some((m) => m.t === "resend"),
      "the executor is asked to re-send",
    );
    const again = ex.call(top.attemptId, 0, "work"); // the parent's pending call, re-sent
    ex.succeed(work.attemptId, '"done"');
    await h.settle();
    assert.ok(
      ex.sent.some((m) => m.t === "ack" && m.attemptId === work.attemptId),
      "acknowledged once committed",
    );
    assert.equal(ex.reply(top.attemptId, again)?.ok, true, "the parent gets the child's result");
    ex.succeed(top.attemptId, '"top done"');
    await h.settle();
    assert.equal((await h.request(id)).status, "succeeded");
    assert.equal(ex.assignments().filter((a) => a.functionName === "work").length, 1, "work ran once");
    const attempts = await h.store.listAttempts(id);
    assert.deepEqual(
      attempts.map((a) => a.status),
      ["succeeded", "succeeded"],
    );
  } finally {
    await h.close();
  }
});

test("a start in flight when a reload is due is waited for, so its call still finishes", async () => {
  const h = await createHarness([fnSpec("top"), fnSpec("work"), fnSpec("work2")]);
  try {
    const { ex, id, top, work } = await topCallingWork(h);

    // Starts apply in issue order, as PostgreSQL's group commit applies writes; the first start
    // issued once armed is held until released.
    const start = h.store.startAttempt.bind(h.store);
    let chain: Promise<unknown> = Promise.resolve();
    let release = null as null | (() => void);
    let armed = false;
    h.store.startAttempt = (a, call, evs, limit) => {
      const hold = armed;
      armed = false;
      const p = chain.then(async () => {
        if (hold) await new Promise<void>((r) => (release = r));
        return start(a, call, evs, limit);
      });
      chain = p.catch(() => {});
      return p as ReturnType<typeof start>;
    };
    const failures = failFirstFinish(h);
    ex.succeed(work.attemptId, '"done"');
    await h.settle();
    assert.equal(failures(), 1, "work's result did not commit: a reload is due");

    // The parent asks for a second child; its start is on its way when the reload comes.
    armed = true;
    ex.call(top.attemptId, 1, "work2");
    await h.settle();
    assert.ok(release, "work2's start is held");
    await h.clock.advance(1_000); // the reload's first pass: it waits for the start
    await h.settle();
    release!();
    await h.settle();
    await h.clock.advance(1_000); // the next pass reloads
    await h.settle();

    assert.ok(
      ex.sent.some((m) => m.t === "resend"),
      "the executor is asked to re-send",
    );
    const again0 = ex.call(top.attemptId, 0, "work");
    const again1 = ex.call(top.attemptId, 1, "work2");
    ex.succeed(work.attemptId, '"done"');
    await h.settle();
    const work2 = ex.assignments().filter((a) => a.functionName === "work2");
    assert.equal(work2.length, 1, "work2 started once");
    ex.succeed(work2[0]!.attemptId, '"w2"');
    await h.settle();
    assert.equal(ex.reply(top.attemptId, again0)?.ok, true, "the parent gets work's result");
    assert.equal(ex.reply(top.attemptId, again1)?.ok, true, "the parent gets work2's result");
    const calls = await h.store.listCalls(id);
    assert.deepEqual(
      calls.filter((c) => c.functionName !== "top").map((c) => [c.functionName, c.status, c.attemptsUsed]),
      [
        ["work", "succeeded", 1],
        ["work2", "succeeded", 1],
      ],
    );
  } finally {
    await h.close();
  }
});

test("a cancel that lands while a request is reloaded still stops its running attempts", async () => {
  const h = await createHarness([fnSpec("top"), fnSpec("work"), fnSpec("work2")]);
  try {
    const ex = h.executor("ex");
    const id = await h.invoke("top");
    const top = ex.assignment("top")!;
    ex.call(top.attemptId, 0, "work");
    ex.call(top.attemptId, 1, "work2");
    await h.settle();
    const work = ex.assignment("work")!;
    const work2 = ex.assignment("work2")!;
    failFirstFinish(h);
    ex.succeed(work.attemptId, '"done"');
    await h.settle();

    // The reload's read of the calls is slow; the request is cancelled meanwhile.
    const listCalls = h.store.listCalls.bind(h.store);
    let release = null as null | (() => void);
    let armed = true;
    h.store.listCalls = async (rid) => {
      if (armed) {
        armed = false;
        await new Promise<void>((r) => (release = r));
      }
      return listCalls(rid);
    };
    await h.clock.advance(1_000);
    await h.settle();
    assert.ok(release, "the reload is reading");
    assert.equal(await h.engine.cancel(id), true);
    release!();
    await h.settle();
    assert.equal((await h.request(id)).status, "cancelled");
    const cancels = ex.sent.filter((m) => m.t === "cancel").map((m) => (m as { attemptId: string }).attemptId);
    assert.ok(cancels.includes(top.attemptId), "top told to stop");
    assert.ok(cancels.includes(work2.attemptId), "work2 told to stop");
  } finally {
    await h.close();
  }
});

test("a result whose commit fails while its request reloads is adopted, not run again", async () => {
  const h = await createHarness([fnSpec("top"), fnSpec("work"), fnSpec("work2")]);
  try {
    const { ex, id, top, work } = await topCallingWork(h);
    // A reload falls due: work2's start does not commit.
    const starts = failOnce(h, "startAttempt", (_a, _c, evs) => evs[0]?.functionName === "work2");
    ex.call(top.attemptId, 1, "work2");
    await h.settle();
    assert.equal(starts(), 1);

    // work's result arrives; its commit hangs, and fails while the reload reads the attempts.
    const store = h.store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const finish = store.finishAttempt!.bind(h.store);
    let failFinish: (() => void) | null = null;
    store.finishAttempt = (...args: unknown[]) =>
      args[0] === work.attemptId && failFinish === null
        ? new Promise((_, reject) => {
            failFinish = () =>
              reject(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET", syscall: "read" }));
          })
        : finish(...args);
    ex.succeed(work.attemptId, '"done"');
    await h.settle();
    const list = store.listAttempts!.bind(h.store);
    store.listAttempts = async (...args: unknown[]) => {
      failFinish?.();
      await new Promise((r) => setImmediate(r));
      return list(...args);
    };

    for (let i = 0; i < 4; i++) {
      await h.clock.advance(1_000);
      await h.settle();
    }
    assert.equal(ex.assignments().filter((a) => a.functionName === "work").length, 1, "work is not run again");
    ex.succeed(work.attemptId, '"done"'); // re-sent, as asked
    await h.settle();
    const works = (await h.store.listCalls(id)).filter((c) => c.functionName === "work");
    assert.deepEqual(
      works.map((c) => [c.status, c.attemptsUsed]),
      [["succeeded", 1]],
    );
  } finally {
    await h.close();
  }
});
