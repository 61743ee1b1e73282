/**
 * The behaviour suite: docs/semantics.md pinned by observable behaviour (outputs, side-effect counts,
 * event streams). It runs against any runner through a {@link Harness}: `runLocal` now, a real server
 * and executor later. The applications live in ./apps.ts (the harness loads or deploys them).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Request, RequestEvent } from "../../src/core/request.js";
import type { MetricsResponse } from "../../src/core/api.js";
import { startRecorder, type Recorder } from "./recorder.js";

/** How the suite reaches a runner. */
export interface Harness {
  name: string;
  /** Starts a request of application `appName`. */
  run(appName: string, input?: unknown): Promise<Request>;
  /** The metrics of a request, when the runner exposes them. */
  metrics?(req: Request): Promise<MetricsResponse>;
  /** Every successful attempt runs a second time (alwaysReplay): its side effects count twice. */
  alwaysReplay?: boolean;
  /**
   * How long one test may take before it counts as hung (default 20 s). Only a bound on hangs:
   * performance is measured by the benchmarks, never asserted here (DESIGN §6).
   */
  testTimeoutMs?: number;
}

/** The side-effect recorder, started with the suite (see recorder.ts). */
let recorder: Recorder | null = null;

/** A fresh side-effect namespace for one test (the apps' `dir`). */
function freshDir(): string {
  if (!recorder) throw new Error("the recorder starts in the suite's before hook");
  return recorder.fresh();
}

function lines(dir: string, name: string): number {
  return recorder?.count(dir, name) ?? 0;
}

/** Every event of a request, lifecycle included. */
async function events(req: Request): Promise<RequestEvent[]> {
  const out: RequestEvent[] = [];
  for await (const ev of req.progress({ events: "all" })) out.push(ev);
  return out;
}

const LIFECYCLE = new Set(["call:created", "attempt:started", "attempt:failed", "call:finished"]);

/** Lifecycle event kinds of one function's calls. */
function lifecycle(evs: RequestEvent[], fnName: string): string[] {
  return evs.filter((e) => e.functionName === fnName && LIFECYCLE.has(e.kind)).map((e) => e.kind);
}

async function failure(req: Request): Promise<{ name: string; message: string; reason: unknown }> {
  try {
    await req.output();
  } catch (e) {
    const err = e as Error & { reason?: unknown };
    return { name: err.name, message: err.message, reason: err.reason };
  }
  assert.fail("the request was expected to fail");
}

