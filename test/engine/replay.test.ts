/**
 * Durability and replay (docs/semantics.md): when a parent attempt is retried, a child that already
 * succeeded answers from the journal without running again; a different function at the same
 * position is a non-determinism error.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHarness, fnSpec, type FakeExecutor, type Harness } from "./harness.js";

const dec = new TextDecoder();
const retries = { maxRetries: 1, initialDelay: 1, delayMultiplier: 1, maxDelay: 1 };

/**
 * The parent's first attempt calls `child` at position 0 and, with `childValue`, lets it succeed;
 * then the attempt fails and is retried after the backoff. Returns the retried attempt.
 */
async function retriedParent(h: Harness, ex: FakeExecutor, childValue: string | null) {
  const first = ex.assignment("parent")!;
  const rpc = ex.call(first.attemptId, 0, "child");
  await h.settle();
  const child = ex.assignment("child")!;
  if (childValue !== null) {
    ex.succeed(child.attemptId, childValue);
    await h.settle();
    assert.equal(ex.reply(first.attemptId, rpc)?.ok, true);
  }
  ex.fail(first.attemptId, "function_error", "crashed after the child");
  await h.settle();
  await h.clock.advance(1_000);
  await h.settle();
  const second = ex.assignment("parent")!;
  assert.equal(second.attemptNumber, 2);
  return { second, child };
}

test("a retried parent gets its succeeded child from the journal; the child does not run again", async () => {
  const h = await createHarness([fnSpec("parent", { retries }), fnSpec("child"), fnSpec("other")]);
  try {
    const ex = h.executor("ex");
    const id = await h.invoke("parent");
    const { second } = await retriedParent(h, ex, '"journaled"');
    const again = ex.call(second.attemptId, 0, "child");
    await h.settle();
    const reply = ex.reply(second.attemptId, again);
    assert.ok(reply?.ok, "answered at once");
    assert.equal(dec.decode(reply.value as Uint8Array), '"journaled"');
    assert.equal(ex.assignments().filter((a) => a.functionName === "child").length, 1, "the child ran once");
    ex.succeed(second.attemptId);
    await h.settle();
    assert.equal((await h.request(id)).status, "succeeded");
  } finally {
    await h.close();
  }
});

test("a replay that asks for a different function at the same position is refused as non-determinism", async () => {
  const h = await createHarness([fnSpec("parent", { retries }), fnSpec("child"), fnSpec("other")]);
  try {
    const ex = h.executor("ex");
    await h.invoke("parent");
    const { second } = await retriedParent(h, ex, '"ok"');
    const rpc = ex.call(second.attemptId, 0, "other");
    await h.settle();
    const reply = ex.reply(second.attemptId, rpc);
    assert.equal(reply?.ok, false);
    assert.ok(reply && !reply.ok);
    assert.equal(reply.error.name, "NonDeterminismError");
    assert.equal(reply.error.retryable, false);
    assert.match(reply.error.message, /call #0 was 'child' in an earlier attempt, now 'other'/);
    assert.equal(reply.reason, undefined, "the error is the parent's own, not a child's failure");
    assert.equal(ex.assignment("other"), undefined);
  } finally {
    await h.close();
  }
});

test("a child still running when its parent is retried is re-attached, not started twice", async () => {
  const h = await createHarness([fnSpec("parent", { retries }), fnSpec("child")]);
  try {
    const ex = h.executor("ex");
    await h.invoke("parent");
    const { second, child } = await retriedParent(h, ex, null);
    const rpc = ex.call(second.attemptId, 0, "child");
    await h.settle();
    assert.equal(ex.reply(second.attemptId, rpc), undefined, "waits for the running child");
    ex.succeed(child.attemptId, '"late"');
    await h.settle();
    const reply = ex.reply(second.attemptId, rpc);
    assert.ok(reply?.ok);
    assert.equal(dec.decode(reply.value as Uint8Array), '"late"');
    assert.equal(ex.assignments().filter((a) => a.functionName === "child").length, 1);
  } finally {
    await h.close();
  }
});

test("only a seq no attempt of the call asked for before skips the journal read; replays read it", async () => {
  const h = await createHarness([fnSpec("parent", { retries }), fnSpec("child")]);
  try {
    const reads: number[] = [];
    const find = h.store.findChildCall.bind(h.store);
    h.store.findChildCall = (parentId, seq, item) => {
      reads.push(seq);
      return find(parentId, seq, item);
    };
    const ex = h.executor("ex");
    const id = await h.invoke("parent");
    const { second } = await retriedParent(h, ex, '"journaled"');
    assert.deepEqual(reads, [], "the first attempt's call was new: no read");
    // The replay of seq 0 reads the journal (its child is there); seq 1 was never asked: no read.
    const again = ex.call(second.attemptId, 0, "child");
    await h.settle();
    const reply = ex.reply(second.attemptId, again);
    assert.ok(reply?.ok);
    assert.equal(dec.decode(reply.value as Uint8Array), '"journaled"');
    ex.call(second.attemptId, 1, "child");
    await h.settle();
    assert.deepEqual(reads, [0]);
    const next = ex.assignment("child")!;
    assert.equal(ex.assignments().filter((a) => a.functionName === "child").length, 2, "seq 1 started a new child");
    ex.succeed(next.attemptId);
    await h.settle();
    ex.succeed(second.attemptId);
    await h.settle();
    assert.equal((await h.request(id)).status, "succeeded");
  } finally {
    await h.close();
  }
});
