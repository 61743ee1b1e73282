// runLocal's boundary and bookkeeping: input/output codecs and schemas, request ids, class init
// timeouts, and the event stream's invariants.
import { test } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { application, cls, File, fn, RequestContext, RequestError, runLocal, SchemaValidationError } from "tributary";
import { collectEvents, createFakeClock } from "tributary/testing";
import { sleep } from "../../src/core/clock.js";

const T = { timeout: 10_000 };

const rl_schema = application(
  { input: z.object({ name: z.string(), age: z.number().int() }), output: z.object({ greeting: z.string() }) },
  fn(async function rl_schema(q: { name: string; age: number }) {
    return q.age === 0 ? ({ greeting: 42 } as unknown as { greeting: string }) : { greeting: `hi ${q.name}` };
  }),
);

test("input schema: a bad input rejects before any function runs, naming the path", T, async () => {
  await assert.rejects(runLocal(rl_schema, { name: "Ada", age: 1.5 }), (e: unknown) => {
    assert.ok(e instanceof SchemaValidationError);
    assert.equal(e.path, "$.age");
    return true;
  });
  const ok = await runLocal(rl_schema, { name: "Ada", age: 36 });
  assert.deepEqual(await ok.output(), { greeting: "hi Ada" });
});

test("output schema: a bad output fails the request with the path", T, async () => {
  const req = await runLocal(rl_schema, { name: "Ada", age: 0 });
  await assert.rejects(req.output(), /output failed schema validation at \$\.greeting/);
  assert.equal((await req.finished()).failureReason, "function_error");
});

const rl_args = application(
  fn(async function rl_args(...args: unknown[]) {
    return { count: args.length, first: args[0] ?? null };
  }),
);

test("undefined input means no argument; null is an argument", T, async () => {
  assert.deepEqual(await (await runLocal(rl_args)).output(), { count: 0, first: null });
  assert.deepEqual(await (await runLocal(rl_args, null)).output(), { count: 1, first: null });
});

const rl_bigint_json = application(
  fn(async function rl_bigint_json() {
    return 1n;
  }),
);
const rl_structured = application(
  { inputDeserializer: "structured", outputSerializer: "structured" },
  fn(async function rl_structured(m: Map<string, bigint>) {
    return new Map([...m].map(([k, v]) => [k, v * 2n]));
  }),
);

test("JSON output cannot carry a BigInt; the structured serializer can", T, async () => {
  await assert.rejects((await runLocal(rl_bigint_json)).output(), /BigInt/);
  const req = await runLocal(rl_structured, new Map([["a", 2n]]));
  assert.deepEqual(await req.output(), new Map([["a", 4n]]));
});

test("JSON input is a copy, with JSON's rules (Dates become strings)", T, async () => {
  const input = { when: new Date(0), list: [1] };
  const req = await runLocal(rl_args, input);
  assert.deepEqual(await req.output(), { count: 1, first: { when: "1970-01-01T00:00:00.000Z", list: [1] } });
});

const rl_file = application(
  fn(async function rl_file(f: File) {
    return new File(f.text().toUpperCase(), "text/plain");
  }),
);

test("a File crosses the boundary as bytes with its content type", T, async () => {
  const out = (await (await runLocal(rl_file, new File("abc", "text/plain"))).output()) as File;
  assert.equal(out.contentType, "text/plain");
  assert.equal(out.text(), "ABC");
});

const rl_plain = fn(async function rl_plain() {
  return 1;
});

test("runLocal of a non-application is an SDKUsageError", T, async () => {
  await assert.rejects(
    runLocal(rl_plain),
    (e: Error) => e.name === "SDKUsageError" && /not an application/.test(e.message),
  );
  await assert.rejects(runLocal("no_such_function"), (e: Error) => e.name === "SDKUsageError");
});

const rl_request_id = application(
  fn(async function rl_request_id() {
    return RequestContext.get().requestId;
  }),
);

test("the request id can be injected and is seen by the function", T, async () => {
  const req = await runLocal(rl_request_id, undefined, { requestId: "req-123" });
  assert.equal(req.id, "req-123");
  assert.equal(await req.output(), "req-123");
});

