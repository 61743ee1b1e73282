// Acceptance: every seed example (examples/all.ts) served by a real `tributary dev` process and
// invoked with plain HTTP exactly as the README tells a user to (curl, `?wait=30`). Each case checks
// the output the example documents, plus what the section is about (logs, state, progress, metrics,
// the call tree, attempts).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import { STRUCTURED_CONTENT_TYPE } from "../../src/core/codec.js";
import { runCurlLine } from "./curl-line.js";
import { startDev, type DevProcess } from "./dev-process.js";
import { detail, getJson, invokeWait, logLines, readSse, type Detail } from "./http.js";

const ENTRY = fileURLToPath(new URL("../../../examples/all.ts", import.meta.url));
const T = { timeout: 40_000 };
/** Every application examples/all.ts exports (string-length.ts is deployed on its own). */
const APPS = [
  "hello_world",
  "hola_mundo",
  "hello_configured",
  "my_function",
  "greet",
  "process_data",
  "count_words",
  "long_running_agent",
  "always_raises",
  "app_policy",
  "show_request_id",
  "first_function",
  "process_items",
  "measured_function",
  "resource_demo",
];

const dataDir = mkdtempSync(join(tmpdir(), "tributary-acceptance-"));
let dev: DevProcess;
const api = (): string => dev.url;

/** The function calls of a request, as "name:status" sorted, and the attempts of one function. */
const calls = (d: Detail): string[] => d.function_calls.map((c) => `${c.function_name}:${c.status}`).sort();
const reEscape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const attemptsOf = (d: Detail, fn: string): string[] =>
  d.function_calls.find((c) => c.function_name === fn)?.attempts.map((a) => a.status) ?? [];

before(async () => {
  dev = await startDev(ENTRY, dataDir);
});

