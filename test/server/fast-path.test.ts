// The invoke fast path (src/server/fast-invoke.ts, issue 15) answers exactly as the Hono route:
// every request below is sent over the socket (the fast path, or Hono where it hands over) and
// in-process through `app.request()` (Hono alone), and both answers must match: status, the headers
// that carry meaning, and the body (request ids aside). Also: SSE ends with RequestFinished and
// closes, a client leaving a stream early leaves the server serving, a short wait answers 202.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startCluster, sourceOf, type Cluster } from "../helpers/cluster.js";
import { TributaryClient } from "../../src/client/index.js";
import { deploy } from "../../src/client/deploy.js";

const ADMIN = "fast-admin-key-0123456789";
const EXEC = "fast-executor-token";
let c: Cluster;
let limitedKey = "";

interface Answer {
  status: number;
  headers: Record<string, string | null>;
  body: string;
}

/** Headers whose presence and value the two paths must agree on. */
const COMPARED = ["content-type", "www-authenticate", "cache-control", "x-accel-buffering"];

async function collect(res: Response): Promise<Answer> {
  const headers: Record<string, string | null> = {};
  for (const h of COMPARED) headers[h] = res.headers.get(h);
  headers["x-tributary-request-id"] = res.headers.get("x-tributary-request-id") === null ? null : "<id>";
  return { status: res.status, headers, body: await res.text() };
}

