/**
 * A cancel whose commit is reported failed (the connection lost after COMMIT: the store holds the
 * cancel all the same). The request runs here, so it is reloaded, and winds down once the store
 * answers (src/engine/reload.ts). In a cluster, the reload is asked for before the cancel reads who
 * owns the request (request-end.ts): that read fails too while the store is away, and when it
 * answers it may say the request is no live server's (this server's lease ran out in the outage).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHarness, fnSpec, type Harness } from "./harness.js";
import { failOnce, stoppedForGood, topCallingWork } from "./store-failures.js";

/** Cancels a running request while its commit, and then what `owner` sets up, fail. */
async function cancelReportedFailed(h: Harness, owner: () => void = () => {}): Promise<void> {
  const { ex, id, top, work } = await topCallingWork(h);
  const seen: string[] = [];
  h.engine.subscribe(id, (ev) => seen.push(ev.kind));
  const failures = failOnce(h, "finishRequest", undefined, true);
  owner();
  // The store's own error, as the client sees it (503): not a conflict with another server.
  await assert.rejects(h.engine.cancel(id), /ECONNREFUSED/);
  assert.equal(failures(), 1);
  assert.equal((await h.request(id)).status, "cancelled", "the cancel is in the store");

  await h.clock.advance(1_000);
  await h.settle();
  const cancels = ex.sent.filter((m) => m.t === "cancel").map((m) => (m as { attemptId: string }).attemptId);
  assert.ok(cancels.includes(top.attemptId), "top is told to stop");
  assert.ok(cancels.includes(work.attemptId), "work is told to stop");
  assert.ok(seen.includes("request:finished"), "a subscriber learns the request ended");

  // They stop: their ends are committed and acknowledged, nothing of the request stays running.
  ex.fail(work.attemptId, "cancelled", "cancelled");
  ex.fail(top.attemptId, "cancelled", "cancelled");
  await h.settle();
  await stoppedForGood(h, ex, id, [top.attemptId, work.attemptId]);
}

const cluster = { serverId: "srv-a", leaseMs: 15_000 };

test("a cancel that committed but was reported failed winds the request down once the store answers", async () => {
  const h = await createHarness([fnSpec("top"), fnSpec("work")]);
  try {
    await cancelReportedFailed(h);
  } finally {
    await h.close();
  }
});

test("in a cluster, a cancel reported failed winds the request down, though the owner's read fails too", async () => {
  const h = await createHarness([fnSpec("top"), fnSpec("work")], {}, cluster);
  try {
    await cancelReportedFailed(h, () => failOnce(h, "liveOwner"));
  } finally {
    await h.close();
  }
});

test("in a cluster, a cancel reported failed winds the request down, though the owner then reads as no one", async () => {
  const h = await createHarness([fnSpec("top"), fnSpec("work")], {}, cluster);
  try {
    // The store answers again, but this server's lease ran out meanwhile (not renewed yet).
    await cancelReportedFailed(h, () => {
      const liveOwner = h.store.liveOwner.bind(h.store);
      h.store.liveOwner = async () => {
        h.store.liveOwner = liveOwner;
        return null;
      };
    });
  } finally {
    await h.close();
  }
});
