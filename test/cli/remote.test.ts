/** The client commands against a fake server: what they send, print and exit with. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { FINISHED_EVENT } from "../../src/core/api.js";
import { sendJson, sseFrame, startFakeServer, type FakeServer } from "../client/fake-server.js";
import { runCli } from "./run-cli.js";

const T = { timeout: 30_000 };
const BASE = "/v1/namespaces/default/applications";

const detail = {
  id: "r-ok",
  application: "greet",
  version: 3,
  status: "failed",
  outcome: { failure: "function_error" },
  failure_reason: "function_error",
  created_at: 1_000,
  finished_at: 3_500,
  function_calls: [
    {
      id: "c1",
      parent_id: null,
      function_name: "greet",
      status: "failed",
      failure_reason: "function_error",
      attempts_used: 1,
      created_at: 1_000,
      finished_at: 3_500,
      attempts: [],
    },
    {
      id: "c2",
      parent_id: "c1",
      function_name: "string_length",
      status: "failed",
      failure_reason: "function_error",
      attempts_used: 3,
      created_at: 1_100,
      finished_at: 3_400,
      error: { name: "Error", message: "boom", retryable: true },
      // Four attempts, three counted: one was retried after its executor was lost.
      attempts: ["internal_error", "function_error", "function_error", "function_error"].map((reason, i) => ({
        id: `a${i + 1}`,
        number: i + 1,
        status: "failed",
        failure_reason: reason,
        executor_id: "ex-1",
        container_id: null,
        started_at: 1_100,
        finished_at: 1_200,
      })),
    },
  ],
  progress: null,
  usage: {
    wall_seconds: 2.25,
    cpu_seconds: 1.5,
    peak_memory_bytes: 52 * 2 ** 20,
    memory_gb_seconds: 4.5,
    attempts: 4,
    containers_started: 1,
  },
};

async function fake(): Promise<FakeServer> {
  return startFakeServer((req, res) => {
    const path = req.path.split("?")[0]!;
    if (path === `${BASE}` && req.method === "GET")
      return sendJson(res, 200, {
        applications: [
          {
            name: "greet",
            version: 3,
            description: "",
            tags: {},
            created_at: 0,
            functions: ["greet", "string_length"],
          },
        ],
      });
    if (path === `${BASE}/nope`)
      return sendJson(res, 404, { error: { code: "not_found", message: "application 'nope' not found" } });
    if (path === `${BASE}/greet` && req.method === "POST") {
      const input = req.body.toString();
      return sendJson(res, 200, { request_id: input === '"fail"' ? "r-fail" : input === '"big"' ? "r-big" : "r-ok" });
    }
    if (path === `${BASE}/greet/requests`)
      return sendJson(res, 200, {
        requests: [
          {
            id: "r-ok",
            application: "greet",
            version: 3,
            status: "succeeded",
            outcome: "success",
            failure_reason: null,
            created_at: 1_700_000_000_000,
            finished_at: 1_700_000_001_500,
          },
        ],
        next_cursor: null,
      });
    const m = /^\/v1\/namespaces\/default\/applications\/greet\/requests\/([^/]+)(?:\/(\w+))?$/.exec(path);
    if (m && m[2] === "progress") {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(
        sseFrame(1, "attempt:started", {
          seq: 1,
          kind: "attempt:started",
          at: 1,
          callId: "c1",
          functionName: "greet",
          attempt: 1,
        }),
      );
      res.write(
        sseFrame(2, "progress", {
          seq: 2,
          kind: "progress",
          at: 2,
          callId: "c1",
          functionName: "greet",
          data: { current: 1, total: 2, message: "half" },
        }),
      );
      // RequestFinished data (DESIGN §4): r-ok inlines its output, r-big's is "too large" for it.
      const finished =
        m[1] === "r-fail"
          ? {
              request_id: m[1],
              status: "failed",
              outcome: { failure: "function_error" },
              failure_reason: "function_error",
              error: { name: "Error", message: "boom", retryable: true },
              at: 3,
            }
          : m[1] === "r-big"
            ? { request_id: m[1], status: "succeeded", outcome: "success", failure_reason: null, at: 3 }
            : {
                request_id: m[1],
                status: "succeeded",
                outcome: "success",
                failure_reason: null,
                output: { content_type: "application/json", body: { greeting: "inline from greet!" } },
                at: 3,
              };
      return res.end(sseFrame(3, FINISHED_EVENT, finished));
    }
    if (m && m[2] === "output") {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify({ greeting: "hi from greet!" }));
    }
    if (m && m[2] === undefined) return sendJson(res, 200, detail);
    if (path === "/v1/namespaces/default/secrets/API_TOKEN" && req.method === "PUT") return sendJson(res, 200, {});
    sendJson(res, 404, { error: { code: "not_found", message: `no route ${req.method} ${path}` } });
  });
}

test(
  "run follows the stream and prints the output (inlined in RequestFinished, or read from …/output), exits 0",
  T,
  async () => {
    const server = await fake();
    const env = { TRIBUTARY_SERVER: server.url, TRIBUTARY_API_KEY: "k" };
    try {
      const ok = await runCli(["run", "greet", '"hi"'], { env });
      assert.equal(ok.code, 0, ok.stderr);
      // The output inlined in RequestFinished, with no GET …/output.
      assert.deepEqual(JSON.parse(ok.stdout), { greeting: "inline from greet!" });
      assert.equal(server.requests[0]!.headers.authorization, "Bearer k");
      assert.equal(server.requests[0]!.headers["content-type"], "application/json");
      // The progress view asks for the lifecycle events too.
      assert.deepEqual(
        server.requests.map((r) => r.path.replace(/r-\w+/, "ID")),
        [`${BASE}/greet`, `${BASE}/greet/requests/ID/progress?events=all`],
      );

      const json = await runCli(["run", "greet", '"hi"', "--json"], { env });
      assert.equal(json.code, 0, json.stderr);
      assert.deepEqual(JSON.parse(json.stdout), {
        request_id: "r-ok",
        status: "succeeded",
        outcome: "success",
        failure_reason: null,
        content_type: "application/json",
        output: { greeting: "inline from greet!" },
      });
      assert.equal(server.requests.at(-1)!.path, `${BASE}/greet/requests/r-ok/progress`);

      // An output not inlined is read from …/output.
      const big = await runCli(["run", "greet", '"big"', "--json"], { env });
      assert.equal(big.code, 0, big.stderr);
      assert.deepEqual(JSON.parse(big.stdout).output, { greeting: "hi from greet!" });
      assert.equal(server.requests.at(-1)!.path, `${BASE}/greet/requests/r-big/output`);
    } finally {
      await server.close();
    }
  },
);

test("run: a failure exits 1 with the reason; --no-follow prints the id", T, async () => {
  const server = await fake();
  const env = { TRIBUTARY_SERVER: server.url, TRIBUTARY_API_KEY: "k" };
  try {
    const bad = await runCli(["run", "greet", '"fail"'], { env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /error: request r-fail failed: function_error: boom/);

    const badJson = await runCli(["run", "greet", '"fail"', "--json"], { env });
    assert.equal(badJson.code, 1);
    assert.equal(JSON.parse(badJson.stdout).failure_reason, "function_error");

    const noFollow = await runCli(["run", "greet", "--no-follow"], { env });
    assert.equal(noFollow.code, 0);
    assert.equal(noFollow.stdout, "r-ok\n");
    assert.equal(server.requests.at(-1)!.body.length, 0);
  } finally {
    await server.close();
  }
});

test("apps, requests and secrets talk to the right routes", T, async () => {
  const server = await fake();
  const env = { TRIBUTARY_SERVER: server.url };
  try {
    const apps = await runCli(["apps", "list"], { env });
    assert.equal(apps.code, 0, apps.stderr);
    assert.match(apps.stdout, /^NAME\s+VERSION\s+DEPLOYED\s+FUNCTIONS\ngreet\s+3\s+\S+ \S+\s+2\n$/);
    const appsJson = await runCli(["apps", "list", "--json"], { env });
    assert.equal(JSON.parse(appsJson.stdout)[0].name, "greet");

    // The list's filters become the route's query parameters (times as epoch ms).
    const list = await runCli(
      [
        "requests",
        "list",
        "greet",
        "--id-prefix",
        "r-o",
        "--created-after",
        "2023-11-14T22:13:20Z",
        "--created-before",
        "1700000002000",
        "--status",
        "succeeded",
      ],
      { env },
    );
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^ID\s+STATUS.*\nr-ok\s+succeeded\s/);
    const q = new URL(server.requests.at(-1)!.path, "http://x").searchParams;
    assert.deepEqual(Object.fromEntries(q), {
      status: "succeeded",
      id_prefix: "r-o",
      created_after: "1700000000000",
      created_before: "1700000002000",
    });

    const show = await runCli(["requests", "show", "greet", "r-ok"], { env });
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /status:\s+failed/);
    assert.match(show.stdout, /failure reason:\s+function_error/);
    assert.match(
      show.stdout,
      /\n {2}greet {2}failed \(function_error\) {2}attempts: 1 {2}2\.5s\n {4}string_length {2}failed \(function_error\) {2}attempts: 3 \(\+1 after an infrastructure fault, not counted\) {2}2\.3s\n/,
    );
    assert.match(show.stdout, /error: boom/);
    assert.match(
      show.stdout,
      /\nusage: {10}cpu 1\.50 s, wall 2\.25 s, peak memory 52\.0 MB, 4\.50 GB-s \(4 attempts, 1 container started\)\n/,
    );

    const secret = await runCli(["secrets", "set", "API_TOKEN", "--from-env", "MY_TOKEN"], {
      env: { ...env, MY_TOKEN: "t0ken" },
    });
    assert.equal(secret.code, 0, secret.stderr);
    assert.doesNotMatch(secret.stdout + secret.stderr, /t0ken/);
    assert.deepEqual(JSON.parse(server.requests.at(-1)!.body.toString()), { value: "t0ken" });
    const piped = await runCli(["secrets", "set", "API_TOKEN"], { env, stdin: "from-stdin\n" });
    assert.equal(piped.code, 0, piped.stderr);
    assert.deepEqual(JSON.parse(server.requests.at(-1)!.body.toString()), { value: "from-stdin" });

    const missing = await runCli(["apps", "rm", "nope"], { env });
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, "error: application 'nope' not found (not_found, HTTP 404)\n");
  } finally {
    await server.close();
  }
});