/** Request ids, event times, ids, stacks and timings differ between two runs; the shapes must not. */
function normalise(a: Answer): Answer {
  const body = a.body
    .replace(/[0-9a-f]{8}-[0-9a-f-]{27}|[A-Za-z0-9_-]{20,}(?=")/g, "<id>")
    .replace(/"at":\d+/g, '"at":0')
    // fetch sends headers of its own (user-agent, host, …) that app.request() does not.
    .replace(/headers total \d+ bytes/, "headers total N bytes")
    .replace(/^id: \d+$/gm, "id: n");
  return { ...a, body };
}

interface Case {
  name: string;
  path: string;
  body?: string | null;
  headers?: Record<string, string>;
  key?: string | null;
}

async function viaSocket(k: Case): Promise<Answer> {
  const headers: Record<string, string> = { ...k.headers };
  if (k.key !== null) headers.authorization = `Bearer ${k.key ?? ADMIN}`;
  return normalise(
    await collect(await fetch(c.server.url + k.path, { method: "POST", body: k.body ?? null, headers })),
  );
}

async function viaHono(k: Case): Promise<Answer> {
  const headers: Record<string, string> = { ...k.headers };
  if (k.key !== null) headers.authorization = `Bearer ${k.key ?? ADMIN}`;
  return normalise(
    await collect(await c.server.app.request(k.path, { method: "POST", body: k.body ?? null, headers })),
  );
}

const JSON_CT = { "content-type": "application/json" };
const SSE = { ...JSON_CT, accept: "text/event-stream" };

const CASES = (): Case[] => [
  { name: "no key → 401", path: "/applications/auth_private", body: "1", headers: JSON_CT, key: null },
  { name: "invalid key → 401", path: "/applications/auth_private", body: "1", headers: JSON_CT, key: "nope" },
  { name: "key of another namespace → 403", path: "/applications/auth_private", body: "1", key: limitedKey },
  { name: "executor token → 403", path: "/applications/auth_private", body: "1", key: EXEC },
  {
    name: "public app, no key",
    path: "/applications/auth_public?wait=30",
    body: '{"a":1}',
    headers: JSON_CT,
    key: null,
  },
  { name: "unknown application → 404", path: "/applications/nope", body: "1", headers: JSON_CT },
  { name: "namespaced unknown → 404", path: "/v1/namespaces/other/applications/nope", body: "1" },
  { name: "hostile namespace → 400", path: "/v1/namespaces/-x/applications/api_echo", body: "1" },
  { name: "malformed JSON → 400", path: "/applications/api_echo", body: "{nope", headers: JSON_CT },
  { name: "schema violation → 400", path: "/applications/api_person", body: '{"name":"J","age":"x"}' },
  { name: "missing input → 400", path: "/applications/api_person", body: null },
  {
    name: "bad Idempotency-Key → 400",
    path: "/applications/api_echo",
    body: "1",
    headers: { "idempotency-key": "a b" },
  },
  { name: "bad events → 400", path: "/applications/api_echo?events=some", body: "1", headers: SSE },
  { name: "bad wait → 400", path: "/applications/api_echo?wait=-1", body: "1", headers: JSON_CT },
  { name: "bad wait (escaped) → 400", path: "/applications/api_echo?wait=%2D1", body: "1", headers: JSON_CT },
  { name: "oversized body → 413", path: "/applications/api_echo", body: JSON.stringify("x".repeat(5000)) },
  {
    name: "a file for a JSON app → 415",
    path: "/applications/api_person",
    body: "x",
    headers: { "content-type": "text/plain" },
  },
  { name: "name too long → 400", path: `/applications/${"a".repeat(40)}`, body: "1" },
  {
    name: "headers too large → 431",
    path: "/applications/api_echo",
    body: "1",
    headers: { "x-big": "y".repeat(9000) },
  },
  { name: "created", path: "/applications/api_echo", body: "1", headers: JSON_CT },
  { name: "created (namespaced, no body)", path: "/v1/namespaces/default/applications/api_echo", body: null },
  { name: "wait → output", path: "/applications/api_person?wait=30", body: '{"name":"J","age":3}' },
  { name: "Prefer: wait → output", path: "/applications/api_echo", body: '"p"', headers: { prefer: "wait=30" } },
  { name: "wait → 500 function_error", path: "/applications/api_throws?wait=30", body: null },
  { name: "wait=0 → 202", path: "/applications/api_slow?wait=0", body: "3000" },
  { name: "SSE", path: "/applications/api_echo", body: '"s"', headers: SSE },
  { name: "SSE, all events", path: "/applications/api_echo?events=all", body: '"s"', headers: SSE },
  { name: "SSE and wait: the answer", path: "/applications/api_echo?wait=30", body: '"w"', headers: SSE },
];

before(async () => {
  c = await startCluster({
    server: { apiKeys: [ADMIN], executorToken: EXEC, maxBodyBytes: 4096, maxNameLength: 32 },
    executor: { token: EXEC },
  });
  const client = new TributaryClient({ server: c.server.url, apiKey: ADMIN });
  await deploy(sourceOf(import.meta.url, "./apps.ts"), client);
  await deploy(sourceOf(import.meta.url, "./auth-apps.ts"), client);
  const res = await fetch(`${c.server.url}/v1/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "limited", namespaces: ["elsewhere"] }),
  });
  limitedKey = ((await res.json()) as { key: string }).key;
});
after(async () => c?.stop());

describe("the fast path answers as the Hono route does", () => {
  for (const k of CASES())
    test(k.name, async () => {
      const [fast, hono] = await Promise.all([viaSocket(k), viaHono(k)]);
      assert.deepEqual(fast, hono);
    });
});

describe("invoke streams and waits over the socket", () => {
  test("SSE: RequestCreated first, progress, RequestFinished with the output last, then the stream closes", async () => {
    const res = await fetch(`${c.server.url}/applications/api_echo`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, ...SSE },
      body: JSON.stringify({ v: 1 }),
    });
    assert.equal(res.status, 200);
    const id = res.headers.get("x-tributary-request-id");
    const text = await res.text(); // resolves only once the server ends the stream
    const events = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    assert.deepEqual(events, ["RequestCreated", "progress", "progress", "progress", "RequestFinished"]);
    assert.ok(text.startsWith(`event: RequestCreated\ndata: {"request_id":"${id}"}\n\n`), text);
    const last = JSON.parse(/event: RequestFinished\ndata: (.*)\n\n$/.exec(text)![1]!) as any;
    assert.equal(last.status, "succeeded");
    assert.deepEqual(last.output.body, { v: 1 });
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    assert.deepEqual(
      [...ids].sort((a, b) => a - b),
      ids,
      "ids ascend",
    );
  });

  test("a client leaving a stream early: the request still finishes and the server keeps serving", async () => {
    const ac = new AbortController();
    const res = await fetch(`${c.server.url}/applications/api_slow`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, ...SSE },
      body: "300",
      signal: ac.signal,
    });
    const id = res.headers.get("x-tributary-request-id")!;
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.match(first, /^event: RequestCreated/);
    ac.abort();
    const done = await fetch(`${c.server.url}/applications/api_echo?wait=30`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, ...JSON_CT },
      body: '"still here"',
    });
    assert.equal(await done.text(), '"still here"');
    let status = "";
    for (let i = 0; i < 200 && status !== "succeeded"; i++) {
      const r = await fetch(`${c.server.url}/applications/api_slow/requests/${id}`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      status = ((await r.json()) as { status: string }).status;
      if (status !== "succeeded") await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(status, "succeeded");
  });

  test("a refused request with an unread body leaves the connection serving the next one", async () => {
    const http = await import("node:http");
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const send = (headers: Record<string, string>, body: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = http.request(
          `${c.server.url}/applications/api_echo`,
          { method: "POST", agent, headers: { ...headers, "content-length": String(Buffer.byteLength(body)) } },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    try {
      assert.equal(await send({ ...JSON_CT }, '"no key"'), 401);
      assert.equal(await send({ ...JSON_CT, authorization: `Bearer ${ADMIN}` }, "1"), 200);
    } finally {
      agent.destroy();
    }
  });
});
