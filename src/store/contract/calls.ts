/** Contract: function calls (creation, child lookup, pending queue, CAS transitions). */
import assert from "node:assert/strict";
import {
  ALL_BYTES,
  blob,
  ev,
  inline,
  newAttempt,
  newCall,
  pendingCallRow,
  seedRequest,
  seedRunning,
  storeTest,
  type MakeStore,
} from "./fixtures.js";

export function callContract(makeStore: MakeStore): void {
  storeTest(
    makeStore,
    "createCall inserts a pending call once; findChildCall finds it by (parent, seq, item)",
    async (s) => {
      const { request, root } = await seedRunning(s);
      const child = newCall(request.id, root.id, 3, 2, "child", {
        args: inline(ALL_BYTES, "application/octet-stream"),
        notBefore: 77,
      });
      const evs = await s.createCall(child, [
        ev("call:created", { callId: child.id, parentCallId: root.id, functionName: "child" }),
      ]);
      assert.deepEqual(
        evs?.map((e) => e.seq),
        [1],
      );
      assert.deepEqual(await s.getCall(child.id), pendingCallRow(child));
      assert.equal(await s.createCall(child, [ev("call:created")]), null, "an existing id is a no-op");
      assert.equal((await s.listEvents(request.id, 0, 100)).length, 1);

      assert.equal((await s.findChildCall(root.id, 3, 2))?.id, child.id);
      assert.equal(await s.findChildCall(root.id, 3, 1), null);
      assert.equal(await s.findChildCall(root.id, 4, 2), null);
      assert.equal(await s.findChildCall("other", 3, 2), null);

      const blobArgs = newCall(request.id, root.id, 4, 0, "big", { args: blob("k/args", 123) });
      await s.createCall(blobArgs, []);
      assert.deepEqual((await s.getCall(blobArgs.id))?.args, blob("k/args", 123));
      assert.deepEqual(
        (await s.listCalls(request.id)).map((c) => c.id),
        [root.id, child.id, blobArgs.id],
      );
      assert.equal(await s.getCall("missing"), null);
    },
  );

  storeTest(
    makeStore,
    "createCalls inserts a map's calls and their events in one go, or nothing when one exists",
    async (s) => {
      const { request, root } = await seedRunning(s);
      const items = Array.from({ length: 1_200 }, (_, i) =>
        newCall(request.id, root.id, 5, i, "item", {
          args: i === 7 ? inline(ALL_BYTES, "application/octet-stream") : inline(`[${i}]`),
          notBefore: 9,
        }),
      );
      items[3] = { ...items[3]!, args: blob("k/item3", 99) };
      const created = items.map((c) =>
        ev("call:created", { callId: c.id, parentCallId: root.id, functionName: "item" }),
      );
      const evs = await s.createCalls(request.id, items, created);
      assert.deepEqual(
        evs?.map((e) => e.seq),
        items.map((_, i) => i + 1),
      );
      assert.deepEqual(
        evs?.map((e) => e.callId),
        items.map((c) => c.id),
      );
      const stored = await s.listCalls(request.id);
      assert.deepEqual(
        stored.map((c) => c.id),
        [root.id, ...items.map((c) => c.id)],
        "inserted in the order given",
      );
      assert.deepEqual(await s.getCall(items[7]!.id), pendingCallRow(items[7]!));
      assert.deepEqual((await s.getCall(items[3]!.id))?.args, blob("k/item3", 99));
      assert.equal((await s.findChildCall(root.id, 5, 1_199))?.id, items[1_199]!.id);

      // One call already there: nothing of the batch is written, not even its events.
      const more = [newCall(request.id, root.id, 6, 0, "item"), items[0]!, newCall(request.id, root.id, 6, 2, "item")];
      assert.equal(await s.createCalls(request.id, more, [ev("call:created"), ev("call:created")]), null);
      assert.equal(await s.getCall(more[0]!.id), null);
      assert.equal(await s.getCall(more[2]!.id), null);
      assert.equal((await s.listEvents(request.id, 0, 10_000)).length, items.length);
      assert.deepEqual(await s.createCalls(request.id, [], []), []);
    },
  );

  storeTest(makeStore, "listPendingCalls is oldest first and skips running calls and finished requests", async (s) => {
    const live = await seedRunning(s, { createdAt: 10 });
    const late = newCall(live.request.id, live.root.id, 1, 0, "f", { createdAt: 50 });
    const early = newCall(live.request.id, live.root.id, 2, 0, "f", { createdAt: 20 });
    await s.createCall(late, []);
    await s.createCall(early, []);
    const other = await seedRequest(s, { createdAt: 30 });
    const done = await seedRequest(s, { createdAt: 5 });
    await s.finishRequest(done.request.id, { status: "cancelled" }, []);
    assert.deepEqual(
      (await s.listPendingCalls()).map((c) => c.id),
      [early.id, other.root.id, late.id],
    );
  });

  storeTest(makeStore, "transitionCall is a CAS on the current status and applies only the given fields", async (s) => {
    const { request, root, attempt } = await seedRunning(s);
    assert.equal(await s.transitionCall(root.id, "pending", { status: "cancelled" }, [ev("call:finished")]), null);
    assert.equal((await s.getCall(root.id))?.status, "running");
    assert.equal((await s.listEvents(request.id, 0, 100)).length, 0, "a lost race appends nothing");

    // running → pending: a retry with backoff.
    await s.finishAttempt(
      attempt.id,
      { status: "failed", failureReason: "function_error", finishedAt: 3 },
      { status: "running" },
      null,
      [],
    );
    const retry = await s.transitionCall(
      root.id,
      "running",
      {
        status: "pending",
        notBefore: 5_000,
        pendingReason: "backoff",
        error: { name: "Error", message: "boom", retryable: true },
      },
      [ev("attempt:failed", { callId: root.id })],
    );
    assert.deepEqual(
      retry?.map((e) => e.seq),
      [1],
    );
    let call = await s.getCall(root.id);
    assert.equal(call?.status, "pending");
    assert.equal(call?.notBefore, 5_000);
    assert.equal(call?.attemptsUsed, 1, "untouched fields keep their value");
    assert.equal(call?.pendingReason, "backoff");
    assert.deepEqual(call?.error, { name: "Error", message: "boom", retryable: true });

    // pending → pending: a new reason; null clears a field.
    assert.ok(
      await s.transitionCall(root.id, "pending", { status: "pending", pendingReason: "no capacity", error: null }, []),
    );
    call = await s.getCall(root.id);
    assert.equal(call?.pendingReason, "no capacity");
    assert.equal(call?.error, null);
    assert.equal(call?.notBefore, 5_000);

    // pending → failed → pending (a replayed parent asks again).
    assert.ok(
      await s.transitionCall(
        root.id,
        "pending",
        { status: "failed", failureReason: "function_error", finishedAt: 6_000, attemptsUsed: 3, infraRetries: 1 },
        [],
      ),
    );
    assert.ok(
      await s.transitionCall(root.id, "failed", { status: "pending", failureReason: null, finishedAt: null }, []),
    );
    call = await s.getCall(root.id);
    assert.deepEqual(
      [call?.status, call?.failureReason, call?.finishedAt, call?.attemptsUsed, call?.infraRetries],
      ["pending", null, null, 3, 1],
    );
    assert.equal(await s.transitionCall("missing", "pending", { status: "cancelled" }, []), null);
  });

  storeTest(makeStore, "startAttempt claims a pending call once and moves the request to running", async (s) => {
    const { request, root } = await seedRequest(s);
    const a1 = newAttempt(root, 1, "exec-A");
    const evs = await s.startAttempt(a1, { attemptsUsed: 1, infraRetries: 2 }, [
      ev("attempt:started", { callId: root.id, attempt: 1 }),
    ]);
    assert.ok(evs !== "full");
    assert.deepEqual(
      evs?.map((e) => [e.seq, e.kind]),
      [[1, "attempt:started"]],
    );
    assert.equal((await s.getRequest(request.id))?.status, "running");
    const call = await s.getCall(root.id);
    assert.deepEqual([call?.status, call?.attemptsUsed, call?.infraRetries], ["running", 1, 2]);
    assert.deepEqual(await s.getAttempt(a1.id), {
      ...a1,
      status: "running",
      failureReason: null,
      error: null,
      finishedAt: null,
      usage: null,
    });

    const a2 = newAttempt(root, 2, "exec-B");
    assert.equal(await s.startAttempt(a2, { attemptsUsed: 2, infraRetries: 0 }, [ev("attempt:started")]), null);
    assert.equal(await s.getAttempt(a2.id), null);
    assert.equal((await s.getCall(root.id))?.attemptsUsed, 1);
    assert.equal((await s.listEvents(request.id, 0, 100)).length, 1);
  });

  storeTest(makeStore, "concurrent startAttempt of one call: exactly one wins", async (s) => {
    const { root } = await seedRequest(s);
    const tries = Array.from({ length: 6 }, (_, i) => newAttempt(root, 1, `exec-${i}`));
    const results = await Promise.all(
      tries.map((a) => s.startAttempt(a, { attemptsUsed: 1, infraRetries: 0 }, [ev("attempt:started")])),
    );
    assert.equal(results.filter((r) => r !== null).length, 1);
    assert.equal((await s.listAttempts(root.requestId)).length, 1);
  });

  storeTest(makeStore, "startAttempts starts each pending call of a run, in order, and skips the others", async (s) => {
    const { request, root } = await seedRunning(s);
    const items = [0, 1, 2].map((i) => newCall(request.id, root.id, 1, i, "item"));
    for (const c of items) assert.ok(await s.createCall(c, []));
    // The second item is no longer pending (cancelled): its start is refused alone.
    assert.ok(await s.transitionCall(items[1]!.id, "pending", { status: "cancelled", finishedAt: 5 }, []));
    const started = items.map((c) => newAttempt(c, 1, "exec-A"));
    const evs = await s.startAttempts(
      started.map((a, i) => ({
        attempt: a,
        call: { attemptsUsed: 1, infraRetries: i },
        events: [ev("attempt:started", { callId: a.callId, attempt: 1 })],
      })),
    );
    const before = (await s.listEvents(request.id, 0, 100)).filter((e) => e.kind !== "attempt:started").length;
    assert.deepEqual(
      evs.map((x) => (x === null ? null : x.map((e) => [e.seq - before, e.kind, e.callId]))),
      [[[1, "attempt:started", items[0]!.id]], null, [[2, "attempt:started", items[2]!.id]]],
    );
    assert.deepEqual(
      (await s.listAttempts(request.id)).filter((a) => a.callId !== root.id).map((a) => [a.id, a.status]),
      [
        [started[0]!.id, "running"],
        [started[2]!.id, "running"],
      ],
    );
    const calls = await Promise.all(items.map((c) => s.getCall(c.id)));
    assert.deepEqual(
      calls.map((c) => [c?.status, c?.attemptsUsed, c?.infraRetries]),
      [
        ["running", 1, 0],
        ["cancelled", 0, 0],
        ["running", 1, 2],
      ],
    );
    assert.deepEqual(await s.startAttempts([]), []);
  });
}