let clock = createFakeClock();
let built = 0;

@cls({ initTimeout: 2 })
class RlSlowInit {
  constructor() {
    built++;
    // An async initializer: a constructor may return a promise of the instance.
    return sleep(clock, 5000).then(() => this) as unknown as RlSlowInit;
  }
  @fn({ timeout: 100 })
  async go(): Promise<string> {
    return "never";
  }
}
const rl_init = application(
  fn(async function rl_init() {
    return await new RlSlowInit().go();
  }),
);

test("a class constructor runs under its init timeout (not the function's)", T, async () => {
  clock = createFakeClock();
  const req = await runLocal(rl_init, undefined, { clock });
  await clock.runUntil(req.finished());
  assert.equal(built, 1);
  const out = await req.finished();
  assert.equal(out.failureReason, "function_timeout");
  assert.match(out.error?.message ?? "", /constructor of class 'RlSlowInit' did not finish within 2 s/);
  const failed = (await collectEvents(req)).find((e) => e.kind === "attempt:failed");
  assert.equal(failed?.at, 2000);
});

const rl_late = fn({ timeout: 1 }, async function rl_late() {
  const ctx = RequestContext.get();
  await sleep(clock, 3000);
  await ctx.progress.update(1, 1, "too late");
  return "late";
});
const rl_late_app = application(
  fn(async function rl_late_app() {
    try {
      return await rl_late();
    } catch (e) {
      if ((e as Error).name === "TimeoutError") throw new RequestError("child timed out");
      throw e;
    }
  }),
);

test("a timed-out attempt's later progress is dropped; request:finished is the last event", T, async () => {
  clock = createFakeClock();
  const req = await runLocal(rl_late_app, undefined, { clock });
  await clock.runUntil(req.finished());
  await clock.advance(5000);
  await assert.rejects(req.output(), (e: Error) => e.name === "RequestError" && e.message === "child timed out");
  const evs = await collectEvents(req);
  assert.equal(evs.filter((e) => e.kind === "progress").length, 0);
  assert.equal(evs.at(-1)?.kind, "request:finished");
  assert.deepEqual(
    evs.map((e) => e.seq),
    evs.map((_, i) => i + 1),
  );
});

const rl_headers = application(
  fn(async function rl_headers() {
    const h = RequestContext.get().headers;
    let refused = "";
    try {
      h.set("x-tenant", "evil");
    } catch (e) {
      refused = (e as Error).name;
    }
    return { pairs: [...h], refused };
  }),
);

test("runLocal passes headers to ctx.headers, read-only and without credentials; none gives an empty Headers", async () => {
  const r = await runLocal(rl_headers, undefined, {
    headers: { "X-Tenant": "acme", Authorization: "Bearer k", cookie: "s=1", "proxy-authorization": "x" },
  });
  assert.deepEqual(await r.output(), { pairs: [["x-tenant", "acme"]], refused: "SDKUsageError" });
  const none = await runLocal(rl_headers);
  assert.deepEqual(await none.output(), { pairs: [], refused: "SDKUsageError" });
});

const rl_usage_child = fn({ memory: 2 }, async function rl_usage_child(ms: number) {
  await sleep(clock, ms);
  return ms;
});
const rl_usage = application(
  fn({ memory: 1 }, async function rl_usage() {
    await sleep(clock, 500);
    return (await rl_usage_child(1500)) + (await rl_usage_child(250));
  }),
);

test(
  "runLocal's usage: wall and GB-seconds per attempt on the request's clock; CPU and memory unknown",
  T,
  async () => {
    clock = createFakeClock();
    const req = await runLocal(rl_usage, undefined, { clock });
    await clock.runUntil(req.finished());
    assert.equal(await req.output(), 1750);
    // The parent ran 2.25 s (its own 0.5 s plus both children); each child its own sleep.
    assert.deepEqual(req.usage(), {
      wall_seconds: 2.25 + 1.5 + 0.25,
      cpu_seconds: null,
      peak_memory_bytes: null,
      memory_gb_seconds: 1 * 2.25 + 2 * 1.5 + 2 * 0.25,
      attempts: 3,
      containers_started: 0,
    });
  },
);
