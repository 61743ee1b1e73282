// DESIGN.md §1 "Input types without a schema", through a real server and executor: the schema
// deploy derives from a handler's parameter type validates at the HTTP boundary (400 with the path,
// nothing stored), feeds the OpenAPI document, and an explicit schema wins.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startCluster, sourceOf, type Cluster } from "../helpers/cluster.js";

let c: Cluster;
const base = (): string => `${c.server.url}/v1/namespaces/default`;

async function invoke(
  app: string,
  body: string | null,
  contentType = "application/json",
): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base()}/applications/${app}?wait=30`, {
    method: "POST",
    body,
    headers: body === null ? {} : { "content-type": contentType },
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function requestCount(app: string): Promise<number> {
  const res = await fetch(`${base()}/applications/${app}/requests`);
  return ((await res.json()) as { requests: unknown[] }).requests.length;
}

before(async () => {
  c = await startCluster();
  await c.deploy(sourceOf(import.meta.url, "./typed-apps.ts"));
});
after(async () => c?.stop());

describe("a derived input schema validates at the HTTP boundary", { timeout: 60_000 }, () => {
  test("string parameter: a string runs; a number or no input is a 400 and nothing is stored", async () => {
    assert.deepEqual(await invoke("typed_greet", JSON.stringify("Ada")), { status: 200, json: "hello Ada" });
    const wrong = await invoke("typed_greet", "5");
    assert.equal(wrong.status, 400);
    assert.equal(wrong.json.error.details.path, "$");
    assert.match(wrong.json.error.message, /must be string/);
    const none = await invoke("typed_greet", null);
    assert.equal(none.status, 400);
    assert.match(none.json.error.message, /input is required by its parameter 'name'/);
    assert.equal(await requestCount("typed_greet"), 1);
  });

  test("object parameter: the failing path is named", async () => {
    assert.deepEqual(
      await invoke(
        "typed_order",
        JSON.stringify({
          id: 1,
          items: [
            { sku: "a", qty: 2 },
            { sku: "b", qty: 3 },
          ],
        }),
      ),
      { status: 200, json: { total: 5 } },
    );
    const bad = await invoke("typed_order", JSON.stringify({ id: 1, items: [{ sku: "a", qty: "2" }] }));
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.details.path, "$.items[0].qty");
    const missing = await invoke("typed_order", JSON.stringify({ items: [] }));
    assert.equal(missing.json.error.details.path, "$.id");
    assert.equal(await requestCount("typed_order"), 1);
  });

  test("optional parameter: no input is allowed, a wrong type is not", async () => {
    assert.deepEqual(await invoke("typed_optional", null), { status: 200, json: -1 });
    assert.deepEqual(await invoke("typed_optional", "7"), { status: 200, json: 7 });
    assert.equal((await invoke("typed_optional", '"7"')).status, 400);
  });

  test("File parameter: raw bytes run, JSON is a 415", async () => {
    assert.deepEqual(await invoke("typed_file", "Hello, world!", "text/plain"), { status: 200, json: 13 });
    const json = await invoke("typed_file", '"x"');
    assert.equal(json.status, 415);
    assert.match(json.json.error.message, /takes a file .*its parameter 'doc'/);
  });

  test("a type JSON Schema cannot express (Date) stays unchecked", async () => {
    // Not rejected at the boundary: the value reaches the handler as JSON gives it (a string).
    assert.deepEqual(await invoke("typed_date", '"2025-01-01"'), { status: 200, json: "string" });
  });

  test("an explicit input schema wins over the parameter type", async () => {
    assert.deepEqual(await invoke("typed_explicit", "5"), { status: 200, json: 5 });
    assert.equal((await invoke("typed_explicit", '"five"')).status, 400);
  });
});

describe("the OpenAPI document carries the derived schemas", () => {
  test("request body (required, the parameter's type) and response (the return type)", async () => {
    const doc = (await (await fetch(`${base()}/applications/typed_order/openapi.json`)).json()) as any;
    const post = doc.paths["/v1/namespaces/default/applications/typed_order"].post;
    assert.equal(post.requestBody.required, true);
    const schema = post.requestBody.content["application/json"].schema;
    assert.deepEqual(schema.required, ["id", "items"]);
    assert.deepEqual(schema.properties.items, {
      type: "array",
      items: {
        type: "object",
        properties: { sku: { type: "string" }, qty: { type: "number" } },
        required: ["sku", "qty"],
      },
    });
    const out =
      doc.paths["/v1/namespaces/default/applications/typed_order/requests/{request_id}/output"].get.responses["200"]
        .content["application/json"].schema;
    assert.deepEqual(out.properties, { total: { type: "number" } });
    const optional = (await (await fetch(`${base()}/applications/typed_optional/openapi.json`)).json()) as any;
    assert.equal(optional.paths["/v1/namespaces/default/applications/typed_optional"].post.requestBody.required, false);
    const file = (await (await fetch(`${base()}/applications/typed_file/openapi.json`)).json()) as any;
    assert.deepEqual(file.paths["/v1/namespaces/default/applications/typed_file"].post.requestBody.content, {
      "*/*": { schema: { type: "string", format: "binary" } },
    });
  });
});
