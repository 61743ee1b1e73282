/** Contract: the per-request event journal. */
import assert from "node:assert/strict";
import type { RequestEvent } from "../../core/request.js";
import { ev, newAttempt, newCall, seedRequest, seedRunning, storeTest, type MakeStore } from "./fixtures.js";

export function eventContract(makeStore: MakeStore): void {
  storeTest(makeStore, "events round-trip every field; listEvents pages by seq", async (s) => {
    const { request } = await seedRequest(s);
    const written = await s.appendEvents(request.id, [
      ev("progress", {
        callId: "c1",
        functionName: "f",
        attempt: 2,
        data: { current: 1, total: 3, message: "ü ✓", attributes: { k: "v" }, nested: [1, null, { x: true }] },
      }),
      ev("call:created", { callId: "c1", parentCallId: null }),
      ev("call:created", { callId: "c2", parentCallId: "c1" }),
      ev("request:started"),
    ]);
    assert.deepEqual(
      written.map((e) => e.seq),
      [1, 2, 3, 4],
    );
    assert.deepEqual(await s.listEvents(request.id, 0, 100), written);
    assert.equal("parentCallId" in (await s.listEvents(request.id, 3, 1))[0]!, false, "absent stays absent");
    assert.equal((await s.listEvents(request.id, 1, 1))[0]?.parentCallId, null, "null stays null");
    assert.deepEqual(
      (await s.listEvents(request.id, 1, 2)).map((e) => e.seq),
      [2, 3],
    );
    assert.deepEqual(await s.listEvents(request.id, 4, 10), []);
    assert.deepEqual(await s.appendEvents(request.id, []), []);
    assert.deepEqual(await s.listEvents("missing", 0, 10), []);
    await assert.rejects(s.appendEvents("missing", [ev("progress")]));
  });

  storeTest(makeStore, "events round-trip control characters in every text field", async (s) => {
    // The PostgreSQL store sends events as text split on control characters (events.ts
    // `delimited`), falling back to JSON for a text field that holds one: both paths here.
    const { request } = await seedRequest(s);
    const odd = "a\x1eb\x1fc\x1dd\te\u0001";
    const written = await s.appendEvents(request.id, [
      ev("progress", { callId: "c1", functionName: "f", attempt: 1, data: { s: odd, n: [odd], z: "\u0000" } }),
      ev("progress", { callId: odd, parentCallId: odd, functionName: odd, attempt: 2, data: { odd } }),
      ev("call:created", { callId: "", parentCallId: null, functionName: "" }),
    ]);
    assert.deepEqual(await s.listEvents(request.id, 0, 100), written);
    assert.deepEqual((await s.listEvents(request.id, 0, 1))[0]?.data, { s: odd, n: [odd], z: "\u0000" });
    assert.equal((await s.listEvents(request.id, 1, 1))[0]?.functionName, odd);
  });

  storeTest(makeStore, "lastEvent finds the latest event of a kind", async (s) => {
    const { request } = await seedRequest(s);
    assert.equal(await s.lastEvent(request.id, "progress"), null);
    await s.appendEvents(request.id, [
      ev("progress", { data: { current: 1 } }),
      ev("call:created"),
      ev("progress", { data: { current: 2 } }),
      ev("call:finished"),
    ]);
    const last = await s.lastEvent(request.id, "progress");
    assert.equal(last?.seq, 3);
    assert.deepEqual(last?.data, { current: 2 });
    assert.equal((await s.lastEvent(request.id, "call:finished"))?.seq, 4);
    assert.equal(await s.lastEvent("missing", "progress"), null);
  });

  storeTest(makeStore, "event seq is gap-free and monotonic across concurrent appends and transitions", async (s) => {
    const { request, root } = await seedRunning(s);
    const other = await seedRequest(s);
    const mine: Promise<(RequestEvent[] | null)[]>[] = [];
    const theirs: Promise<RequestEvent[]>[] = [];
    for (let i = 0; i < 40; i++) {
      mine.push(
        s
          .appendEvents(
            request.id,
            Array.from({ length: 1 + (i % 3) }, () => ev("progress", { data: { i } })),
          )
          .then((b) => [b]),
      );
      theirs.push(s.appendEvents(other.request.id, [ev("progress")]));
      const child = newCall(request.id, root.id, i, 0, "child");
      mine.push(
        (async () => {
          const created = await s.createCall(child, [ev("call:created", { callId: child.id })]);
          const attempt = newAttempt(child);
          const started = await s.startAttempt(attempt, { attemptsUsed: 1, infraRetries: 0 }, [
            ev("attempt:started"),
            ev("progress"),
          ]);
          const finished = await s.finishAttempt(
            attempt.id,
            { status: "succeeded", finishedAt: 1 },
            { status: "succeeded" },
            null,
            [ev("call:finished")],
          );
          return [created, started === "full" ? null : started, finished];
        })(),
      );
    }
    const batches = (await Promise.all(mine)).flat();
    const listed = await s.listEvents(request.id, 0, 10_000);
    const expectedCount = [...Array(40).keys()].reduce((n, i) => n + 1 + (i % 3), 0) + 40 * 4;
    assert.equal(listed.length, expectedCount);
    assert.deepEqual(
      listed.map((e) => e.seq),
      Array.from({ length: expectedCount }, (_, i) => i + 1),
      "gap-free, ascending",
    );
    for (const b of batches) {
      assert.ok(b !== null, "no transition in this test may lose its race");
      b.forEach((e, i) => assert.equal(e.seq, b[0]!.seq + i, "one method call gets consecutive seqs"));
    }
    const returned = batches.flatMap((b) => b ?? []).sort((x, y) => x.seq - y.seq);
    assert.deepEqual(returned, listed, "what was returned is exactly what is stored");
    const otherSeqs = (await Promise.all(theirs))
      .flat()
      .map((e) => e.seq)
      .sort((x, y) => x - y);
    assert.deepEqual(
      otherSeqs,
      Array.from({ length: 40 }, (_, i) => i + 1),
      "each request has its own sequence",
    );
  });
}
