/**
 * Store writes that fail as with the database away (docs/operations.md "When something goes away"),
 * for the store-away tests: the chosen write rejects once, then the store works again.
 */
import assert from "node:assert/strict";
import type { Assignment } from "../../src/core/wire/executor.js";
import type { Store } from "../../src/store/types.js";
import type { FakeExecutor, Harness } from "./harness.js";

type Args<K extends keyof Store> = Store[K] extends (...args: infer P) => unknown ? P : never;

/**
 * The next call of `method` for which `when` holds (every call by default) rejects as with the
 * database away; the ones after it go through. With `committed`, that write is applied first (the
 * connection lost after COMMIT: the server cannot tell). Returns how many calls were failed so far.
 */
export function failOnce<K extends keyof Store>(
  h: Harness,
  method: K,
  when: (...args: Args<K>) => boolean = () => true,
  committed = false,
): () => number {
  const store = h.store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const real = store[method]!.bind(h.store);
  let failures = 0;
  store[method] = async (...args: unknown[]) => {
    if (failures === 0 && when(...(args as Args<K>))) {
      failures++;
      if (committed) await real(...args);
      throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), {
        code: "ECONNREFUSED",
        syscall: "connect",
      });
    }
    return real(...args);
  };
  return () => failures;
}

/**
 * Every call of `method` for which `when` holds rejects with an error of the write itself, not of
 * the database being away (a constraint violation, as a bug in the server would cause): retrying
 * it fails the same way. Returns how many calls were failed so far.
 */
export function failAlways<K extends keyof Store>(
  h: Harness,
  method: K,
  when: (...args: Args<K>) => boolean = () => true,
): () => number {
  const store = h.store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const real = store[method]!.bind(h.store);
  let failures = 0;
  store[method] = async (...args: unknown[]) => {
    if (!when(...(args as Args<K>))) return real(...args);
    failures++;
    throw Object.assign(new Error("CHECK constraint failed: broken"), { code: "SQLITE_CONSTRAINT_CHECK" });
  };
  return () => failures;
}

/**
 * The end of a store-away test where `top` (attempt `topAttemptId` on `ex`, in request `id`) called
 * `work` at seq 0 and a write of it failed: once the store answers, the request is reloaded, the
 * executor re-sends the call, `work` runs once, the parent gets its result and the request succeeds.
 */
export async function childRunsOnceAfterReload(
  h: Harness,
  ex: FakeExecutor,
  topAttemptId: string,
  id: string,
): Promise<void> {
  await h.clock.advance(1_000);
  await h.settle();
  assert.ok(
    ex.sent.some((m) => m.t === "resend"),
    "the executor is asked to re-send its RPCs",
  );
  const again = ex.call(topAttemptId, 0, "work");
  await h.settle();
  const work = ex.assignments().filter((a) => a.functionName === "work");
  assert.equal(work.length, 1, "work placed once");
  ex.succeed(work[0]!.attemptId, '"done"');
  await h.settle();
  assert.equal(ex.reply(topAttemptId, again)?.ok, true, "the parent gets the child's result");
  ex.succeed(topAttemptId, '"top done"');
  await h.settle();
  assert.equal((await h.request(id)).status, "succeeded");
  assert.deepEqual(
    (await h.store.listCalls(id)).map((c) => [c.functionName, c.status, c.attemptsUsed]),
    [
      ["top", "succeeded", 1],
      ["work", "succeeded", 1],
    ],
  );
}

/**
 * The start every two-function store-away test shares: request `id` of `top` runs on executor "ex"
 * and has called `work` (seq 0), which now runs there too.
 */
export async function topCallingWork(
  h: Harness,
): Promise<{ ex: FakeExecutor; id: string; top: Assignment; work: Assignment }> {
  const ex = h.executor("ex");
  const id = await h.invoke("top");
  const top = ex.assignment("top")!;
  ex.call(top.attemptId, 0, "work");
  await h.settle();
  return { ex, id, top, work: ex.assignment("work")! };
}

/**
 * The next call of `method` for which `when` holds waits until `release()` (a commit still on its
 * way); the calls after it go through. `held()`: whether that call came.
 */
export function holdOnce<K extends keyof Store>(
  h: Harness,
  method: K,
  when: (...args: Args<K>) => boolean,
): { held(): boolean; release(): void } {
  const store = h.store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const real = store[method]!.bind(h.store);
  let held = false;
  let release = (): void => {};
  const gate = new Promise<void>((r) => (release = r));
  store[method] = async (...args: unknown[]) => {
    if (!held && when(...(args as Args<K>))) {
      held = true;
      await gate;
    }
    return real(...args);
  };
  return { held: () => held, release: () => release() };
}

/** What the engine holds live after a request ended: nothing, and no capacity reserved. */
export function nothingLive(h: Harness): void {
  const m = h.engine.metrics();
  assert.deepEqual(
    { requests: m.liveRequests, calls: m.liveCalls, attempts: m.runningAttempts },
    { requests: 0, calls: 0, attempts: 0 },
    "nothing of the request stays live",
  );
  for (const x of m.executors) assert.equal(x.cpuUsed, 0, `no CPU stays reserved on ${x.id}`);
}

/** The stopped attempts' ends are committed and acknowledged: no call or attempt of `id` runs on. */
export async function stoppedForGood(h: Harness, ex: FakeExecutor, id: string, attemptIds: string[]): Promise<void> {
  await h.clock.advance(2_000);
  await h.settle();
  const running = [
    ...(await h.store.listCalls(id)).filter((c) => c.status === "running").map((c) => c.functionName),
    ...(await h.store.listAttempts(id)).filter((a) => a.status === "running").map((a) => a.id),
  ];
  assert.deepEqual(running, [], "nothing of the request stays running in the store");
  for (const attemptId of attemptIds)
    assert.ok(
      ex.sent.some((m) => m.t === "ack" && m.attemptId === attemptId),
      `the end of ${attemptId} is acknowledged`,
    );
}
