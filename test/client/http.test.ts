import { test } from "node:test";
import assert from "node:assert/strict";
import { ClientError } from "../../src/client/client-error.js";
import { resolveClientOptions } from "../../src/client/config.js";
import { TributaryClient } from "../../src/client/http.js";
import { sendJson, startFakeServer } from "./fake-server.js";

test("non-2xx JSON errors map to ClientError with status, code, message and details", { timeout: 10_000 }, async () => {
  const server = await startFakeServer((_req, res) =>
    sendJson(res, 400, {
      error: { code: "invalid_input", message: "input failed schema validation at $.age", details: { path: "$.age" } },
    }),
  );
  try {
    const client = new TributaryClient({ server: server.url });
    await assert.rejects(
      client.invoke("process_data", { bytes: new TextEncoder().encode("{}"), contentType: "application/json" }),
      (e: unknown) => {
        assert.ok(e instanceof ClientError);
        assert.equal(e.status, 400);
        assert.equal(e.code, "invalid_input");
        assert.equal(e.message, "input failed schema validation at $.age");
        assert.deepEqual(e.details, { path: "$.age" });
        return true;
      },
    );
  } finally {
    await server.close();
  }
});

test("a non-JSON error body still gives a ClientError with the status", { timeout: 10_000 }, async () => {
  const server = await startFakeServer((_req, res) => {
    res.writeHead(502, { "content-type": "text/plain" });
    res.end("bad gateway");
  });
  try {
    await assert.rejects(new TributaryClient({ server: server.url }).listApplications(), (e: unknown) => {
      assert.ok(e instanceof ClientError);
      assert.equal(e.status, 502);
      assert.equal(e.code, "http_502");
      assert.match(e.message, /bad gateway/);
      return true;
    });
  } finally {
    await server.close();
  }
});

test("an unreachable server is a ClientError with status 0", { timeout: 10_000 }, async () => {
  const server = await startFakeServer(() => {});
  const url = server.url;
  await server.close();
  await assert.rejects(new TributaryClient({ server: url }).healthz(), (e: unknown) => {
    assert.ok(e instanceof ClientError);
    assert.equal(e.status, 0);
    assert.equal(e.code, "unreachable");
    assert.ok(e.message.includes(url));
    return true;
  });
});

test("routes, namespace, auth, idempotency key and body handling", { timeout: 10_000 }, async () => {
  const server = await startFakeServer((req, res) => {
    if (req.path.endsWith("/output")) {
      res.writeHead(200, { "content-type": "image/png" });
      res.end(Buffer.from([1, 2, 3]));
    } else if (req.method === "POST" && /applications\/[^/]+$/.test(req.path)) sendJson(res, 200, { request_id: "r1" });
    else if (req.path.includes("/secrets") && req.method === "GET")
      sendJson(res, 200, { secrets: ["A", { name: "B", updated_at: 1 }] });
    else if (req.path.endsWith("/applications")) sendJson(res, 200, [{ name: "x", version: 1 }]);
    else if (req.path.includes("/requests?")) sendJson(res, 200, { requests: [], next_cursor: "c2" });
    else sendJson(res, 200, {});
  });
  try {
    const client = new TributaryClient({ server: server.url + "/", apiKey: "k1", namespace: "team-a" });
    const { request_id } = await client.invoke("my app", {
      bytes: new Uint8Array([9]),
      contentType: "application/pdf",
      idempotencyKey: "idem-1",
    });
    assert.equal(request_id, "r1");
    const inv = server.requests[0]!;
    assert.equal(inv.path, "/v1/namespaces/team-a/applications/my%20app");
    assert.equal(inv.headers.authorization, "Bearer k1");
    assert.equal(inv.headers["idempotency-key"], "idem-1");
    assert.equal(inv.headers["content-type"], "application/pdf");
    assert.deepEqual([...inv.body], [9]);

    await client.invoke("noinput");
    assert.equal(server.requests[1]!.body.length, 0);

    const out = await client.getOutput("a", "r1");
    assert.equal(out.contentType, "image/png");
    assert.deepEqual([...out.bytes], [1, 2, 3]);

    assert.deepEqual(await client.listSecrets(), [{ name: "A" }, { name: "B", updated_at: 1 }]);
    assert.deepEqual(
      (await client.listApplications()).map((a) => a.name),
      ["x"],
    );
    const page = await client.listRequests("a", { status: "failed", cursor: "c1", limit: 5 });
    assert.equal(page.next_cursor, "c2");
    assert.equal(
      server.requests.at(-1)!.path,
      "/v1/namespaces/team-a/applications/a/requests?cursor=c1&status=failed&limit=5",
    );

    await client.putSecret("OPENAI_KEY", "s3cret");
    const put = server.requests.at(-1)!;
    assert.equal(put.method, "PUT");
    assert.equal(put.path, "/v1/namespaces/team-a/secrets/OPENAI_KEY");
    assert.deepEqual(JSON.parse(put.body.toString()), { value: "s3cret" });

    await client.cancelRequest("a", "r1");
    assert.equal(server.requests.at(-1)!.path, "/v1/namespaces/team-a/applications/a/requests/r1/cancel");
    await client.deleteRequest("a", "r1");
    assert.equal(server.requests.at(-1)!.method, "DELETE");
  } finally {
    await server.close();
  }
});

test("options fall back to the environment, then the defaults", () => {
  assert.deepEqual((({ server, apiKey, namespace }) => ({ server, apiKey, namespace }))(resolveClientOptions({}, {})), {
    server: "http://127.0.0.1:8900",
    apiKey: undefined,
    namespace: "default",
  });
  const fromEnv = resolveClientOptions({}, { TRIBUTARY_SERVER: "http://h:1/", TRIBUTARY_API_KEY: "env-key" });
  assert.equal(fromEnv.server, "http://h:1");
  assert.equal(fromEnv.apiKey, "env-key");
  assert.equal(
    resolveClientOptions({ server: "http://o:2", apiKey: "opt" }, { TRIBUTARY_SERVER: "http://h:1" }).apiKey,
    "opt",
  );
  assert.throws(() => resolveClientOptions({ server: "ftp://x" }, {}), /^TypeError: server must be an http\(s\) URL/);
  // A host:port without a scheme parses as a URL with scheme "127.0.0.1:"; the variable is named.
  assert.throws(
    () => resolveClientOptions({}, { TRIBUTARY_SERVER: "127.0.0.1:8900" }),
    /^TypeError: TRIBUTARY_SERVER must be an http\(s\) URL, got '127\.0\.0\.1:8900'$/,
  );
  assert.throws(() => resolveClientOptions({ namespace: "../x" }, {}), /namespace/);
});