after(async () => {
  await dev?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("seed examples through `tributary dev`", () => {
  it("prints one ready-to-paste curl per application, and a pasted line works", T, async () => {
    const printed = [...dev.output().matchAll(/^(\w+) \(version 1\)\n\s+(curl .+)$/gm)].map((m) => ({
      app: m[1]!,
      line: m[2]!,
    }));
    assert.deepEqual(printed.map((p) => p.app).sort(), [...APPS].sort(), dev.output());
    for (const p of printed)
      assert.match(
        p.line,
        new RegExp(`^curl -X POST '${api()}/v1/namespaces/default/applications/${p.app}\\?wait=30'( |$)`),
      );

    // process_data's line carries its schema's example ({"name":"John","age":30}) and waits for the
    // request, so pasting it prints the output itself.
    const line = printed.find((p) => p.app === "process_data")!.line;
    const { body } = await runCurlLine(line);
    assert.deepEqual(JSON.parse(body), { matches: [{ name: "John", age: 30, id: 1 }] });
  });

  for (const [app, line] of [
    ["hello_world", "Hello, world!"],
    ["hola_mundo", "Hola, mundo!"],
  ] as const) {
    it(`${app}: no input, null output, "${line}" in its logs`, T, async () => {
      const a = await invokeWait(api(), app);
      assert.equal(a.status, 200);
      assert.equal(a.json(), null);
      assert.deepEqual(await logLines(api(), app, a.requestId, line), [line]);
    });
  }

  it('greet: "Hello, world!" → "Hello, world! from greet!"', T, async () => {
    const a = await invokeWait(api(), "greet", JSON.stringify("Hello, world!"));
    assert.equal(a.status, 200);
    assert.equal(a.json(), "Hello, world! from greet!");
  });

  it("process_data: the documented query and result; a schema violation is a 400 naming the path", T, async () => {
    const a = await invokeWait(api(), "process_data", JSON.stringify({ name: "John", age: 30 }));
    assert.equal(a.status, 200);
    assert.deepEqual(a.json(), { matches: [{ name: "John", age: 30, id: 1 }] });
    const bad = await invokeWait(api(), "process_data", JSON.stringify({ name: "John", age: 30.5 }));
    assert.equal(bad.status, 400);
    assert.equal((bad.json() as { error: { details: { path: string } } }).error.details.path, "$.age");
  });

  it('my_function("hello") → 5, through other_function in its own call', T, async () => {
    const a = await invokeWait(api(), "my_function", JSON.stringify("hello"));
    assert.equal(a.json(), 5);
    const d = await detail(api(), "my_function", a.requestId);
    assert.deepEqual(calls(d), ["my_function:succeeded", "other_function:succeeded"]);
    const root = d.function_calls.find((c) => c.function_name === "my_function")!;
    assert.equal(d.function_calls.find((c) => c.function_name === "other_function")!.parent_id, root.id);
  });

  it("hello_configured: structured (pickle-like) input and output", T, async () => {
    // A client needs nothing but node's v8 module: the body is exactly v8.serialize bytes both ways.
    const a = await invokeWait(api(), "hello_configured", v8.serialize("Ada"), STRUCTURED_CONTENT_TYPE);
    assert.equal(a.status, 200);
    assert.equal(a.contentType, STRUCTURED_CONTENT_TYPE);
    assert.deepEqual(v8.deserialize(a.bytes), new Map([["greeted", "Ada"]]));
    assert.ok(
      (await logLines(api(), "hello_configured", a.requestId, "Hello, world! Ada")).includes("Hello, world! Ada"),
    );
  });

  it("count_words: a @cls method (MyCompute.run) called from the application", T, async () => {
    const a = await invokeWait(api(), "count_words", JSON.stringify("the quick brown fox"));
    assert.equal(a.json(), 4);
    assert.deepEqual(calls(await detail(api(), "count_words", a.requestId)), [
      "MyCompute.run:succeeded",
      "count_words:succeeded",
    ]);
  });

  it("long_running_agent: progress each step, then deep_research", T, async () => {
    const a = await invokeWait(api(), "long_running_agent", JSON.stringify("tides"));
    assert.equal(a.json(), "research notes on tides");
    assert.deepEqual(calls(await detail(api(), "long_running_agent", a.requestId)), [
      "deep_research:succeeded",
      "long_running_agent:succeeded",
    ]);
    const events = await readSse(`${api()}/applications/long_running_agent/requests/${a.requestId}/progress`);
    const steps = events
      .filter((e) => e.event === "progress")
      .map((e) => (JSON.parse(e.data) as { data: { message: string } }).data.message);
    assert.deepEqual(steps, ["Agent step 0", "Agent step 1", "Agent step 2", "Agent step 3"]);
  });

  it("always_raises: retried once, then the request fails with the message", T, async () => {
    const a = await invokeWait(api(), "always_raises");
    assert.equal(a.status, 500);
    assert.deepEqual((a.json() as { error: { code: string; message: string } }).error, {
      code: "function_error",
      message: "Something went wrong",
      details: { request_id: a.requestId, status: "failed", failure_reason: "function_error" },
    });
    assert.deepEqual(attemptsOf(await detail(api(), "always_raises", a.requestId), "always_raises"), [
      "failed",
      "failed",
    ]);
  });

  it("app_policy: the application's retry policy applies to sometimes_fails", T, async () => {
    const a = await invokeWait(api(), "app_policy");
    assert.equal(a.json(), "succeeded on attempt 3");
    assert.deepEqual(attemptsOf(await detail(api(), "app_policy", a.requestId), "sometimes_fails"), [
      "failed",
      "failed",
      "succeeded",
    ]);
  });

  it("show_request_id: the echoed id is the request id, and it is logged", T, async () => {
    const a = await invokeWait(api(), "show_request_id");
    assert.match(a.requestId, /^\w{8,}$/);
    assert.equal(a.json(), a.requestId);
    const want = `Processing request: ${a.requestId}`;
    assert.ok((await logLines(api(), "show_request_id", a.requestId, want)).includes(want));
  });

  it("first_function → second_function share the request state", T, async () => {
    const a = await invokeWait(api(), "first_function", JSON.stringify("hello"));
    assert.equal(a.json(), 5);
    assert.deepEqual(calls(await detail(api(), "first_function", a.requestId)), [
      "first_function:succeeded",
      "second_function:succeeded",
    ]);
    assert.deepEqual(await getJson(`${api()}/applications/first_function/requests/${a.requestId}/state`), {
      state: { user_data: "hello", processed: true },
    });
  });

  it(
    "process_items: the default SSE stream is exactly one progress event per item, then RequestFinished with the output",
    T,
    async () => {
      const a = await invokeWait(api(), "process_items", JSON.stringify(["a", "b", "c"]));
      assert.deepEqual(a.json(), { results: ["A", "B", "C"] });
      const url = `${api()}/applications/process_items/requests/${a.requestId}/progress`;
      const events = await readSse(url);
      assert.deepEqual(
        events.map((e) => e.event),
        ["progress", "progress", "progress", "RequestFinished"],
      );
      const progress = events
        .slice(0, 3)
        .map((e) => JSON.parse(e.data) as { data: unknown; functionName: string; callId: string; fraction: number });
      assert.deepEqual(
        progress.map((p) => p.data),
        [1, 2, 3].map((i) => ({ current: i, total: 3, message: `Processing item ${i}` })),
      );
      assert.deepEqual(
        progress.map((p) => p.fraction),
        [1 / 3, 2 / 3, 1],
      );
      const root = (await detail(api(), "process_items", a.requestId)).function_calls.find(
        (c) => c.parent_id === null,
      )!;
      assert.ok(
        progress.every((p) => p.functionName === "process_items" && p.callId === root.id),
        JSON.stringify(progress),
      );
      assert.deepEqual(JSON.parse(events.at(-1)!.data), {
        request_id: a.requestId,
        status: "succeeded",
        outcome: "success",
        failure_reason: null,
        output: { content_type: "application/json", body: { results: ["A", "B", "C"] } },
        at: (JSON.parse(events.at(-1)!.data) as { at: number }).at,
      });
      assert.ok(
        events.every((e, i) => i === 0 || Number(e.id) > Number(events[i - 1]!.id)),
        "event ids increase",
      );
      // ?events=all adds the lifecycle; ids are the same seqs, so the default stream's are a subset.
      const all = await readSse(`${url}?events=all`);
      assert.deepEqual(
        all.map((e) => e.event).filter((k) => k !== "progress"),
        ["request:started", "call:created", "attempt:started", "attempt:succeeded", "call:finished", "RequestFinished"],
      );
      const allIds = new Set(all.map((e) => e.id));
      assert.ok(
        events.every((e) => allIds.has(e.id)),
        "the default stream's ids are the store's seqs",
      );
      // Last-Event-ID resumes after the first progress update: the two others, then the outcome.
      const resumed = await readSse(url, 15_000, { "last-event-id": events[0]!.id });
      assert.deepEqual(
        resumed.map((e) => e.id),
        events.slice(1).map((e) => e.id),
      );
    },
  );

  it("measured_function: the counter and the timer in the request's metrics", T, async () => {
    const a = await invokeWait(api(), "measured_function", JSON.stringify("hello"));
    assert.equal(a.json(), 5);
    const m = await getJson<{
      counters: Record<string, number>;
      timers: Record<string, { count: number; sum: number }>;
    }>(`${api()}/applications/measured_function/requests/${a.requestId}/metrics`);
    assert.deepEqual(m.counters, { items_processed: 5 });
    assert.equal(m.timers.processing_time?.count, 1);
    assert.ok(m.timers.processing_time!.sum >= 0 && m.timers.processing_time!.sum < 1);
    // And in aggregate for Prometheus, labelled by namespace, application and function.
    const text = await (await fetch(`${dev.url}/metrics`)).text();
    const labels = '{namespace="default",application="measured_function",function="measured_function"}';
    assert.match(text, new RegExp(`^items_processed_total${reEscape(labels)} 5$`, "m"), text);
    assert.match(text, new RegExp(`^processing_time_count${reEscape(labels)} 1$`, "m"), text);
  });

  it("resource_demo: cpu, memory and disk functions each run and compose", T, async () => {
    const a = await invokeWait(api(), "resource_demo");
    assert.deepEqual(a.json(), { sum: 6, model: "cba" });
    assert.deepEqual(calls(await detail(api(), "resource_demo", a.requestId)), [
      "process_large_data:succeeded",
      "process_video:succeeded",
      "resource_demo:succeeded",
      "run_model:succeeded",
    ]);
  });

  it("an unknown application is a 404 and the server keeps serving", T, async () => {
    const a = await invokeWait(api(), "no_such_app", "1");
    assert.equal(a.status, 404);
    assert.equal((await invokeWait(api(), "greet", JSON.stringify("again"))).json(), "again from greet!");
  });
});
