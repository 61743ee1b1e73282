// Issue 9.4: every curl line `tributary dev examples/all.ts` prints, pasted into a shell in another
// working directory, succeeds and prints what the example documents. The sample bodies come from the
// input schemas deploy derives from the handlers' parameter types (with their JSDoc @example), so
// greet gets a real string and my_function, count_words, process_items and measured_function no
// longer fail with TypeErrors on an absent input.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import { runCurlLine } from "./curl-line.js";
import { startDev, type DevProcess } from "./dev-process.js";

const ENTRY = fileURLToPath(new URL("../../../examples/all.ts", import.meta.url));
const T = { timeout: 120_000 };

/** What each example's pasted line prints (the body, parsed as JSON unless the line saves a file). */
const EXPECTED: Record<string, { status: number; check: (body: string, cwd: string) => void }> = {
  hello_world: { status: 200, check: (b) => assert.equal(JSON.parse(b), null) },
  hola_mundo: { status: 200, check: (b) => assert.equal(JSON.parse(b), null) },
  hello_configured: {
    status: 200,
    // A structured output is binary (exactly v8.serialize bytes): the line saves it to hello_configured.out.
    check: (b, cwd) => {
      assert.equal(b, "");
      assert.deepEqual(v8.deserialize(readFileSync(join(cwd, "hello_configured.out"))), new Map([["greeted", "Ada"]]));
    },
  },
  my_function: { status: 200, check: (b) => assert.equal(JSON.parse(b), 5) },
  greet: { status: 200, check: (b) => assert.equal(JSON.parse(b), "Hello, world! from greet!") },
  process_data: {
    status: 200,
    check: (b) => assert.deepEqual(JSON.parse(b), { matches: [{ name: "John", age: 30, id: 1 }] }),
  },
  count_words: { status: 200, check: (b) => assert.equal(JSON.parse(b), 4) },
  long_running_agent: { status: 200, check: (b) => assert.equal(JSON.parse(b), "research notes on tides") },
  // The example that documents a failure: retried once, then the request fails with its message.
  always_raises: {
    status: 500,
    check: (b) => assert.deepEqual(pick(JSON.parse(b)), { code: "function_error", message: "Something went wrong" }),
  },
  app_policy: { status: 200, check: (b) => assert.match(JSON.parse(b) as string, /^succeeded on attempt \d+$/) },
  show_request_id: { status: 200, check: (b) => assert.match(JSON.parse(b) as string, /^\w{8,}$/) },
  first_function: { status: 200, check: (b) => assert.equal(JSON.parse(b), 5) },
  process_items: { status: 200, check: (b) => assert.deepEqual(JSON.parse(b), { results: ["A", "B", "C"] }) },
  measured_function: { status: 200, check: (b) => assert.equal(JSON.parse(b), 5) },
  resource_demo: { status: 200, check: (b) => assert.deepEqual(JSON.parse(b), { sum: 6, model: "cba" }) },
};

function pick(v: { error: { code: string; message: string } }): { code: string; message: string } {
  return { code: v.error.code, message: v.error.message };
}

const dataDir = mkdtempSync(join(tmpdir(), "tributary-curl-lines-"));
const pasteDir = mkdtempSync(join(tmpdir(), "tributary-paste-"));
let dev: DevProcess;

before(async () => {
  dev = await startDev(ENTRY, dataDir);
});

after(async () => {
  await dev?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(pasteDir, { recursive: true, force: true });
});

describe("the curl lines `tributary dev examples/all.ts` prints", () => {
  it("each one, pasted into a shell elsewhere, prints the documented output", T, async () => {
    const printed = [...dev.output().matchAll(/^(\w+) \(version 1\)\n\s+(curl .+)$/gm)].map((m) => ({
      app: m[1]!,
      line: m[2]!,
    }));
    assert.deepEqual(printed.map((p) => p.app).sort(), Object.keys(EXPECTED).sort(), dev.output());
    // Every application that takes an input gets a body: none is left to fail on `undefined`.
    for (const app of [
      "greet",
      "my_function",
      "count_words",
      "process_items",
      "measured_function",
      "first_function",
      "long_running_agent",
      "hello_configured",
    ]) {
      assert.match(printed.find((p) => p.app === app)!.line, / -H 'Content-Type: application\/json' -d '/, app);
    }
    for (const { app, line } of printed) {
      const { body, status } = await runCurlLine(line, pasteDir);
      const want = EXPECTED[app]!;
      assert.equal(status, want.status, `${app}: ${line}\n→ ${status} ${body}`);
      want.check(body, pasteDir);
    }
    // Deploy derived every schema it could: no notice about an unchecked input for these examples.
    assert.doesNotMatch(dev.output(), /notice: /);
  });

  it("a wrong input to a typed example is a 400 naming the path, not a 500 TypeError", T, async () => {
    const res = await fetch(`${dev.url}/v1/namespaces/default/applications/process_items?wait=30`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(["a", 2]),
    });
    assert.equal(res.status, 400);
    const err = ((await res.json()) as { error: { code: string; details: { path: string } } }).error;
    assert.equal(err.details.path, "$[1]");
    const none = await fetch(`${dev.url}/v1/namespaces/default/applications/greet?wait=30`, { method: "POST" });
    assert.equal(none.status, 400);
  });
});
