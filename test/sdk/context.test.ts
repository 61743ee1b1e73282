// RequestContext validation: every bad argument throws SDKUsageError synchronously, before anything
// reaches the backend.
import { test } from "node:test";
import assert from "node:assert/strict";
import { RequestContext, SDKUsageError } from "tributary";
import { scopeStorage, type ContextBackend, type Scope } from "../../src/core/scope.js";

function recordingScope(): { scope: Scope; recorded: string[] } {
  const recorded: string[] = [];
  const context: ContextBackend = {
    requestId: "r1",
    functionName: "f",
    callId: "c1",
    signal: new AbortController().signal,
    stateGet: async (k) => (recorded.push(`get ${k}`), undefined),
    stateSet: async (k) => void recorded.push(`set ${k}`),
    progress: async (u) => void recorded.push(`progress ${u.current}/${u.total}`),
    metric: async (m) => void recorded.push(`${m.kind} ${m.name}`),
    deadline: null,
    onDeadline: (_h, beforeMs) => (recorded.push(`onDeadline ${beforeMs}`), () => {}),
  };
  const fail = () => Promise.reject(new Error("no calls in this test"));
  return { scope: { context, runtime: { call: fail, map: fail, reduce: fail } }, recorded };
}

function usage(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => e instanceof SDKUsageError && re.test(e.message), `expected SDKUsageError ${re}`);
}

test("RequestContext.get() outside a request is an SDKUsageError", () => {
  usage(() => RequestContext.get(), /outside a request/);
});

test("bad progress, state and metrics arguments throw synchronously and record nothing", () => {
  const { scope, recorded } = recordingScope();
  scopeStorage().run(scope, () => {
    const ctx = RequestContext.get();
    assert.equal(ctx.requestId, "r1");
    usage(() => ctx.progress.update(-1, 2), /progress 'current' must be a finite number >= 0, got -1/);
    usage(() => ctx.progress.update(1, Number.POSITIVE_INFINITY), /progress 'total' must be a finite number/);
    usage(() => ctx.progress.update(1, 2, 5 as unknown as string), /progress 'message' must be a string, got 5/);
    usage(
      () => ctx.progress.update(1, 2, "m", { a: 1 } as unknown as Record<string, string>),
      /value for key 'a' must be a string/,
    );
    usage(
      () => ctx.progress.update(1, 2, "m", ["x"] as unknown as Record<string, string>),
      /progress 'attributes' must be an object/,
    );
    usage(() => ctx.state.set("", 1), /state key must be a non-empty string/);
    usage(() => ctx.state.set("k".repeat(1025), 1), /longer than 1024 bytes/);
    usage(() => ctx.state.set("k", () => 1), /state value for 'k'.*function/);
    usage(() => ctx.state.get(5 as unknown as string), /state key must be a non-empty string, got 5/);
    usage(() => ctx.metrics.counter("c", 1.5), /counter value must be a safe integer, got 1.5/);
    usage(() => ctx.metrics.counter("", 1), /counter name must be a non-empty string/);
    usage(() => ctx.metrics.timer("t", -1), /timer value must be a finite number of seconds >= 0, got -1/);
    usage(() => ctx.metrics.timer("t", Number.NaN), /timer value/);
    assert.deepEqual(recorded, []);
    void ctx.progress.update(1, 2, "ok", { stage: "a" });
    void ctx.state.set("k", { v: 1 });
    ctx.metrics.counter("c");
    ctx.metrics.timer("t", 0.5);
    assert.deepEqual(recorded, ["progress 1/2", "set k", "counter c", "timer t"]);
  });
});

test("state values above the limit are rejected before they are sent", () => {
  const { scope, recorded } = recordingScope();
  const before = process.env.TRIBUTARY_MAX_STATE_BYTES;
  process.env.TRIBUTARY_MAX_STATE_BYTES = "100";
  try {
    scopeStorage().run(scope, () => {
      usage(() => RequestContext.get().state.set("big", "x".repeat(200)), /more than the limit of 100 bytes/);
    });
  } finally {
    if (before === undefined) delete process.env.TRIBUTARY_MAX_STATE_BYTES;
    else process.env.TRIBUTARY_MAX_STATE_BYTES = before;
  }
  assert.deepEqual(recorded, []);
});

test("bad onDeadline arguments throw synchronously; good ones reach the backend", () => {
  const { scope, recorded } = recordingScope();
  scopeStorage().run(scope, () => {
    const ctx = RequestContext.get();
    usage(() => ctx.onDeadline("no" as unknown as () => void), /onDeadline handler must be a function, got "no"/);
    usage(() => ctx.onDeadline(() => {}, 5 as unknown as { beforeMs: number }), /onDeadline options must be an object/);
    usage(
      () => ctx.onDeadline(() => {}, { beforeMs: 0 }),
      /'beforeMs' must be a finite number of milliseconds > 0, got 0/,
    );
    usage(() => ctx.onDeadline(() => {}, { beforeMs: Number.NaN }), /'beforeMs' must be a finite number/);
    usage(() => ctx.onDeadline(() => {}, { beforeMs: "5" as unknown as number }), /'beforeMs' must be a finite number/);
    assert.deepEqual(recorded, []);
    const off = ctx.onDeadline(() => {}, { beforeMs: 1500 });
    ctx.onDeadline(() => {});
    assert.equal(typeof off, "function");
    assert.equal(ctx.deadline, null);
  });
  assert.deepEqual(recorded, ["onDeadline 1500", "onDeadline undefined"]);
});
