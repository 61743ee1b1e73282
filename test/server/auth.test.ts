// Auth against a real server on loopback (DESIGN.md §4 "Auth."): 401 for missing or invalid
// credentials, 403 for valid ones without access, keys created, listed and revoked by admins,
// stored only as digests, public applications invocable without a key.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { startCluster, sourceOf, type Cluster } from "../helpers/cluster.js";
import { TributaryClient } from "../../src/client/index.js";
import { deploy } from "../../src/client/deploy.js";

const ADMIN = "admin-key-0123456789";
const EXEC = "executor-token-abcdef";
let c: Cluster;

async function call(
  path: string,
  key: string | null,
  init: RequestInit = {},
): Promise<{ status: number; text: string; res: Response }> {
  const headers = new Headers(init.headers);
  if (key !== null) headers.set("authorization", `Bearer ${key}`);
  const res = await fetch(c.server.url + path, { ...init, headers });
  return { status: res.status, text: await res.text(), res };
}

async function createKey(
  body: unknown,
  key = ADMIN,
): Promise<{ id: string; key: string; name: string; namespaces: string[] | null }> {
  const r = await call("/v1/keys", key, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });
  assert.equal(r.status, 201, r.text);
  return JSON.parse(r.text);
}

before(async () => {
  c = await startCluster({
    server: { apiKeys: [ADMIN, "second-admin"], executorToken: EXEC },
    executor: { token: EXEC },
  });
  await deploy(
    sourceOf(import.meta.url, "./auth-apps.ts"),
    new TributaryClient({ server: c.server.url, apiKey: ADMIN }),
  );
});
after(async () => c?.stop());

