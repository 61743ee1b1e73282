// Every example runs through runLocal and gives the output its seed documents.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runLocal, type TributaryFunction } from "tributary";
import { collectEvents } from "tributary/testing";
import * as all from "../examples/all.js";
import { measure_strings, string_length } from "../examples/string-length.js";

const T = { timeout: 10_000 };

async function output(app: TributaryFunction, input?: unknown): Promise<unknown> {
  return await (await runLocal(app, input)).output();
}

test("hello_world and hola_mundo take no input and return nothing", T, async () => {
  assert.equal(await output(all.hello_world), null);
  assert.equal(await output(all.hola_mundo), null);
});

test("the configured application reads and writes the structured format", T, async () => {
  assert.deepEqual(await output(all.hello_configured, "from a test"), new Map([["greeted", "from a test"]]));
});

test('my_function("hello") → 5 via other_function', T, async () => {
  const req = await runLocal(all.my_function, "hello");
  assert.equal(await req.output(), 5);
  const created = (await collectEvents(req)).filter((e) => e.kind === "call:created").map((e) => e.functionName);
  assert.deepEqual(created, ["my_function", "other_function"]);
});

test('greet → "Hello, world! from greet!"', T, async () => {
  assert.equal(await output(all.greet, "Hello, world!"), "Hello, world! from greet!");
});

test(
  'process_data → {"matches":[{"name":"John","age":30,"id":1}]}; a bad age is rejected with its path',
  T,
  async () => {
    const out = await output(all.process_data, { name: "John", age: 30 });
    assert.equal(JSON.stringify(out), '{"matches":[{"name":"John","age":30,"id":1}]}');
    await assert.rejects(
      runLocal(all.process_data, { name: "John", age: "thirty" }),
      /input failed schema validation at \$\.age/,
    );
  },
);

test("string_length carries every option and measures strings", T, async () => {
  const spec = string_length.spec;
  assert.deepEqual(
    {
      cpu: spec.cpu,
      memory: spec.memory,
      disk: spec.ephemeralDisk,
      gpu: spec.gpu,
      timeout: spec.timeout,
      secrets: spec.secrets,
      retries: spec.retries?.maxRetries,
      region: spec.region,
      image: spec.image?.baseImage,
    },
    {
      cpu: 2,
      memory: 4,
      disk: 2,
      gpu: ["H100:1"],
      timeout: 30,
      secrets: ["my_secret"],
      retries: 2,
      region: "us-east-1",
      image: "ubuntu:24.04",
    },
  );
  assert.equal(spec.description, "Measures the string using its length");
  assert.deepEqual(await output(measure_strings, ["a", "bb", "ccc"]), [1, 2, 3]);
});

test("MyCompute.run serves calls from one instance", T, async () => {
  assert.equal((all.MyCompute.prototype.run as unknown as TributaryFunction).functionName, "MyCompute.run");
  assert.equal(await output(all.count_words, "the quick brown fox"), 4);
});

test("timeouts: deep_research allows 30 minutes; the agent reports progress", T, async () => {
  assert.equal(all.deep_research.spec.timeout, 1800);
  const req = await runLocal(all.long_running_agent, "rivers");
  assert.equal(await req.output(), "research notes on rivers");
  assert.equal((await collectEvents(req)).filter((e) => e.kind === "progress").length, 4);
});

test("retries: always_raises runs twice then fails; the application policy covers sometimes_fails", T, async () => {
  const req = await runLocal(all.always_raises);
  await assert.rejects(
    req.output(),
    (e: Error & { reason?: string }) => e.reason === "function_error" && e.message === "Something went wrong",
  );
  assert.equal((await collectEvents(req)).filter((e) => e.kind === "attempt:started").length, 2);
  assert.equal(await output(all.app_policy), "succeeded on attempt 3");
});

test("request context: id, state across functions, progress, metrics", T, async () => {
  const idReq = await runLocal(all.show_request_id, undefined, { requestId: "example-request" });
  assert.equal(await idReq.output(), "example-request");
  const stateReq = await runLocal(all.first_function, "hello state");
  assert.equal(await stateReq.output(), 11);
  assert.deepEqual(stateReq.state(), { user_data: "hello state", processed: true });
  const items = await runLocal(all.process_items, ["a", "b", "c"]);
  assert.deepEqual(await items.output(), { results: ["A", "B", "C"] });
  const progress = (await collectEvents(items)).filter((e) => e.kind === "progress");
  assert.deepEqual(
    progress.map((e) => e.data?.message),
    ["Processing item 1", "Processing item 2", "Processing item 3"],
  );
  const measured = await runLocal(all.measured_function, "four");
  assert.equal(await measured.output(), 4);
  assert.equal(measured.metrics().counters.items_processed, 4);
  assert.equal(measured.metrics().timers.processing_time?.count, 1);
});

test("resources: cpu, memory and disk options, and the demo runs", T, async () => {
  assert.equal(all.process_large_data.spec.cpu, 4);
  assert.equal(all.run_model.spec.memory, 8);
  assert.equal(all.process_video.spec.ephemeralDisk, 20);
  assert.deepEqual(await output(all.resource_demo), { sum: 6, model: "cba" });
});
