// The `structured` serializer at the application boundary, through a real server and executor: the
// bytes are exactly `v8.serialize(value)` both ways, so a client using nothing but node's `v8`
// module can post an input and read the output (docs/http-api.md).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import v8 from "node:v8";
import { STRUCTURED_CONTENT_TYPE } from "../../src/core/codec.js";
import { isFile } from "../../src/core/file.js";
import { runRemote } from "../../src/client/run-remote.js";
import { startCluster, sourceOf, type Cluster } from "../helpers/cluster.js";

let c: Cluster;
const base = (): string => `${c.server.url}/v1/namespaces/default/applications`;

before(async () => {
  c = await startCluster();
  await c.deploy(sourceOf(import.meta.url, "./structured-apps.ts"));
});

after(async () => {
  await c?.stop();
});

async function invoke(app: string, body: Uint8Array): Promise<Response> {
  return fetch(`${base()}/${app}`, { method: "POST", body, headers: { "content-type": STRUCTURED_CONTENT_TYPE } });
}

async function outputOf(app: string, id: string): Promise<{ contentType: string | null; bytes: Buffer }> {
  for (let i = 0; i < 400; i++) {
    const r = (await (await fetch(`${base()}/${app}/requests/${id}`)).json()) as { status: string };
    if (r.status === "succeeded") break;
    if (r.status === "failed" || r.status === "cancelled") assert.fail(`request ${id} ${r.status}`);
    await new Promise((res) => setTimeout(res, 25));
  }
  const res = await fetch(`${base()}/${app}/requests/${id}/output`);
  assert.equal(res.status, 200);
  return { contentType: res.headers.get("content-type"), bytes: Buffer.from(await res.arrayBuffer()) };
}

test(
  "a client posting v8.serialize bytes gets its input; GET …/output is exactly v8.serialize of the output",
  { timeout: 30_000 },
  async () => {
    const input: Record<string, unknown> = {
      tags: new Set(["a", "b"]),
      counts: new Map([["big", 2n ** 70n]]),
      when: new Date("2024-01-02T03:04:05.000Z"),
      bytes: new Uint8Array([1, 2, 3]),
    };
    input.self = input;
    const res = await invoke("st_echo", v8.serialize(input));
    assert.equal(res.status, 200, await res.clone().text());
    const { request_id } = (await res.json()) as { request_id: string };
    const out = await outputOf("st_echo", request_id);
    assert.equal(out.contentType?.split(";")[0], STRUCTURED_CONTENT_TYPE);
    const value = v8.deserialize(out.bytes) as { echo: Record<string, unknown>; saw: Record<string, boolean> };
    assert.deepEqual(value.saw, { set: true, map: true, bigint: true, date: true, bytes: true, cycle: true });
    assert.equal(value.echo.self, value.echo);
    assert.deepEqual(value.echo.counts, input.counts);
    // No framing of ours: the body is byte for byte what v8.serialize makes of the same value.
    assert.deepEqual(out.bytes, v8.serialize(value));
  },
);

test("a nested File is a plain record for a v8 client and a File for runRemote", { timeout: 30_000 }, async () => {
  const req = await runRemote("st_file", undefined, { server: c.server.url });
  const viaSdk = (await req.output()) as { report: unknown; pages: number };
  assert.ok(isFile(viaSdk.report));
  assert.equal(viaSdk.report.text(), "hello");
  const raw = v8.deserialize((await outputOf("st_file", req.id)).bytes) as {
    report: Record<string, unknown>;
    pages: number;
  };
  assert.equal(raw.pages, 2);
  assert.equal(raw.report.__tributary_file__, true);
  assert.equal(raw.report.contentType, "text/plain");
  assert.equal(Buffer.from(raw.report.bytes as Uint8Array).toString(), "hello");
});

test("runRemote with the structured serializer sends v8.serialize bytes", { timeout: 30_000 }, async () => {
  const input = { tags: new Set(["x"]), counts: new Map([["big", 1n]]), when: new Date(0), bytes: new Uint8Array([9]) };
  const req = await runRemote("st_echo", input, { server: c.server.url, serializer: "structured" });
  const out = (await req.output()) as { echo: unknown; saw: Record<string, boolean> };
  assert.deepEqual(out.echo, input);
  assert.equal(out.saw.bigint, true);
});

test(
  "bytes that are not v8.serialize output are refused with 400 before anything is stored",
  { timeout: 30_000 },
  async () => {
    const res = await invoke("st_echo", new Uint8Array([0x01, 0x02, 0x03]));
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.match(body.error.message, /input cannot be deserialized/);
  },
);