describe("401: missing or invalid credentials", () => {
  const routes = [
    "/v1/namespaces/default/applications",
    "/applications",
    "/applications/auth_private/requests",
    "/v1/namespaces/default/secrets",
    "/metrics",
    "/v1/keys",
  ];

  test("no key → 401 with WWW-Authenticate on every data route", async () => {
    for (const p of routes) {
      const r = await call(p, null);
      assert.equal(r.status, 401, p);
      assert.equal(JSON.parse(r.text).error.code, "unauthorized");
      assert.match(r.res.headers.get("www-authenticate") ?? "", /^Bearer/);
    }
  });

  test("wrong, truncated, extended, differently-cased and empty keys → 401, and the key is never echoed", async () => {
    for (const bad of [
      "nope",
      ADMIN.slice(0, -1),
      ADMIN + "x",
      ADMIN.toUpperCase(),
      " ",
      EXEC + "x",
      "x".repeat(10_000),
    ]) {
      for (const p of routes) {
        const r = await call(p, null, { headers: { authorization: `Bearer ${bad}` } });
        assert.equal(r.status, 401, `${p} with ${bad.slice(0, 20)}`);
        if (bad.trim()) assert.ok(!r.text.includes(bad.trim()), "the presented key is not echoed");
      }
    }
    assert.equal(
      (await call(routes[0]!, null, { headers: { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` } }))
        .status,
      401,
    );
  });

  test("open routes stay open: /healthz and the dashboard shell", async () => {
    assert.equal((await call("/healthz", null)).status, 200);
    assert.equal((await call("/ui", null)).status, 200);
  });
});

describe("403: valid credentials without access", () => {
  test("a key limited to a namespace cannot use another one, nor routes spanning them all", async () => {
    const k = await createKey({ name: "team a", namespaces: ["team-a"] });
    assert.deepEqual(k.namespaces, ["team-a"]);
    assert.equal((await call("/v1/namespaces/team-a/applications", k.key)).status, 200);
    assert.equal((await call("/v1/namespaces/team-a/secrets", k.key)).status, 200);
    for (const p of [
      "/v1/namespaces/default/applications",
      "/applications",
      "/applications/auth_private/requests",
      "/v1/namespaces/team-b/secrets",
      "/metrics",
    ]) {
      const r = await call(p, k.key);
      assert.equal(r.status, 403, p);
      assert.equal(JSON.parse(r.text).error.code, "forbidden");
    }
    const inv = await call("/applications/auth_private", k.key, {
      method: "POST",
      body: "1",
      headers: { "content-type": "application/json" },
    });
    assert.equal(inv.status, 403);
  });

  test("the executor token cannot call user routes", async () => {
    for (const p of [
      "/v1/namespaces/default/applications",
      "/applications/auth_private/requests",
      "/metrics",
      "/v1/keys",
    ]) {
      const r = await call(p, EXEC);
      assert.equal(r.status, 403, p);
    }
    const inv = await call("/applications/auth_private", EXEC, {
      method: "POST",
      body: "1",
      headers: { "content-type": "application/json" },
    });
    assert.equal(inv.status, 403);
  });

  test("user keys cannot serve as executors; the executor token can", async () => {
    const k = await createKey({ name: "all namespaces" });
    assert.equal((await call("/v1/internal/bundles/bundles%2Fa%2Fb", null)).status, 401);
    assert.equal((await call("/v1/internal/bundles/bundles%2Fa%2Fb", k.key)).status, 403);
    assert.equal(
      (await call("/v1/internal/bundles/bundles%2Fa%2Fb", ADMIN)).status,
      403,
      "with an executor token set, only it serves executors",
    );
    assert.equal((await call("/v1/internal/bundles/bundles%2Fa%2Fb", EXEC)).status, 404);
    // A 401 is generic (it does not reveal whether the server has an executor token); a 403, to a
    // caller holding a valid key, says what it expects and where the executor reads its token from.
    const message = async (key: string | null) =>
      (JSON.parse((await call("/v1/internal/bundles/bundles%2Fa%2Fb", key)).text) as { error: { message: string } })
        .error.message;
    const expected = "the server's executor token (its --executor-token or TRIBUTARY_EXECUTOR_TOKEN)";
    const fix = "start the executor with that value in --token or TRIBUTARY_EXECUTOR_TOKEN";
    assert.equal(await message(null), "missing 'Authorization: Bearer <executor token>'");
    assert.equal(await message("not-a-token"), "the executor token is not valid");
    assert.equal(
      await message(ADMIN),
      `this server rejected the executor token: it is an admin key, not ${expected}; ${fix}`,
    );
    assert.equal(
      await message(k.key),
      `this server rejected the executor token: it is an API key created through /v1/keys, not ${expected}; ${fix}`,
    );
    // Large inputs travel by reference on the same terms; only `inputs/…` keys are served.
    assert.equal((await call("/v1/internal/blobs/inputs%2Fdefault%2Fnone", null)).status, 401);
    assert.equal((await call("/v1/internal/blobs/inputs%2Fdefault%2Fnone", k.key)).status, 403);
    assert.equal((await call("/v1/internal/blobs/inputs%2Fdefault%2Fnone", EXEC)).status, 404);
    assert.equal((await call("/v1/internal/blobs/bundles%2Fa%2Fb", EXEC)).status, 400);
    assert.equal((await call("/v1/internal/blobs/inputs%2F..%2Fsecrets", EXEC)).status, 400);
  });
});

describe("keys", () => {
  test("admins create, list (no secrets) and revoke keys; a revoked key gets 401", async () => {
    const k = await createKey({ name: "ci deploys" });
    assert.match(k.key, /^trb_[A-Za-z0-9_-]{43}$/);
    assert.match(k.id, /^key_[0-9a-f]{16}$/);
    assert.equal((await call("/applications", k.key)).status, 200);

    const list = await call("/v1/keys", ADMIN);
    assert.equal(list.status, 200);
    const listed = JSON.parse(list.text).keys as { id: string; name: string }[];
    assert.ok(listed.some((x) => x.id === k.id && x.name === "ci deploys"));
    assert.ok(!list.text.includes(k.key), "the list never shows a key");
    assert.ok(!list.text.includes(createHash("sha256").update(k.key).digest("hex")), "nor its digest");
    for (const x of listed) assert.deepEqual(Object.keys(x).sort(), ["created_at", "id", "name", "namespaces"]);

    assert.equal((await call(`/v1/keys/${k.id}`, ADMIN, { method: "DELETE" })).status, 200);
    assert.equal((await call(`/v1/keys/${k.id}`, ADMIN, { method: "DELETE" })).status, 404);
    assert.equal((await call("/applications", k.key)).status, 401, "a revoked key is an invalid key");
  });

  test("only admin keys manage keys; bad bodies get 400 naming the field", async () => {
    const k = await createKey({ name: "not an admin" });
    assert.equal((await call("/v1/keys", k.key)).status, 403);
    assert.equal((await call("/v1/keys", k.key, { method: "POST", body: '{"name":"x"}' })).status, 403);
    assert.equal((await call(`/v1/keys/${k.id}`, k.key, { method: "DELETE" })).status, 403);
    assert.equal((await call("/v1/keys", "second-admin")).status, 200, "every bootstrap key is an admin");
    for (const [body, path] of [
      ["{", "$"],
      ["{}", "$.name"],
      ['{"name":""}', "$.name"],
      [JSON.stringify({ name: "x".repeat(129) }), "$.name"],
      [JSON.stringify({ name: "a", namespaces: ["../etc"] }), "$.namespaces[0]"],
      [JSON.stringify({ name: "a", namespaces: [] }), "$.namespaces"],
      [JSON.stringify({ name: "a", namespaces: "default" }), "$.namespaces"],
    ] as const) {
      const r = await call("/v1/keys", ADMIN, { method: "POST", body });
      assert.equal(r.status, 400, body);
      assert.equal(JSON.parse(r.text).error.details.path, path, body);
    }
    assert.equal((await call("/v1/keys/..%2Fx", ADMIN, { method: "DELETE" })).status, 400);
  });

  test("keys are stored as digests: the database files never contain a key", async () => {
    const k = await createKey({ name: "grep me" });
    const files = ["db.sqlite", "db.sqlite-wal"].map((f) => join(c.dir, f)).filter(existsSync);
    const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
    assert.ok(bytes.includes(Buffer.from(createHash("sha256").update(k.key).digest("hex"))), "the digest is stored");
    assert.ok(!bytes.includes(Buffer.from(k.key)), "the key is not");
    assert.ok(!bytes.includes(Buffer.from(k.key.slice(4, 24))), "nor any recognisable part of it");
    assert.ok(!bytes.includes(Buffer.from(ADMIN)), "bootstrap keys are never stored");
  });
});

describe("public applications", () => {
  test("invoking a public application needs no key; reading its requests does", async () => {
    const r = await call("/applications/auth_public?wait=30", null, {
      method: "POST",
      body: '"hi"',
      headers: { "content-type": "application/json" },
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(JSON.parse(r.text), { got: "hi" });
    const id = r.res.headers.get("x-tributary-request-id")!;
    for (const p of ["", "/output", "/progress", "/state", "/metrics", "/logs"]) {
      assert.equal((await call(`/applications/auth_public/requests/${id}${p}`, null)).status, 401, p);
    }
    assert.equal((await call("/applications/auth_public/requests", null)).status, 401);
    assert.equal(
      (await call("/applications/auth_public", null)).status,
      401,
      "GET of the application is not an invoke",
    );
    assert.equal((await call(`/applications/auth_public/requests/${id}`, ADMIN)).status, 200);
    // Under the namespaced path too, and with a credential for another namespace.
    const ns = await call("/v1/namespaces/default/applications/auth_public", null, {
      method: "POST",
      body: "1",
      headers: { "content-type": "application/json" },
    });
    assert.equal(ns.status, 200, ns.text);
  });

  test("a private application refuses an anonymous invoke and stores nothing", async () => {
    const before = JSON.parse((await call("/applications/auth_private/requests", ADMIN)).text).requests.length;
    const r = await call("/applications/auth_private", null, {
      method: "POST",
      body: "1",
      headers: { "content-type": "application/json" },
    });
    assert.equal(r.status, 401);
    assert.equal(
      (await call("/applications/nope", null, { method: "POST", body: "1" })).status,
      401,
      "unknown apps look like private ones",
    );
    const afterCount = JSON.parse((await call("/applications/auth_private/requests", ADMIN)).text).requests.length;
    assert.equal(afterCount, before);
  });
});

describe("ctx.headers", () => {
  test("functions read the invoke's headers read-only, without credentials, in every call of the request", async () => {
    const r = await call("/applications/auth_headers?wait=60", ADMIN, {
      method: "POST",
      body: "null",
      headers: {
        "content-type": "application/json",
        "x-tenant": "acme",
        cookie: "session=cookie-secret-1",
        "proxy-authorization": "Basic cHJveHk6c2VjcmV0",
      },
    });
    assert.equal(r.status, 200, r.text);
    const seen = JSON.parse(r.text) as { headers: [string, string][]; refused: string[]; child: string; again: string };
    const names = seen.headers.map(([k]) => k);
    assert.ok(seen.headers.some(([k, v]) => k === "x-tenant" && v === "acme"));
    assert.ok(names.includes("content-type"));
    for (const n of ["authorization", "cookie", "proxy-authorization"]) assert.ok(!names.includes(n), n);
    assert.deepEqual(seen.refused, ["SDKUsageError", "SDKUsageError", "SDKUsageError"]);
    assert.equal(seen.again, "acme", "a refused mutation changed nothing");
    assert.equal(seen.child, "acme", "a child call of the request sees the same headers");
    const files = ["db.sqlite", "db.sqlite-wal"].map((f) => join(c.dir, f)).filter(existsSync);
    const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
    assert.ok(bytes.includes(Buffer.from("acme")), "the headers are stored with the request");
    assert.ok(
      !bytes.includes(Buffer.from("cookie-secret-1")) && !bytes.includes(Buffer.from(ADMIN)),
      "credentials are never stored",
    );
  });

  test("headers too large to keep are 431 and nothing is stored", async () => {
    const r = await call("/applications/auth_headers", ADMIN, {
      method: "POST",
      body: "null",
      headers: {
        "content-type": "application/json",
        "x-a": "a".repeat(4_000),
        "x-b": "b".repeat(4_000),
        "x-c": "c".repeat(1_000),
      },
    });
    assert.equal(r.status, 431, r.text);
    assert.equal(JSON.parse(r.text).error.code, "headers_too_large");
    const list = JSON.parse((await call("/applications/auth_headers/requests", ADMIN)).text).requests as unknown[];
    assert.equal(list.length, 1, "only the earlier, accepted invoke is stored");
  });
});