export function defineBehaviourSuite(h: Harness): void {
  /** How many times a successful attempt's side effects happen under this harness. */
  const ok = h.alwaysReplay ? 2 : 1;
  const T = { timeout: h.testTimeoutMs ?? 20_000 };

  describe(`behaviour (${h.name})`, () => {
    before(async () => {
      recorder ??= await startRecorder();
    });
    after(async () => {
      await recorder?.close();
      recorder = null;
    });
    describe("retries", () => {
      test("maxRetries 3: four attempts, then the request fails with function_error", T, async () => {
        const dir = freshDir();
        const req = await h.run("bh_retry_fail", { dir });
        const f = await failure(req);
        assert.equal(f.reason, "function_error");
        assert.match(f.message, /always fails/);
        assert.equal(lines(dir, "attempts"), 4);
        const evs = await events(req);
        assert.deepEqual(lifecycle(evs, "bh_retry_fail"), [
          "call:created",
          ...Array(4).fill(["attempt:started", "attempt:failed"]).flat(),
          "call:finished",
        ]);
        const fin = evs.at(-1)!;
        assert.equal(fin.kind, "request:finished");
        assert.deepEqual(fin.data?.outcome, { failure: "function_error" });
      });

      test("succeeds on the third attempt", T, async () => {
        const dir = freshDir();
        const req = await h.run("bh_retry_third", { dir });
        assert.equal(await req.output(), "ok after 3");
        assert.equal(lines(dir, "attempts"), 2 + ok);
        const evs = await events(req);
        const failed = evs.filter((e) => e.kind === "attempt:failed");
        assert.deepEqual(
          failed.map((e) => e.attempt),
          [1, 2],
        );
        assert.deepEqual(
          failed.map((e) => e.data?.reason),
          ["function_error", "function_error"],
        );
        const done = evs.find((e) => e.kind === "call:finished" && e.functionName === "bh_retry_third");
        assert.equal(done?.data?.status, "succeeded");
      });

      test(
        "RequestError: one attempt anywhere in the tree, request fails with request_error and its message",
        T,
        async () => {
          const dir = freshDir();
          const req = await h.run("bh_request_error", { dir });
          const f = await failure(req);
          assert.equal(f.name, "RequestError");
          assert.equal(f.message, "bad input: the order has no items");
          assert.equal(lines(dir, "child"), 1);
          assert.equal(lines(dir, "root"), 1);
          const out = await req.finished();
          assert.equal(out.status, "failed");
          assert.equal(out.failureReason, "request_error");
          assert.equal(out.error?.message, "bad input: the order has no items");
        },
      );
    });

    // Replays run without timers (every call comes from the journal), so an always-replay pass would
    // only repeat these seconds of real waiting without checking anything new.
    describe("timeouts", { skip: h.alwaysReplay ? "timeouts are not replayed" : false }, () => {
      test("a 1 s timeout function runs 3 s while reporting progress every 200 ms", T, async () => {
        const req = await h.run("bh_timeout_progress");
        assert.equal(await req.output(), 3000);
        const evs = await events(req);
        assert.ok(evs.filter((e) => e.kind === "progress").length >= 10);
      });

      test("without progress it fails with a TimeoutError the parent can catch", T, async () => {
        const req = await h.run("bh_timeout_caught");
        assert.deepEqual(await req.output(), { caught: "TimeoutError", isTimeout: true, functionName: "bh_worker" });
        const evs = await events(req);
        const failed = evs.find((e) => e.kind === "attempt:failed" && e.functionName === "bh_worker");
        assert.equal(failed?.data?.reason, "function_timeout");
      });

      test("instanceof FunctionError / TimeoutError / RequestError holds for what a parent catches", T, async () => {
        const req = await h.run("bh_instanceof");
        assert.deepEqual(await req.output(), {
          failing: { functionError: true, timeoutError: false, tributary: true, message: "broken child" },
          timingOut: { timeoutError: true, functionError: false, tributary: true },
          // A child's RequestError reaches the parent as a RequestError; the child's own subclass
          // does not cross the boundary (errors cross as plain data).
          rejected: { requestError: true, subclass: false },
          own: { subclass: true, requestError: true, sdkIsSubclass: false, name: "OrderRejected" },
        });
      });

      test("uncaught, the timeout fails the request with function_timeout", T, async () => {
        const req = await h.run("bh_timeout_uncaught");
        const f = await failure(req);
        assert.equal(f.reason, "function_timeout");
        assert.equal((await req.finished()).failureReason, "function_timeout");
      });

      test("the clock is paused while a 1 s-timeout parent waits on a 2.5 s child", T, async () => {
        const req = await h.run("bh_pause_parent");
        assert.equal(await req.output(), 2500);
      });

      test("onDeadline saves a checkpoint before a 3 s timeout kills the hung function", T, async () => {
        const req = await h.run("bh_deadline_checkpoint");
        assert.deepEqual(await req.output(), {
          caught: "TimeoutError",
          checkpoint: { cursor: 7, deadlineAtStart: true },
        });
      });

      test("a deadline handler that reports progress keeps a 1 s-timeout function alive for 3.5 s", T, async () => {
        const req = await h.run("bh_deadline_keepalive");
        const runs = (await req.output()) as number;
        assert.ok(runs >= 3, `the handler ran ${runs} times; three timeout cycles need at least 3`);
      });
    });

    describe("boundary copies", () => {
      test("a callee mutating its argument leaves the caller's value intact", T, async () => {
        const req = await h.run("bh_mutate");
        assert.deepEqual(await req.output(), {
          mine: { list: [1, 2, 3], nested: { a: 1 } },
          returned: { list: [1, 2, 3, 99, 100], nested: { a: 42 } },
        });
      });

      test("Map, Set, Date, BigInt, typed arrays and cycles survive a call", T, async () => {
        const req = await h.run("bh_structured");
        assert.deepEqual(await req.output(), {
          map: true,
          set: true,
          date: true,
          big: true,
          bytes: true,
          floats: true,
          cycle: true,
          copy: true,
        });
      });

      test("a function argument fails at the call site with a catchable SerializationError", T, async () => {
        const req = await h.run("bh_serialization");
        const out = (await req.output()) as { caught: string; isSerialization: boolean; message: string };
        assert.equal(out.caught, "SerializationError");
        assert.equal(out.isSerialization, true);
        assert.match(out.message, /function/);
        const evs = await events(req);
        assert.equal(evs.filter((e) => e.functionName === "bh_echo").length, 0, "nothing ran");
      });
    });

    test("a class is constructed once and serves 5 calls", T, async () => {
      const req = await h.run("bh_class");
      const out = (await req.output()) as { i: number; instanceId: string; constructions: number }[];
      assert.deepEqual(
        out.map((o) => o.i),
        [0, 1, 2, 3, 4],
      );
      assert.equal(new Set(out.map((o) => o.instanceId)).size, 1);
      assert.ok(
        out.every((o) => o.constructions === 1),
        `constructed ${out[0]?.constructions} times`,
      );
    });

    describe("request context", () => {
      test("state written by the app is read by a child; defaults when missing", T, async () => {
        const req = await h.run("bh_state");
        assert.deepEqual(await req.output(), {
          name: "Ada",
          tagsIsSet: true,
          processed: true,
          missing: "fallback",
          missingNoDefault: true,
          sameRequest: true,
        });
      });

      test("progress events are streamed in order, with message and attributes", T, async () => {
        const req = await h.run("bh_progress");
        assert.equal(await req.output(), 5);
        const evs = await events(req);
        assert.deepEqual(
          evs.map((e) => e.seq),
          evs.map((_, i) => i + 1),
        );
        assert.equal(evs[0]?.kind, "request:started");
        assert.equal(evs.at(-1)?.kind, "request:finished");
        const progress = evs.filter((e) => e.kind === "progress");
        assert.deepEqual(
          progress.map((e) => e.data?.current),
          [1, 2, 3, 4, 5],
        );
        assert.deepEqual(
          progress.map((e) => e.data?.total),
          [5, 5, 5, 5, 5],
        );
        assert.deepEqual(
          progress.map((e) => e.data?.message),
          ["step 1", "step 2", "step 3", "step 4", "step 5"],
        );
        assert.deepEqual(progress[4]?.data?.attributes, { stage: "s5" });
        const started = evs.findIndex((e) => e.kind === "attempt:started");
        const finished = evs.findIndex((e) => e.kind === "call:finished");
        assert.ok(evs.indexOf(progress[0]!) > started && evs.indexOf(progress[4]!) < finished);
      });

      test("the default stream is the progress updates, then the outcome (DESIGN §4)", T, async () => {
        const req = await h.run("bh_progress");
        const evs: RequestEvent[] = [];
        for await (const ev of req.progress()) evs.push(ev);
        assert.deepEqual(
          evs.map((e) => e.kind),
          ["progress", "progress", "progress", "progress", "progress", "request:finished"],
        );
        // Each update names its function and call, with the fraction it reports.
        const progress = evs.slice(0, 5);
        assert.ok(
          progress.every(
            (e) => e.functionName === "bh_progress" && typeof e.callId === "string" && e.callId.length > 0,
          ),
        );
        assert.deepEqual(
          progress.map((e) => e.fraction),
          [0.2, 0.4, 0.6, 0.8, 1],
        );
        // Seqs are the store's: increasing, with gaps where lifecycle events were left out.
        assert.ok(evs.every((e, i) => i === 0 || e.seq > evs[i - 1]!.seq));
        assert.ok(evs[0]!.seq > 1);
        assert.equal(evs.at(-1)?.data?.status, "succeeded");
        assert.equal(await req.output(), 5);
      });

      test("a parent that only fans out shows its request advancing with its 4 children, up to 1", T, async () => {
        const req = await h.run("bh_fanout_progress");
        const fractions: number[] = [];
        for await (const ev of req.progress()) if (ev.kind === "progress") fractions.push(ev.fraction ?? -1);
        assert.deepEqual(await req.output(), [1, 2, 3, 4]);
        assert.ok(
          fractions.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= fractions[i - 1]!)),
          `never decreases: ${fractions.join(", ")}`,
        );
        assert.ok(new Set(fractions).size >= 4, `rises through at least 4 values: ${fractions.join(", ")}`);
        assert.equal(fractions.at(-1), 1);
      });

      test("metrics are recorded", T, async (t) => {
        if (!h.metrics) return t.skip("this harness exposes no metrics");
        const req = await h.run("bh_metrics");
        assert.equal(await req.output(), "recorded");
        const m = await h.metrics(req);
        // Recorded once per successful attempt: a replay records nothing (the original already did).
        assert.equal(m.counters.items_processed, 5);
        assert.equal(m.counters.calls, 1);
        assert.equal(m.timers.processing_time?.count, 1);
        assert.equal(m.timers.processing_time?.sum, 0.25);
        assert.ok(m.samples.every((s) => s.function_name === "bh_metrics" && s.attempt === 1));
      });
    });

    describe("call trees", () => {
      test("a child's failure is a catchable FunctionError with the child's message", T, async () => {
        const req = await h.run("bh_catch");
        assert.deepEqual(await req.output(), {
          name: "FunctionError",
          isFunctionError: true,
          message: "kaboom from the child",
          functionName: "bh_thrower",
          childStackMentionsChild: true,
        });
      });

      test("calls nest three levels deep", T, async () => {
        const req = await h.run("bh_nested", "0");
        assert.equal(await req.output(), "0-1-2-3");
        const evs = await events(req);
        const created = evs.filter((e) => e.kind === "call:created");
        assert.deepEqual(
          created.map((e) => e.functionName),
          ["bh_nested", "bh_level2", "bh_level3"],
        );
        assert.equal(created[1]?.parentCallId, created[0]?.callId);
        assert.equal(created[2]?.parentCallId, created[1]?.callId);
      });

      test("Promise.all fans out 20 calls", T, async () => {
        const req = await h.run("bh_fanout", 20);
        assert.deepEqual(
          await req.output(),
          Array.from({ length: 20 }, (_, i) => i * i),
        );
        const evs = await events(req);
        assert.equal(evs.filter((e) => e.kind === "call:created" && e.functionName === "bh_square").length, 20);
      });

      test("map over 100 items keeps their order", T, async () => {
        const req = await h.run("bh_map", 100);
        assert.deepEqual(
          await req.output(),
          Array.from({ length: 100 }, (_, i) => i * i),
        );
      });

      test("reduce folds left, with and without an initial value", T, async () => {
        const withInitial = await h.run("bh_reduce", { items: ["a", "b", "c"], initial: ">" });
        assert.equal(await withInitial.output(), ">abc");
        const without = await h.run("bh_reduce", { items: ["a", "b", "c"] });
        assert.equal(await without.output(), "abc");
        const single = await h.run("bh_reduce", { items: ["only"] });
        assert.equal(await single.output(), "only");
      });

      test("reduce of an empty list without an initial value fails", T, async () => {
        const req = await h.run("bh_reduce", { items: [] });
        const f = await failure(req);
        assert.equal(f.reason, "function_error");
        assert.match(f.message, /initial value/);
        assert.equal(lifecycle(await events(req), "bh_reduce").filter((k) => k === "attempt:started").length, 1);
      });
    });

    test("cancel: running calls see their signal aborted, later calls never start", T, async () => {
      const dir = freshDir();
      const req = await h.run("bh_cancel", { dir });
      for await (const ev of req.progress()) {
        if (ev.kind === "progress" && ev.functionName === "bh_cancel_child") break;
      }
      await req.cancel();
      const out = await req.finished();
      assert.equal(out.status, "cancelled");
      assert.deepEqual(out.outcome, { failure: "cancelled" });
      const f = await failure(req);
      assert.equal(f.reason, "cancelled");
      for (let i = 0; i < 50 && lines(dir, "aborted") === 0; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(lines(dir, "aborted"), 1);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(lines(dir, "after"), 0);
      assert.equal(lines(dir, "not-aborted"), 0);
    });

    describe("durability", () => {
      test("a retried parent gets journaled results: finished children are not run again", T, async () => {
        const dir = freshDir();
        const req = await h.run("bh_replay", { dir });
        assert.equal(await req.output(), 30);
        assert.equal(lines(dir, "child-1"), ok);
        assert.equal(lines(dir, "child-2"), ok);
        assert.equal(lines(dir, "parent"), 1 + ok);
        const evs = await events(req);
        assert.equal(evs.filter((e) => e.kind === "call:created" && e.functionName === "bh_replay_child").length, 2);
      });

      test(
        "a retry that asks for a different function at a journaled position is non-determinism (terminal)",
        T,
        async () => {
          const dir = freshDir();
          const req = await h.run("bh_nondeterminism", { dir });
          const out = await req.finished();
          assert.equal(out.status, "failed");
          assert.equal(out.error?.name, "NonDeterminismError");
          assert.match(out.error?.message ?? "", /non-deterministic/);
          assert.equal(lines(dir, "attempts"), 2, "not retried after the non-determinism");
        },
      );

      test("always-replay catches a function that asks for different calls on each run", T, async (t) => {
        if (!h.alwaysReplay) return t.skip("only an always-replay runner can see this");
        const req = await h.run("bh_flip");
        const out = await req.finished();
        assert.equal(out.error?.name, "NonDeterminismError");
      });
    });
  });
}
