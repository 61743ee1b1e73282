/**
 * The request lifecycle through the façade: idempotency keys (the same key and input is the same
 * request; another input is refused and nothing is kept), cancellation, and waiting for the end.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EngineError } from "../../src/engine/index.js";
import { bytes, createHarness, fnSpec } from "./harness.js";

test("the same idempotency key and input return the same request; another input is refused and stores nothing", async () => {
  const h = await createHarness([fnSpec("order")]);
  try {
    const ex = h.executor("ex");
    const first = await h.invoke("order", '{"sku":1}', "order-42");
    assert.equal(await h.invoke("order", '{"sku":1}', "order-42"), first);
    const json = (s: string, contentType: string) => ({ bytes: bytes(s), contentType });
    const same = await h.engine.invoke(
      "default",
      "order",
      json('{"sku":1}', "application/json; charset=utf-8"),
      "order-42",
    );
    assert.deepEqual(same, { requestId: first, created: false }, "media type parameters do not make another input");
    await assert.rejects(
      h.engine.invoke("default", "order", json('{"sku":2}', "application/json"), "order-42"),
      (e: unknown) => e instanceof EngineError && e.code === "idempotency_key_reused" && /order-42/.test(e.message),
    );
    const big = JSON.stringify("x".repeat(100_000)); // stored as a blob, not inline: it must be removed again
    const blobsBefore = [...h.blobKeys];
    await assert.rejects(h.engine.invoke("default", "order", json(big, "application/json"), "order-42"), {
      code: "idempotency_key_reused",
    });
    assert.deepEqual([...h.blobKeys], blobsBefore, "the refused input's blob is gone");
    const rows = await h.store.listRequests({ namespace: "default", application: "order", limit: 10 });
    assert.deepEqual(
      rows.rows.map((r) => r.id),
      [first],
    );
    assert.equal(ex.assignments().length, 1, "the root ran once");
    assert.notEqual(await h.invoke("order", '{"sku":2}', "order-43"), first, "another key is another request");
  } finally {
    await h.close();
  }
});

test("cancel ends a request cancelled, stops its running attempt and says false the second time", async () => {
  const h = await createHarness([fnSpec("work")]);
  try {
    const ex = h.executor("ex");
    const id = await h.invoke("work");
    const waiting = h.engine.waitFinished(id, 60_000);
    assert.equal(await h.engine.cancel(id), true);
    const r = await waiting;
    assert.equal(r?.status, "cancelled");
    assert.ok(ex.sent.some((m) => m.t === "cancel" && m.attemptId === ex.assignments()[0]!.attemptId));
    assert.equal(await h.engine.cancel(id), false);
    await assert.rejects(h.engine.cancel("no-such-request"), { code: "not_found" });
  } finally {
    await h.close();
  }
});

test("waitFinished answers null when the request outlives the wait", async () => {
  const h = await createHarness([fnSpec("work")]);
  try {
    h.executor("ex");
    const id = await h.invoke("work");
    const waiting = h.engine.waitFinished(id, 5_000);
    await h.clock.advance(5_000);
    assert.equal(await waiting, null);
  } finally {
    await h.close();
  }
});
