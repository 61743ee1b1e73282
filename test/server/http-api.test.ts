// The HTTP API against a real server on loopback: bad input gets a clear 4xx naming the field,
// nothing is stored half-way, and the server keeps serving.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startCluster, sourceOf, type Cluster } from "../helpers/cluster.js";

let c: Cluster;
const base = (): string => `${c.server.url}/v1/namespaces/default`;

async function post(
  path: string,
  body: string | Uint8Array | null,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base()}${path}`, { method: "POST", body, headers });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function requestsOf(app: string): Promise<unknown[]> {
  const res = await fetch(`${base()}/applications/${app}/requests`);
  return ((await res.json()) as { requests: unknown[] }).requests;
}

async function waitDone(app: string, id: string): Promise<any> {
  for (let i = 0; i < 400; i++) {
    const r = (await (await fetch(`${base()}/applications/${app}/requests/${id}`)).json()) as any;
    if (["succeeded", "failed", "cancelled"].includes(r.status)) return r;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error("request did not finish");
}

before(async () => {
  c = await startCluster({ server: { maxBodyBytes: 64 * 1024 } });
  await c.deploy(sourceOf(import.meta.url, "./apps.ts"));
});
after(async () => c?.stop());

describe("invoke: bad input is refused and nothing is stored", () => {
  test("unknown application → 404", async () => {
    const r = await post("/applications/nope", JSON.stringify(1), { "content-type": "application/json" });
    assert.equal(r.status, 404);
    assert.equal(r.json.error.code, "not_found");
    assert.match(r.json.error.message, /nope/);
  });

  test("malformed JSON → 400 at $", async () => {
    const r = await post("/applications/api_echo", "{not json", { "content-type": "application/json" });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.details.path, "$");
    assert.deepEqual(await requestsOf("api_echo"), []);
  });

  test("schema violation → 400 naming the field", async () => {
    const r = await post("/applications/api_person", JSON.stringify({ name: "John", age: "thirty" }), {
      "content-type": "application/json",
    });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.details.path, "$.age");
    const missing = await post("/applications/api_person", JSON.stringify({ name: "John" }), {
      "content-type": "application/json",
    });
    assert.equal(missing.status, 400);
    assert.equal(missing.json.error.details.path, "$.age");
    assert.deepEqual(await requestsOf("api_person"), []);
  });

  test("a valid input runs and its output is validated and served as JSON", async () => {
    const r = await post("/applications/api_person", JSON.stringify({ name: "John", age: 30 }), {
      "content-type": "application/json",
    });
    assert.equal(r.status, 200);
    await waitDone("api_person", r.json.request_id);
    const out = await fetch(`${base()}/applications/api_person/requests/${r.json.request_id}/output`);
    assert.equal(out.headers.get("content-type"), "application/json");
    assert.deepEqual(await out.json(), { greeting: "hello John, 30" });
  });

  test("Idempotency-Key: same input → same request; another input → 422 idempotency_key_reused, nothing stored", async () => {
    const json = { "content-type": "application/json" };
    const first = await post("/applications/api_echo", JSON.stringify({ n: 1 }), {
      ...json,
      "idempotency-key": "idem-http-1",
    });
    assert.equal(first.status, 200);
    const again = await post("/applications/api_echo", JSON.stringify({ n: 1 }), {
      ...json,
      "idempotency-key": "idem-http-1",
    });
    assert.equal(again.json.request_id, first.json.request_id);
    const reused = await post("/applications/api_echo", JSON.stringify({ n: 2 }), {
      ...json,
      "idempotency-key": "idem-http-1",
    });
    assert.equal(reused.status, 422);
    assert.equal(reused.json.error.code, "idempotency_key_reused");
    assert.match(reused.json.error.message, /idem-http-1/);
    // A streamed File input is hashed as it arrives: the same bytes are the same input, others are not.
    const file = (b: number[]) =>
      post("/applications/api_echo", new Uint8Array(b), {
        "content-type": "application/octet-stream",
        "idempotency-key": "idem-http-file",
      });
    const f1 = await file([1, 2, 3]);
    assert.equal(f1.status, 200);
    assert.equal((await file([1, 2, 3])).json.request_id, f1.json.request_id);
    assert.equal((await file([1, 2, 4])).status, 422);
    const ids = ((await requestsOf("api_echo")) as { id: string }[]).map((r) => r.id).sort();
    assert.deepEqual(ids, [first.json.request_id, f1.json.request_id].sort());
    await waitDone("api_echo", first.json.request_id);
    await waitDone("api_echo", f1.json.request_id);
  });

  test("oversized body → 413", async () => {
    const r = await post("/applications/api_echo", JSON.stringify("x".repeat(100 * 1024)), {
      "content-type": "application/json",
    });
    assert.equal(r.status, 413);
    assert.equal(r.json.error.code, "payload_too_large");
  });

  test("a non-JSON content type for an application with an input schema → 415", async () => {
    const r = await post("/applications/api_person", "John", { "content-type": "text/plain" });
    assert.equal(r.status, 415);
    assert.equal(r.json.error.details.path, "content-type");
  });

  test("hostile names and path tricks → 4xx, never a file path", async () => {
    for (const path of ["/applications/bad-name!", "/applications/..%2F..%2Fetc%2Fpasswd", "/applications/%00"]) {
      const r = await post(path, "1", { "content-type": "application/json" });
      assert.ok(r.status === 400 || r.status === 404, `${path} → ${r.status}`);
    }
    const ns = await fetch(`${c.server.url}/v1/namespaces/..%2Fx/applications`);
    assert.equal(ns.status, 400);
    const key = await post("/applications/api_echo", "1", {
      "content-type": "application/json",
      "idempotency-key": "x".repeat(300),
    });
    assert.equal(key.status, 400);
    assert.equal(key.json.error.details.path, "Idempotency-Key");
  });

  test("a garbage deploy → 400 naming the field; an unknown secret → 400 naming it", async () => {
    const r = await post(
      "/applications",
      JSON.stringify({ manifest: { functions: [], applications: [], classes: [] }, bundle: "eA==" }),
      { "content-type": "application/json" },
    );
    assert.equal(r.status, 400);
    assert.match(r.json.error.message, /no application/);
    const fnSpec = {
      name: "f",
      description: "",
      cpu: 1,
      memory: 1,
      ephemeralDisk: 2,
      gpu: null,
      timeout: 300,
      image: null,
      secrets: ["NOPE_SECRET"],
      retries: null,
      region: null,
      warmContainers: 0,
      minContainers: 0,
      maxContainers: null,
    };
    const app = {
      name: "f",
      spec: { tags: {}, retries: null, region: null, inputDeserializer: "json", outputSerializer: "json" },
      description: "",
      hasInputSchema: false,
      hasOutputSchema: false,
    };
    const s = await post(
      "/applications",
      JSON.stringify({ manifest: { functions: [fnSpec], applications: [app], classes: [] }, bundle: "eA==" }),
      { "content-type": "application/json" },
    );
    assert.equal(s.status, 400);
    assert.equal(s.json.error.details.secret, "NOPE_SECRET");
    const list = (await (await fetch(`${base()}/applications`)).json()) as { applications: { name: string }[] };
    assert.ok(!list.applications.some((a) => a.name === "f"), "nothing deployed half-way");
  });

  test("a state value over the limit fails the function with a clear message", async () => {
    const r = await post("/applications/api_big_state", JSON.stringify(2 * 1024 * 1024), {
      "content-type": "application/json",
    });
    const done = await waitDone("api_big_state", r.json.request_id);
    assert.equal(done.status, "failed");
    assert.match(done.error.message, /more than the limit/);
  });

  test("the server keeps serving", async () => {
    assert.equal((await fetch(`${c.server.url}/healthz`)).status, 200);
  });
});

describe("requests", () => {
  test("a failed attempt's logs end with its error: name, message and the user's frames", async () => {
    const r = await post("/applications/api_throws", null);
    await waitDone("api_throws", r.json.request_id);
    let lines: { stream: string; line: string }[] = [];
    for (let i = 0; i < 200 && !lines.some((l) => l.line.includes("boom")); i++) {
      const res = await fetch(`${base()}/applications/api_throws/requests/${r.json.request_id}/logs`);
      lines = ((await res.json()) as { logs: { stream: string; line: string }[] }).logs;
      await new Promise((res) => setTimeout(res, 25));
    }
    const err = lines.filter((l) => l.stream === "stderr").map((l) => l.line);
    assert.equal(err[0], "about to fail", "the function's own output comes first");
    const at = err.indexOf("TypeError: boom from api_throws");
    assert.ok(at > 0, err.join("\n"));
    const frames = err.slice(at + 1);
    assert.ok(frames.length > 0 && frames.every((f) => /^\s+at /.test(f)), frames.join("\n"));
    assert.match(frames[0]!, /api_throws .*apps\.ts/, "the user's frame, in the user's file");
    assert.ok(!frames.some((f) => /container\/main|executor|node:internal/.test(f)), "no Tributary or Node frames");
  });

  test("output of an unfinished request → 409; cancel → cancelled; cancel again → 409", async () => {
    const r = await post("/applications/api_slow", JSON.stringify(5000), { "content-type": "application/json" });
    const out = await fetch(`${base()}/applications/api_slow/requests/${r.json.request_id}/output`);
    assert.equal(out.status, 409);
    const cancel = await post(`/applications/api_slow/requests/${r.json.request_id}/cancel`, null);
    assert.equal(cancel.status, 200);
    const done = await waitDone("api_slow", r.json.request_id);
    assert.equal(done.status, "cancelled");
    assert.deepEqual(done.outcome, { failure: "cancelled" });
    assert.equal((await post(`/applications/api_slow/requests/${r.json.request_id}/cancel`, null)).status, 409);
  });

  test("a late subscriber gets the whole history then RequestFinished; Last-Event-ID resumes", async () => {
    const r = await post("/applications/api_echo", JSON.stringify({ a: 1 }), { "content-type": "application/json" });
    await waitDone("api_echo", r.json.request_id);
    const url = `${base()}/applications/api_echo/requests/${r.json.request_id}/progress`;
    const read = async (query: string, headers: Record<string, string>) => {
      const res = await fetch(url + query, { headers });
      const text = await res.text();
      return text
        .split("\n\n")
        .filter((b) => b.includes("id:"))
        .map((b) => ({ id: Number(/id: (\d+)/.exec(b)![1]), event: /event: (.+)/.exec(b)![1]! }));
    };
    // Every event: ids are the store's seqs, gap-free.
    const all = await read("?events=all", {});
    assert.deepEqual(
      all.map((e) => e.id),
      all.map((_, i) => i + 1),
    );
    assert.equal(all.at(-1)!.event, "RequestFinished");
    assert.equal(all.filter((e) => e.event === "progress").length, 3);
    const resumed = await read("?events=all", { "last-event-id": String(all[2]!.id) });
    assert.deepEqual(
      resumed.map((e) => e.id),
      all.slice(3).map((e) => e.id),
    );
    // The default set: the same ids, only the progress updates and the outcome.
    const def = await read("", {});
    assert.deepEqual(
      def,
      all.filter((e) => e.event === "progress" || e.event === "RequestFinished"),
    );
    const defResumed = await read("", { "last-event-id": String(def[0]!.id) });
    assert.deepEqual(defResumed, def.slice(1));
  });

  test("requests list: cursor pagination without gaps or duplicates, filter by status", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(
        (await post("/applications/api_slow", JSON.stringify(1), { "content-type": "application/json" })).json
          .request_id,
      );
    for (const id of ids) await waitDone("api_slow", id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await (
        await fetch(
          `${base()}/applications/api_slow/requests?limit=2&status=succeeded${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        )
      ).json();
      seen.push(...res.requests.map((x: any) => x.id));
      cursor = res.next_cursor;
    } while (cursor);
    for (const id of ids) assert.ok(seen.includes(id));
    assert.equal(new Set(seen).size, seen.length);
    const bad = await fetch(`${base()}/applications/api_slow/requests?status=bogus`);
    assert.equal(bad.status, 400);

    // Search by id prefix and filter by creation time (ms; after inclusive, before exclusive).
    const list = async (q: string): Promise<any> =>
      (await fetch(`${base()}/applications/api_slow/requests?${q}`)).json();
    const one: any = await list(`id_prefix=${ids[2]}`);
    assert.deepEqual(
      one.requests.map((x: any) => x.id),
      [ids[2]],
    );
    const created = one.requests[0].created_at as number;
    const window: any = await list(`created_after=${created}&created_before=${created + 1}&limit=1000`);
    assert.ok(window.requests.some((x: any) => x.id === ids[2]));
    assert.ok(window.requests.every((x: any) => x.created_at === created));
    assert.deepEqual((await list(`id_prefix=${ids[2]}&created_before=${created}`)).requests, []);
    for (const [q, field] of [
      ["id_prefix=a%25", "id_prefix"],
      ["id_prefix=", "id_prefix"],
      ["created_after=yesterday", "created_after"],
      ["created_before=-1", "created_before"],
      ["created_before=1.5", "created_before"],
      ["limit=0", "limit"],
      ["limit=", "limit"],
      ["limit=1001", "limit"],
    ] as const) {
      const res = await fetch(`${base()}/applications/api_slow/requests?${q}`);
      assert.equal(res.status, 400, q);
      const body: any = await res.json();
      assert.equal(body.error.details.path, field, q);
      assert.match(body.error.message, new RegExp(field), q);
    }
  });

  test("secrets: values are never returned", async () => {
    const put = await fetch(`${base()}/secrets/API_TOKEN`, {
      method: "PUT",
      body: JSON.stringify({ value: "s3cr3t-value" }),
      headers: { "content-type": "application/json" },
    });
    assert.equal(put.status, 200);
    const list = await (await fetch(`${base()}/secrets`)).text();
    assert.match(list, /API_TOKEN/);
    assert.doesNotMatch(list, /s3cr3t-value/);
    assert.equal((await fetch(`${base()}/secrets/API_TOKEN`, { method: "DELETE" })).status, 200);
    assert.equal((await fetch(`${base()}/secrets/API_TOKEN`, { method: "DELETE" })).status, 404);
  });
});
