/**
 * Late results on the fake clock (src/engine/late-results.ts): an executor away past the grace comes
 * back with the result of an attempt the server had given up and retried. The first result
 * committed wins: work that finished is not run again, and no call finishes twice.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHarness, FakeExecutor, fnSpec, type Harness } from "./harness.js";
import { failOnce } from "./store-failures.js";

const GRACE = 10_000;

async function output(h: Harness, id: string): Promise<string> {
  const r = await h.request(id);
  assert.ok(r.output, `request ${id} has an output`);
  return new TextDecoder().decode(await h.engine.readPayload(r.output));
}

/** `work` ran as attempt 1 on "away", which left; after the grace it runs again as attempt 2 on "spare". */
async function retriedAfterGrace(h: Harness) {
  const away = h.executor("away");
  const id = await h.invoke("work");
  const a = away.assignments()[0]!;
  away.disconnect();
  const spare = h.executor("spare");
  await h.clock.advance(GRACE);
  await h.settle();
  const b = spare.assignments()[0]!;
  return { away, spare, id, a, b };
}

test("a late success finishes the call and supersedes the retry that runs", async () => {
  const h = await createHarness([fnSpec("work")], { executorGraceMs: GRACE });
  try {
    const { away, spare, id, a, b } = await retriedAfterGrace(h);
    assert.equal(b.attemptNumber, 2, "retried after the grace");

    // Restarted on the same data: it announces the attempt whose result it kept, and re-sends it.
    away.hello([a.attemptId]);
    away.succeed(a.attemptId, '"first"');
    await h.settle();
    assert.equal((await h.request(id)).status, "succeeded");
    assert.equal(await output(h, id), '"first"');
    assert.ok(
      spare.sent.some((m) => m.t === "cancel" && m.attemptId === b.attemptId),
      "the newer attempt is stopped",
    );
    assert.ok(
      away.sent.some((m) => m.t === "ack" && m.attemptId === a.attemptId),
      "the late result is acknowledged",
    );
    const attempts = await h.store.listAttempts(id);
    assert.deepEqual(
      attempts.map((x) => [x.number, x.status, x.failureReason]),
      [
        [1, "failed", "internal_error"],
        [2, "cancelled", "cancelled"],
      ],
    );
    const events = await h.store.listEvents(id, 0, 100);
    assert.ok(
      events.some((e) => e.kind === "attempt:succeeded" && e.attempt === 1),
      "the stream says attempt 1 succeeded (late)",
    );

    // The superseded attempt's own result comes too late to change anything.
    spare.succeed(b.attemptId, '"second"');
    await h.settle();
    assert.equal(await output(h, id), '"first"');
    assert.equal(events.filter((e) => e.kind === "call:finished").length, 1);
    assert.equal((await h.store.listEvents(id, 0, 100)).filter((e) => e.kind === "call:finished").length, 1);
  } finally {
    await h.close();
  }
});

test("a late success finishes a call that waits to be placed again", async () => {
  const h = await createHarness([fnSpec("work"), fnSpec("hog")], { executorGraceMs: GRACE });
  try {
    const away = h.executor("away", { cpu: 1 });
    const id = await h.invoke("work");
    const a = away.assignments()[0]!;
    away.disconnect();
    // The only other executor is busy: the retried call waits, pending.
    const busy = h.executor("busy", { cpu: 1 });
    const hog = await h.invoke("hog");
    assert.equal(busy.assignments().length, 1);
    await h.clock.advance(GRACE);
    await h.settle();
    assert.equal(busy.assignments().length, 1, "no room for the retry");

    // Back on the same data but declaring less room (so the retry is not placed on it meanwhile).
    const back = new FakeExecutor(h.engine, "away", { cpu: 0.5, memory: 4, disk: 100, gpus: {} });
    back.hello([a.attemptId]);
    back.succeed(a.attemptId, '"kept"');
    await h.settle();
    assert.equal((await h.request(id)).status, "succeeded");
    assert.equal(await output(h, id), '"kept"');
    busy.succeed(busy.assignments()[0]!.attemptId);
    await h.settle();
    assert.equal((await h.request(hog)).status, "succeeded");
    assert.equal(busy.assignments().length + back.assignments().length, 1, "the call never ran again");
    assert.deepEqual(
      (await h.store.listAttempts(id)).map((x) => [x.number, x.status]),
      [[1, "failed"]],
    );
  } finally {
    await h.close();
  }
});

