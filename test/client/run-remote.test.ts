import { test } from "node:test";
import assert from "node:assert/strict";
import { FINISHED_EVENT, type RequestFinishedData } from "../../src/core/api.js";
import v8 from "node:v8";
import { inlineOutput } from "../../src/core/inline-output.js";
import { STRUCTURED_CONTENT_TYPE } from "../../src/core/codec.js";
import { isErrorNamed, RequestError, RequestFailedError } from "../../src/core/errors.js";
import { File, isFile } from "../../src/core/file.js";
import type { RequestOutcome } from "../../src/core/request.js";
import { runRemote } from "../../src/client/run-remote.js";
import { sendJson, sseFrame, startFakeServer, type FakeServer } from "./fake-server.js";

interface Scenario {
  outcome: RequestOutcome;
  output?: { bytes: Uint8Array; contentType: string };
  /** Inline the output in RequestFinished (as a server does up to 1 MiB). */
  inline?: boolean;
  requestError?: string;
}

/** RequestFinished data (DESIGN §4) for a scenario. */
function finishedData(s: Scenario): RequestFinishedData {
  const o = s.outcome;
  const data: RequestFinishedData = {
    request_id: "req-1",
    status: o.status,
    outcome: o.outcome,
    failure_reason: o.failureReason,
    at: 3,
  };
  if (o.error) data.error = o.error;
  if (s.requestError) data.request_error = { function_name: "greet", message: s.requestError };
  if (s.inline && s.output) data.output = inlineOutput(s.output.bytes, s.output.contentType)!;
  return data;
}

/** A server implementing invoke, progress, output, request detail and cancel for one app. */
async function fakeApp(scenario: Scenario): Promise<FakeServer & { cancelled: () => boolean }> {
  let cancelled = false;
  const base = "/v1/namespaces/default/applications/greet";
  const server = await startFakeServer((req, res) => {
    if (req.method === "POST" && req.path === base) return sendJson(res, 200, { request_id: "req-1" });
    if (req.path.startsWith(`${base}/requests/req-1/progress`)) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      // The lifecycle event only in the `all` set, as the server does.
      if (req.path.endsWith("?events=all"))
        res.write(sseFrame(1, "request:started", { seq: 1, kind: "request:started", at: 1 }));
      res.write(
        sseFrame(2, "progress", {
          seq: 2,
          kind: "progress",
          at: 2,
          callId: "c",
          functionName: "greet",
          data: { current: 1, total: 2 },
        }),
      );
      res.end(sseFrame(3, FINISHED_EVENT, finishedData(scenario)));
      return;
    }
    if (req.path === `${base}/requests/req-1/output` && scenario.output) {
      res.writeHead(200, { "content-type": scenario.output.contentType });
      res.end(Buffer.from(scenario.output.bytes));
      return;
    }
    if (req.path === `${base}/requests/req-1/cancel`) {
      cancelled = true;
      return sendJson(res, 200, {});
    }
    if (req.path === `${base}/requests/req-1`) {
      return sendJson(res, 200, {
        id: "req-1",
        request_error: scenario.requestError ? { function_name: "greet", message: scenario.requestError } : null,
      });
    }
    sendJson(res, 404, { error: { code: "not_found", message: `no route ${req.path}` } });
  });
  return Object.assign(server, { cancelled: () => cancelled });
}

const SUCCESS: RequestOutcome = { status: "succeeded", outcome: "success", failureReason: null };

test("invokes with JSON input, streams progress, decodes a JSON output", { timeout: 10_000 }, async () => {
  const server = await fakeApp({
    outcome: SUCCESS,
    output: { bytes: new TextEncoder().encode('"hi from greet!"'), contentType: "application/json" },
    inline: true,
  });
  try {
    const req = await runRemote<string>("greet", "hi", { server: server.url, idempotencyKey: "k-1", apiKey: "key" });
    assert.equal(req.id, "req-1");
    const invoke = server.requests[0]!;
    assert.equal(invoke.headers["content-type"], "application/json");
    assert.equal(invoke.body.toString(), '"hi"');
    assert.equal(invoke.headers["idempotency-key"], "k-1");
    assert.equal(invoke.headers.authorization, "Bearer key");
    const kinds: string[] = [];
    for await (const ev of req.progress()) {
      kinds.push(ev.kind);
      if (ev.kind === "progress") assert.equal(ev.fraction, 0.5);
    }
    // Like runLocal, progress() ends with a `request:finished` event built from the outcome.
    assert.deepEqual(kinds, ["progress", "request:finished"]);
    assert.equal(server.requests.at(-1)!.path, "/v1/namespaces/default/applications/greet/requests/req-1/progress");
    const all: string[] = [];
    for await (const ev of req.progress({ events: "all" })) all.push(ev.kind);
    assert.deepEqual(all, ["request:started", "progress", "request:finished"]);
    assert.equal(
      server.requests.at(-1)!.path,
      "/v1/namespaces/default/applications/greet/requests/req-1/progress?events=all",
    );
    assert.throws(() => req.progress({ events: "most" as "all" }), /"default" or "all"/);
    assert.equal(await req.output(), "hi from greet!");
    // The output came inlined in RequestFinished: no second round trip.
    assert.ok(!server.requests.some((r) => r.path.endsWith("/output")), "no GET …/output");
    assert.deepEqual(await req.finished(), { ...SUCCESS, error: null });
  } finally {
    await server.close();
  }
});

