/**
 * A write of a request that fails for a reason of its own (a bug, a refused value: not the database
 * being away, src/store/unreachable.ts) fails the same way when tried again. The request is reloaded
 * a bounded number of times, with backoff (the error may still pass: a conflict, a busy database),
 * then it fails with `internal_error` saying why, and the server goes on serving (reload.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHarness, fnSpec, type Harness } from "./harness.js";
import { failAlways, failOnce, topCallingWork } from "./store-failures.js";

/** Lets `ms` of the fake clock pass, a second at a time, with the engine's work run in between. */
async function pass(h: Harness, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 1_000) {
    await h.clock.advance(1_000);
    await h.settle();
  }
}

test("a call whose start always fails for a reason of its own fails the request with internal_error, after a few reloads", async () => {
  const h = await createHarness([fnSpec("top"), fnSpec("work")]);
  try {
    const ex = h.executor("ex");
    const id = await h.invoke("top");
    const top = ex.assignment("top")!;
    const starts = failAlways(h, "startAttempt", (_a, _c, events) => events[0]?.functionName === "work");
    ex.call(top.attemptId, 0, "work");
    await h.settle();
    assert.equal(starts(), 1);

    await pass(h, 60_000);
    const r = await h.request(id);
    assert.deepEqual([r.status, r.failureReason, r.error?.name], ["failed", "internal_error", "InternalError"]);
    assert.match(r.error?.message ?? "", /CHECK constraint failed: broken/);
    assert.ok(starts() <= 5, `tried ${starts()} times`);
    assert.ok(
      ex.sent.some((m) => m.t === "cancel" && m.attemptId === top.attemptId),
      "top is told to stop",
    );
    const tried = starts();
    await pass(h, 60_000);
    assert.equal(starts(), tried, "not tried again");
    assert.deepEqual(
      (await h.store.listCalls(id)).map((c) => [c.functionName, c.status]),
      [
        ["top", "running"],
        ["work", "cancelled"],
      ],
    );
  } finally {
    await h.close();
  }
});

test("an attempt lost whose failure always fails to store fails the request with internal_error; the server gives it up after", async () => {
  const h = await createHarness([fnSpec("work")], { executorGraceMs: 10_000 });
  try {
    const gone = h.executor("gone");
    const id = await h.invoke("work");
    const a = gone.assignment("work")!;
    const ends = failAlways(h, "finishAttempt", (attemptId) => attemptId === a.attemptId);
    gone.disconnect();

    await pass(h, 180_000);
    const r = await h.request(id);
    assert.deepEqual([r.status, r.failureReason], ["failed", "internal_error"]);
    assert.match(
      r.error?.message ?? "",
      /could not store a change to this request \(4 tries\): CHECK constraint failed/,
    );
    assert.ok(ends() <= 6, `its end tried ${ends()} times`);
    const tried = ends();
    await pass(h, 120_000);
    assert.equal(ends(), tried, "given up: not tried again");
  } finally {
    await h.close();
  }
});

test("a result whose commit always fails for a reason of its own fails the request after a few re-sends, not once a second", async () => {
  const h = await createHarness([fnSpec("top"), fnSpec("work")]);
  try {
    const { ex, id, top, work } = await topCallingWork(h);
    const commits = failAlways(h, "finishAttempt", (attemptId) => attemptId === work.attemptId);
    ex.succeed(work.attemptId, '"done"');
    await h.settle();
    assert.equal(commits(), 1);
    // The executor re-sends what it holds whenever it is asked to.
    let resends = 0;
    for (let t = 0; t < 120; t++) {
      await pass(h, 1_000);
      const asked = ex.sent.filter((m) => m.t === "resend").length;
      for (; resends < asked; resends++) ex.succeed(work.attemptId, '"done"');
      await h.settle();
    }
    const r = await h.request(id);
    assert.deepEqual([r.status, r.failureReason], ["failed", "internal_error"]);
    assert.ok(commits() <= 6, `committed ${commits()} times`);
    assert.ok(
      ex.sent.some((m) => m.t === "cancel" && m.attemptId === top.attemptId),
      "top is told to stop",
    );
    assert.ok(!ex.sent.some((m) => m.t === "ack" && m.attemptId === work.attemptId), "never acknowledged");
  } finally {
    await h.close();
  }
});

test("a reload whose own read fails for a reason of its own is tried a few times, and does not hold up the reloads of other requests", async () => {
  const h = await createHarness([fnSpec("work")]);
  try {
    const ex = h.executor("ex");
    const broken = await h.invoke("work");
    const fine = await h.invoke("work");
    const [a, b] = ex.assignments();
    failOnce(h, "finishAttempt");
    ex.succeed(a!.attemptId, '"a"');
    await h.settle();
    failOnce(h, "finishAttempt");
    ex.succeed(b!.attemptId, '"b"');
    await h.settle();
    const reads = failAlways(h, "listCalls", (requestId) => requestId === broken);

    await pass(h, 1_000);
    assert.equal(reads(), 1, "the broken request's reload failed");
    assert.ok(
      ex.sent.some((m) => m.t === "resend"),
      "the other request is reloaded in the same pass",
    );
    ex.succeed(b!.attemptId, '"b"');
    await h.settle();
    assert.equal((await h.request(fine)).status, "succeeded");
    await pass(h, 120_000);
    assert.ok(reads() <= 6, `the broken one read ${reads()} times`);
  } finally {
    await h.close();
  }
});