test("a late result changes nothing once the retry finished the call, and a late failure never does", async () => {
  const h = await createHarness([fnSpec("work")], { executorGraceMs: GRACE });
  try {
    const { away, spare, id, a, b } = await retriedAfterGrace(h);
    away.hello([a.attemptId]);
    away.fail(a.attemptId);
    await h.settle();
    assert.equal((await h.request(id)).status, "running", "a late failure does not end the call");
    assert.ok(away.sent.some((m) => m.t === "ack" && m.attemptId === a.attemptId));
    spare.succeed(b.attemptId, '"retry"');
    await h.settle();
    away.succeed(a.attemptId, '"late"');
    await h.settle();
    assert.equal(await output(h, id), '"retry"');
    const attempts = await h.store.listAttempts(id);
    assert.deepEqual(
      attempts.map((x) => x.status),
      ["failed", "succeeded"],
    );
  } finally {
    await h.close();
  }
});

const acked = (ex: FakeExecutor, attemptId: string): boolean =>
  ex.sent.some((m) => m.t === "ack" && m.attemptId === attemptId);

test("a late success whose commit failed finishes the call once the store answers, acknowledged only then", async () => {
  const h = await createHarness([fnSpec("work")], { executorGraceMs: GRACE });
  try {
    const { away, spare, id, a, b } = await retriedAfterGrace(h);
    const failures = failOnce(h, "finishAttempt");
    away.hello([a.attemptId]);
    away.succeed(a.attemptId, '"first"');
    await h.settle();
    assert.equal(failures(), 1, "the late result's commit failed");
    assert.ok(!acked(away, a.attemptId), "not acknowledged before it is committed");

    // The store answers again: the request is reloaded (the newer attempt adopted where it runs)
    // and the late result looked at again.
    for (let i = 0; i < 4; i++) {
      await h.clock.advance(500);
      await h.settle();
    }
    assert.equal((await h.request(id)).status, "succeeded");
    assert.equal(await output(h, id), '"first"');
    assert.ok(acked(away, a.attemptId), "acknowledged once committed");
    assert.ok(
      spare.sent.some((m) => m.t === "cancel" && m.attemptId === b.attemptId),
      "the newer attempt is stopped",
    );
    assert.equal(away.assignments().length + spare.assignments().length, 2, "the call never ran a third time");
    assert.deepEqual(
      (await h.store.listAttempts(id)).map((x) => [x.number, x.status]),
      [
        [1, "failed"],
        [2, "cancelled"],
      ],
    );
  } finally {
    await h.close();
  }
});

test("a re-sent result adopted while it was read is acknowledged only once its end is committed", async () => {
  const h = await createHarness([fnSpec("work")]);
  try {
    const ex = h.executor("ex");
    const id = await h.invoke("work");
    const a = ex.assignment("work")!;
    // Its first commit fails: the attempt leaves the live maps and a reload is due.
    const failures = failOnce(h, "finishAttempt");
    ex.succeed(a.attemptId, '"done"');
    await h.settle();
    assert.equal(failures(), 1);

    // Re-sent before the reload: not live, so it is read from the store; the reload adopts the
    // attempt while that read is slow.
    const getAttempt = h.store.getAttempt.bind(h.store);
    let release = null as null | (() => void);
    h.store.getAttempt = async (attemptId) => {
      h.store.getAttempt = getAttempt;
      await new Promise<void>((r) => (release = r));
      return getAttempt(attemptId);
    };
    ex.succeed(a.attemptId, '"done"');
    await h.settle();
    assert.ok(release, "the late read is under way");
    await h.clock.advance(1_000);
    await h.settle();
    assert.ok(
      ex.sent.some((m) => m.t === "resend"),
      "adopted by the reload",
    );

    // Its end is refused this time (as when the store saw the attempt move on): not acknowledged.
    const finish = h.store.finishAttempt.bind(h.store);
    h.store.finishAttempt = async () => {
      h.store.finishAttempt = finish;
      return null;
    };
    release!();
    await h.settle();
    assert.ok(!acked(ex, a.attemptId), "a result not committed is kept by its executor");

    // Reloaded again; the executor re-sends what it holds, and this time it is committed.
    await h.clock.advance(1_000);
    await h.settle();
    ex.succeed(a.attemptId, '"done"');
    await h.settle();
    assert.ok(acked(ex, a.attemptId), "acknowledged once committed");
    assert.equal((await h.request(id)).status, "succeeded");
    assert.equal(await output(h, id), '"done"');
    assert.equal(ex.assignments().length, 1, "work ran once");
    assert.deepEqual(
      (await h.store.listAttempts(id)).map((x) => x.status),
      ["succeeded"],
    );
  } finally {
    await h.close();
  }
});
