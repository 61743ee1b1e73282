import { test } from "node:test";
import assert from "node:assert/strict";
import type { ManifestApplication } from "../../src/core/manifest.js";
import { curlFor, shellQuote } from "../../src/cli/curl.js";
import { duration, table } from "../../src/cli/format.js";
import { sampleFromSchema } from "../../src/cli/sample-input.js";

test("sample inputs from JSON schemas", () => {
  assert.deepEqual(
    sampleFromSchema({
      type: "object",
      properties: {
        name: { type: "string" },
        age: { type: "integer", minimum: 18 },
        count: { type: "integer", minimum: -9007199254740991, maximum: 9007199254740991 },
        debt: { type: "number", exclusiveMaximum: 0 },
        tags: { type: "array", items: { type: "string" } },
        kind: { enum: ["a", "b"] },
        nick: { anyOf: [{ type: "null" }, { type: "string" }] },
        ref: { $ref: "#/$defs/Point" },
      },
      $defs: { Point: { type: "object", properties: { x: { type: "number" } } } },
    }),
    { name: "string", age: 18, count: 0, debt: -1, tags: ["string"], kind: "a", nick: "string", ref: { x: 0 } },
  );
  assert.equal(sampleFromSchema({ type: "string", examples: ["Hello"] }), "Hello");
  assert.equal(sampleFromSchema({ type: "boolean" }), false);
  assert.equal(sampleFromSchema(true), undefined);
  // A self-referencing schema stops at the depth limit instead of recursing forever.
  assert.ok(sampleFromSchema({ $ref: "#" }) === undefined);
});

test("curl lines are paste-safe", () => {
  const app = (inputJsonSchema?: unknown): ManifestApplication => ({
    name: "greet",
    spec: { tags: {}, retries: null, region: null, inputDeserializer: "json", outputSerializer: "json" },
    description: "",
    hasInputSchema: inputJsonSchema !== undefined,
    hasOutputSchema: false,
    ...(inputJsonSchema !== undefined ? { inputJsonSchema } : {}),
  });
  assert.equal(
    curlFor("http://127.0.0.1:8900", "default", app()),
    "curl -X POST 'http://127.0.0.1:8900/v1/namespaces/default/applications/greet?wait=30'",
  );
  assert.equal(
    curlFor(
      "http://127.0.0.1:8900",
      "default",
      app({ type: "object", properties: { name: { type: "string", examples: ["O'Brien"] } } }),
    ),
    `curl -X POST 'http://127.0.0.1:8900/v1/namespaces/default/applications/greet?wait=30' -H 'Content-Type: application/json' -d '{"name":"O'\\''Brien"}'`,
  );
  assert.equal(shellQuote("a b"), "'a b'");
});

test("tables and durations", () => {
  assert.equal(
    table(
      ["ID", "STATUS"],
      [
        ["r-1", "running"],
        ["request-22", "succeeded"],
      ],
    ),
    "ID          STATUS\nr-1         running\nrequest-22  succeeded",
  );
  assert.equal(duration(0, 850), "850ms");
  assert.equal(duration(0, 12_340), "12.3s");
  assert.equal(duration(0, 245_000), "4m05s");
  assert.equal(duration(0, null), "-");
});
