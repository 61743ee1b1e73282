/** Contract: finishing attempts (CAS) and listing running ones. */
import assert from "node:assert/strict";
import {
  ALL_BYTES,
  blob,
  ev,
  inline,
  newAttempt,
  newCall,
  newRequest,
  seedRunning,
  storeTest,
  type MakeStore,
} from "./fixtures.js";

export function attemptContract(makeStore: MakeStore): void {
  storeTest(makeStore, "finishAttempt applies attempt, call and request patches once", async (s) => {
    const { request, root, attempt } = await seedRunning(s);
    const result = inline(ALL_BYTES, "application/x-structured");
    const output = blob("default/app/r/output", 9, "application/json");
    const evs = await s.finishAttempt(
      attempt.id,
      { status: "succeeded", containerId: "ctr-1", finishedAt: 3_000 },
      { status: "succeeded", result, finishedAt: 3_000 },
      { status: "succeeded", output, finishedAt: 3_001 },
      [ev("attempt:succeeded"), ev("call:finished", { callId: root.id }), ev("request:finished")],
    );
    assert.deepEqual(
      evs?.map((e) => [e.seq, e.kind]),
      [
        [1, "attempt:succeeded"],
        [2, "call:finished"],
        [3, "request:finished"],
      ],
    );
    assert.deepEqual(await s.getAttempt(attempt.id), {
      ...attempt,
      containerId: "ctr-1",
      status: "succeeded",
      failureReason: null,
      error: null,
      finishedAt: 3_000,
      usage: null,
    });
    const call = await s.getCall(root.id);
    assert.deepEqual([call?.status, call?.result, call?.finishedAt], ["succeeded", result, 3_000]);
    const req = await s.getRequest(request.id);
    assert.deepEqual([req?.status, req?.output, req?.finishedAt], ["succeeded", output, 3_001]);

    assert.equal(
      await s.finishAttempt(
        attempt.id,
        { status: "failed", finishedAt: 4_000 },
        { status: "failed" },
        { status: "failed" },
        [ev("attempt:failed")],
      ),
      null,
    );
    assert.equal((await s.getAttempt(attempt.id))?.status, "succeeded");
    assert.equal((await s.getCall(root.id))?.status, "succeeded");
    assert.equal((await s.listEvents(request.id, 0, 100)).length, 3, "a lost race appends nothing");
    assert.equal(
      await s.finishAttempt("missing", { status: "failed", finishedAt: 1 }, { status: "failed" }, null, []),
      null,
    );
  });

  storeTest(makeStore, "finishAttempt records failures as plain data", async (s) => {
    const { root, attempt } = await seedRunning(s);
    const error = {
      name: "FunctionError",
      message: "boom",
      stack: "at x",
      retryable: true,
      functionName: "app",
      cause: { name: "Error", message: "inner", retryable: true },
    };
    assert.ok(
      await s.finishAttempt(
        attempt.id,
        { status: "failed", failureReason: "function_error", error, finishedAt: 5 },
        { status: "running" },
        null,
        [],
      ),
    );
    const a = await s.getAttempt(attempt.id);
    assert.deepEqual(
      [a?.status, a?.failureReason, a?.error, a?.containerId],
      ["failed", "function_error", error, null],
    );
    assert.equal((await s.getCall(root.id))?.status, "running", "the engine decides retry vs. failure next");
  });

  storeTest(
    makeStore,
    "a finish that changes neither call nor request journals only its own events, gap-free",
    async (s) => {
      const { request, root } = newRequest();
      await s.createRequest(request, root, [ev("request:started")]);
      const attempt = newAttempt(root);
      await s.startAttempt(attempt, { attemptsUsed: 1, infraRetries: 0 }, [ev("attempt:started")]);
      await s.transitionCall(root.id, "running", { status: "cancelled", finishedAt: 3 }, [ev("call:finished")]);
      await s.finishRequest(request.id, { status: "cancelled", failureReason: "cancelled", finishedAt: 3 }, [
        ev("request:finished"),
      ]);
      const evs = await s.finishAttempt(
        attempt.id,
        { status: "succeeded", finishedAt: 4 },
        { status: "succeeded", result: inline("1"), finishedAt: 4 },
        { status: "succeeded", output: inline("1"), finishedAt: 4 },
        [ev("attempt:succeeded"), ev("call:finished"), ev("request:finished"), ev("progress")],
      );
      assert.deepEqual(
        evs?.map((e) => [e.seq, e.kind]),
        [
          [5, "attempt:succeeded"],
          [6, "progress"],
        ],
      );
      assert.deepEqual(
        (await s.listEvents(request.id, 0, 100)).map((e) => [e.seq, e.kind]),
        [
          [1, "request:started"],
          [2, "attempt:started"],
          [3, "call:finished"],
          [4, "request:finished"],
          [5, "attempt:succeeded"],
          [6, "progress"],
        ],
      );
      assert.equal((await s.getRequest(request.id))?.status, "cancelled");
    },
  );

  storeTest(
    makeStore,
    "finishAttempt leaves a finished request alone and drops the events that would announce it",
    async (s) => {
      const { request, root, attempt } = await seedRunning(s);
      assert.ok(
        await s.finishRequest(request.id, { status: "cancelled", failureReason: "cancelled", finishedAt: 10 }, [
          ev("request:finished"),
        ]),
      );
      const evs = await s.finishAttempt(
        attempt.id,
        { status: "succeeded", finishedAt: 20 },
        { status: "succeeded", result: inline("1"), finishedAt: 20 },
        { status: "succeeded", output: inline("1"), finishedAt: 20 },
        [ev("attempt:succeeded"), ev("call:finished"), ev("request:finished")],
      );
      assert.deepEqual(
        evs?.map((e) => [e.seq, e.kind]),
        [
          [2, "attempt:succeeded"],
          [3, "call:finished"],
        ],
      );
      const req = await s.getRequest(request.id);
      assert.deepEqual([req?.status, req?.output, req?.finishedAt], ["cancelled", null, 10]);
      assert.equal((await s.getCall(root.id))?.status, "succeeded");
      assert.equal((await s.getAttempt(attempt.id))?.status, "succeeded");
    },
  );

  storeTest(makeStore, "finishAttempt leaves a call that is no longer running alone", async (s) => {
    const { request, root, attempt } = await seedRunning(s);
    // Cancellation raced ahead: the call is already cancelled when the attempt reports.
    await s.finishAttempt(
      attempt.id,
      { status: "cancelled", finishedAt: 5 },
      { status: "cancelled", finishedAt: 5 },
      null,
      [],
    );
    const child = newCall(request.id, root.id, 0, 0, "child");
    await s.createCall(child, []);
    const ca = newAttempt(child);
    await s.startAttempt(ca, { attemptsUsed: 1, infraRetries: 0 }, []);
    assert.ok(await s.transitionCall(child.id, "running", { status: "cancelled", finishedAt: 6 }, []));
    const evs = await s.finishAttempt(
      ca.id,
      { status: "succeeded", finishedAt: 7 },
      { status: "succeeded", result: inline("2"), finishedAt: 7 },
      null,
      [ev("attempt:succeeded"), ev("call:finished")],
    );
    assert.deepEqual(
      evs?.map((e) => e.kind),
      ["attempt:succeeded"],
    );
    const call = await s.getCall(child.id);
    assert.deepEqual([call?.status, call?.result, call?.finishedAt], ["cancelled", null, 6]);
  });

  storeTest(makeStore, "listRunningAttempts lists running attempts, optionally of one executor", async (s) => {
    const a = await seedRunning(s);
    const b = await seedRunning(s);
    const child = newCall(b.request.id, b.root.id, 0, 0, "child");
    await s.createCall(child, []);
    const onB = newAttempt(child, 1, "exec-B");
    await s.startAttempt(onB, { attemptsUsed: 1, infraRetries: 0 }, []);
    await s.finishAttempt(b.attempt.id, { status: "failed", finishedAt: 9 }, { status: "running" }, null, []);

    assert.deepEqual((await s.listRunningAttempts()).map((x) => x.id).sort(), [a.attempt.id, onB.id].sort());
    assert.deepEqual(
      (await s.listRunningAttempts("exec-1")).map((x) => x.id),
      [a.attempt.id],
    );
    assert.deepEqual(
      (await s.listRunningAttempts("exec-B")).map((x) => x.id),
      [onB.id],
    );
    assert.deepEqual(await s.listRunningAttempts("exec-none"), []);
    assert.deepEqual(
      (await s.listAttempts(b.request.id)).map((x) => x.id),
      [b.attempt.id, onB.id],
    );
  });

  storeTest(makeStore, "finishAttempt stores the attempt's usage, listed with it", async (s) => {
    const { request, root, attempt } = await seedRunning(s);
    const usage = {
      wallSeconds: 1.234567,
      cpuSeconds: 0.98,
      peakMemoryBytes: 3 * 2 ** 32, // past 32 bits: a bigint column, read back as a number
      memoryGbSeconds: 2.469134,
      containerStarted: true,
    };
    assert.ok(
      await s.finishAttempt(
        attempt.id,
        { status: "failed", failureReason: "function_error", finishedAt: 7, usage },
        { status: "pending" },
        null,
        [],
      ),
    );
    assert.deepEqual((await s.getAttempt(attempt.id))?.usage, usage);
    // Unknown figures stay unknown (null), not zero; a warm container is `containerStarted: false`.
    const second = newAttempt(root, 2);
    assert.ok(await s.startAttempt(second, { attemptsUsed: 2, infraRetries: 0 }, []));
    assert.equal((await s.getAttempt(second.id))?.usage, null, "a running attempt has no usage yet");
    const partial = {
      wallSeconds: 0.5,
      cpuSeconds: null,
      peakMemoryBytes: null,
      memoryGbSeconds: 0,
      containerStarted: false,
    };
    await s.finishAttempt(
      second.id,
      { status: "succeeded", finishedAt: 9, usage: partial },
      { status: "succeeded", finishedAt: 9 },
      null,
      [],
    );
    assert.deepEqual(
      (await s.listAttempts(request.id)).map((a) => a.usage),
      [usage, partial],
    );
    // An attempt finished without a report (lost with its executor) has none.
    const child = newCall(request.id, root.id, 0, 0, "child");
    await s.createCall(child, []);
    const lost = newAttempt(child, 1);
    await s.startAttempt(lost, { attemptsUsed: 1, infraRetries: 0 }, []);
    await s.finishAttempt(lost.id, { status: "failed", finishedAt: 10 }, { status: "running" }, null, []);
    assert.equal((await s.getAttempt(lost.id))?.usage, null);
  });
}