test(
  "structured input and output round-trip; a File input goes raw; a binary output is a File",
  { timeout: 10_000 },
  async () => {
    const value = new Map<string, unknown>([
      ["when", new Date(5)],
      ["n", 10n],
    ]);
    const server = await fakeApp({
      outcome: SUCCESS,
      output: { bytes: v8.serialize(value), contentType: STRUCTURED_CONTENT_TYPE },
    });
    try {
      const req = await runRemote("greet", new Set([1, 2]), { server: server.url, serializer: "structured" });
      assert.equal(server.requests[0]!.headers["content-type"], STRUCTURED_CONTENT_TYPE);
      // Not inlined (as a server does past 1 MiB): read from …/output.
      assert.deepEqual(await req.output(), value);
      assert.ok(
        server.requests.some((r) => r.path.endsWith("/requests/req-1/output")),
        "GET …/output",
      );
      await runRemote("greet", new File(new Uint8Array([1, 2, 3]), "image/png"), { server: server.url });
      assert.equal(server.requests.at(-1)!.headers["content-type"], "image/png");
      assert.deepEqual([...server.requests.at(-1)!.body], [1, 2, 3]);
      await runRemote("greet", undefined, { server: server.url });
      assert.equal(server.requests.at(-1)!.body.length, 0);
    } finally {
      await server.close();
    }
    const bin = await fakeApp({
      outcome: SUCCESS,
      output: { bytes: new Uint8Array([7, 0, 255]), contentType: "application/pdf" },
      inline: true,
    });
    try {
      const out = await (await runRemote("greet", 1, { server: bin.url })).output();
      assert.ok(isFile(out));
      assert.equal(out.contentType, "application/pdf");
      // Inlined as base64 and decoded back to the same bytes.
      assert.deepEqual([...out.bytes], [7, 0, 255]);
      assert.ok(!bin.requests.some((r) => r.path.endsWith("/output")), "no GET …/output");
    } finally {
      await bin.close();
    }
  },
);

test("request_error rejects with RequestError carrying the message", { timeout: 10_000 }, async () => {
  const server = await fakeApp({
    outcome: { status: "failed", outcome: { failure: "request_error" }, failureReason: "request_error" },
    requestError: "input rejected: missing 'ok'",
  });
  try {
    const req = await runRemote("greet", {}, { server: server.url });
    await assert.rejects(req.output(), (e: unknown) => {
      assert.ok(e instanceof RequestError);
      assert.ok(isErrorNamed(e, "RequestError"));
      assert.equal(e.message, "input rejected: missing 'ok'");
      return true;
    });
  } finally {
    await server.close();
  }
});

test("other failures reject with RequestFailedError(reason)", { timeout: 10_000 }, async () => {
  const server = await fakeApp({
    outcome: {
      status: "failed",
      outcome: { failure: "function_timeout" },
      failureReason: "function_timeout",
      error: { name: "TimeoutError", message: "greet timed out after 30 s", retryable: true },
    },
  });
  try {
    const req = await runRemote("greet", {}, { server: server.url });
    await assert.rejects(req.output(), (e: unknown) => {
      assert.ok(e instanceof RequestFailedError);
      assert.equal(e.reason, "function_timeout");
      assert.match(e.message, /timed out after 30 s/);
      return true;
    });
    await req.cancel();
    assert.ok(server.cancelled());
  } finally {
    await server.close();
  }
});

test("a cancelled request rejects with reason cancelled", { timeout: 10_000 }, async () => {
  const server = await fakeApp({
    outcome: { status: "cancelled", outcome: { failure: "cancelled" }, failureReason: "cancelled" },
  });
  try {
    const req = await runRemote("greet", {}, { server: server.url });
    await assert.rejects(req.output(), (e: unknown) => e instanceof RequestFailedError && e.reason === "cancelled");
  } finally {
    await server.close();
  }
});