test("a write error of its own that passes when tried again costs one reload, and the request goes on", async () => {
  const h = await createHarness([fnSpec("work")]);
  try {
    const ex = h.executor("ex");
    const id = await h.invoke("work");
    const a = ex.assignment("work")!;
    let once = true;
    const commits = failAlways(h, "finishAttempt", () => {
      const fail = once;
      once = false;
      return fail;
    });
    ex.succeed(a.attemptId, '"done"');
    await pass(h, 1_000);
    assert.equal(commits(), 1);
    assert.ok(
      ex.sent.some((m) => m.t === "resend"),
      "reloaded",
    );
    ex.succeed(a.attemptId, '"done"');
    await h.settle();
    assert.equal((await h.request(id)).status, "succeeded");
  } finally {
    await h.close();
  }
});

test("reloads after which nothing failed to be stored (an end the store refused) are not counted: the request goes on", async () => {
  const h = await createHarness([fnSpec("work")]);
  try {
    const ex = h.executor("ex");
    const id = await h.invoke("work");
    const a = ex.assignment("work")!;
    // Refused as if the attempt had moved on in the store, six times in a row.
    const finish = h.store.finishAttempt.bind(h.store);
    let refusals = 0;
    h.store.finishAttempt = async (...args) => (++refusals <= 6 ? null : finish(...args));
    ex.succeed(a.attemptId, '"done"');
    let resends = 0;
    for (let t = 0; t < 20 && (await h.request(id)).status === "running"; t++) {
      await pass(h, 1_000);
      const asked = ex.sent.filter((m) => m.t === "resend").length;
      for (; resends < asked; resends++) ex.succeed(a.attemptId, '"done"');
      await h.settle();
    }
    assert.ok(refusals > 6, `refused ${refusals} times`);
    assert.equal((await h.request(id)).status, "succeeded");
  } finally {
    await h.close();
  }
});

test("a database that cannot take writes for a while (too many connections) is waited for, not counted: the request succeeds", async () => {
  const h = await createHarness([fnSpec("top"), fnSpec("work")]);
  try {
    const { ex, id, top, work } = await topCallingWork(h);
    const until = h.clock.now() + 30_000;
    const store = h.store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    let refused = 0;
    for (const m of ["finishAttempt", "getRequest", "listCalls", "listAttempts"]) {
      const real = store[m]!.bind(h.store);
      store[m] = async (...args: unknown[]) => {
        if (h.clock.now() < until) {
          refused++;
          throw Object.assign(new Error("sorry, too many clients already"), { code: "53300", severity: "FATAL" });
        }
        return real(...args);
      };
    }
    ex.succeed(work.attemptId, '"done"');
    let resends = 0;
    for (let t = 0; t < 40; t++) {
      await pass(h, 1_000);
      const asked = ex.sent.filter((m) => m.t === "resend").length;
      for (; resends < asked; resends++) ex.succeed(work.attemptId, '"done"');
      await h.settle();
    }
    assert.ok(refused > 4, `refused ${refused} times`);
    ex.succeed(top.attemptId, '"top"');
    await h.settle();
    const r = await h.request(id);
    assert.deepEqual([r.status, r.failureReason], ["succeeded", null]);
    const calls = await h.store.listCalls(id);
    assert.deepEqual(
      calls.map((c) => [c.functionName, c.status, c.attemptsUsed]),
      [
        ["top", "succeeded", 1],
        ["work", "succeeded", 1],
      ],
    );
  } finally {
    await h.close();
  }
});

test("passing write errors of its own more than a minute apart, each mended by one reload, do not add up to a failed request", async () => {
  const h = await createHarness([fnSpec("top"), fnSpec("work")]);
  try {
    const ex = h.executor("ex");
    const id = await h.invoke("top");
    const top = ex.assignment("top")!;
    const failed = new Set<string>();
    const commits = failAlways(h, "finishAttempt", (attemptId) => {
      if (attemptId === top.attemptId || failed.has(attemptId)) return false;
      failed.add(attemptId);
      return true;
    });
    for (let seq = 0; seq < 5; seq++) {
      ex.call(top.attemptId, seq, "work");
      await h.settle();
      const work = ex.assignments().filter((a) => a.functionName === "work")[seq]!;
      ex.succeed(work.attemptId, `"w${seq}"`);
      await h.settle();
      assert.equal(commits(), seq + 1, "its result's first commit fails");
      let resends = ex.sent.filter((m) => m.t === "resend").length;
      await pass(h, 2_000);
      for (const asked = ex.sent.filter((m) => m.t === "resend").length; resends < asked; resends++)
        ex.succeed(work.attemptId, `"w${seq}"`);
      await h.settle();
      const calls = await h.store.listCalls(id);
      assert.equal(calls.filter((c) => c.status === "succeeded").length, seq + 1, `blip ${seq} mended`);
      await pass(h, 61_000);
    }
    assert.deepEqual((await h.request(id)).status, "running");
    ex.succeed(top.attemptId, '"top"');
    await h.settle();
    assert.equal((await h.request(id)).status, "succeeded");
  } finally {
    await h.close();
  }
});
