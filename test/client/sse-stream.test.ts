import { test } from "node:test";
import assert from "node:assert/strict";
import { FINISHED_EVENT } from "../../src/core/api.js";
import { ClientError } from "../../src/client/client-error.js";
import { requestStream, type StreamItem } from "../../src/client/sse.js";
import { Transport } from "../../src/client/transport.js";
import { sendJson, sseFrame, startFakeServer } from "./fake-server.js";

const ev = (seq: number) => ({
  seq,
  kind: "progress",
  at: seq,
  callId: "c1",
  functionName: "f",
  data: { current: seq, total: 3 },
});
const outcome = {
  request_id: "r1",
  status: "succeeded",
  outcome: "success",
  failure_reason: null,
  output: { content_type: "application/json", body: { n: 1 } },
  at: 4,
};

async function collect(it: AsyncIterable<StreamItem>): Promise<StreamItem[]> {
  const out: StreamItem[] = [];
  for await (const x of it) out.push(x);
  return out;
}

test(
  "resumes with Last-Event-ID after a dropped connection and ends after RequestFinished",
  { timeout: 10_000 },
  async () => {
    let connections = 0;
    const server = await startFakeServer((req, res) => {
      connections++;
      res.writeHead(200, { "content-type": "text/event-stream" });
      if (connections === 1) {
        // Two events, half of a third, then the connection drops.
        res.write(
          ": hello\n\n" + sseFrame(1, "progress", ev(1)) + sseFrame(2, "progress", ev(2)) + 'id: 3\ndata: {"se',
        );
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      assert.equal(req.headers["last-event-id"], "2");
      res.write(
        sseFrame(3, "progress", ev(3)) + sseFrame(4, FINISHED_EVENT, outcome) + sseFrame(5, "progress", ev(99)),
      );
    });
    try {
      const items = await collect(
        requestStream(new Transport({ server: server.url }), "app", "r1", { reconnectDelayMs: 10 }),
      );
      assert.deepEqual(
        items.map((i) => (i.type === "event" ? i.event.seq : i.outcome.status)),
        [1, 2, 3, "succeeded"],
      );
      const last = items.at(-1)!;
      assert.equal(last.type, "finished");
      if (last.type === "finished") {
        assert.deepEqual(last.outcome, { status: "succeeded", outcome: "success", failureReason: null, error: null });
        assert.deepEqual(last.event, { seq: 4, kind: "request:finished", at: 4, data: { ...last.outcome } });
        assert.equal(last.output?.contentType, "application/json");
        assert.deepEqual(JSON.parse(new TextDecoder().decode(last.output!.bytes)), { n: 1 });
      }
      assert.equal(connections, 2);
      assert.equal(server.requests[0]!.path, "/v1/namespaces/default/applications/app/requests/r1/progress");
      assert.equal(server.requests[0]!.headers.accept, "text/event-stream");
    } finally {
      await server.close();
    }
  },
);

test("a stream that ends cleanly before the outcome is reopened", { timeout: 10_000 }, async () => {
  let connections = 0;
  const server = await startFakeServer((req, res) => {
    connections++;
    res.writeHead(200, { "content-type": "text/event-stream" });
    if (connections === 1) res.end(sseFrame(1, "progress", ev(1)));
    else res.end(sseFrame(2, FINISHED_EVENT, outcome));
  });
  try {
    const items = await collect(
      requestStream(new Transport({ server: server.url }), "app", "r1", { reconnectDelayMs: 10 }),
    );
    assert.equal(items.length, 2);
    assert.equal(server.requests[1]!.headers["last-event-id"], "1");
  } finally {
    await server.close();
  }
});

test(
  "events: 'all' asks for the lifecycle events; a failure's request_error becomes the outcome's error",
  { timeout: 10_000 },
  async () => {
    const failed = {
      request_id: "r1",
      status: "failed",
      outcome: { failure: "request_error" },
      failure_reason: "request_error",
      request_error: { function_name: "f", message: "bad input" },
      at: 2,
    };
    const server = await startFakeServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(
        sseFrame(1, "call:created", { seq: 1, kind: "call:created", at: 1 }) + sseFrame(2, FINISHED_EVENT, failed),
      );
    });
    try {
      const items = await collect(requestStream(new Transport({ server: server.url }), "app", "r1", { events: "all" }));
      assert.equal(server.requests[0]!.path, "/v1/namespaces/default/applications/app/requests/r1/progress?events=all");
      const last = items.at(-1)!;
      assert.ok(last.type === "finished" && last.output === undefined);
      assert.equal(last.outcome.failureReason, "request_error");
      assert.equal(last.outcome.error?.message, "bad input");
    } finally {
      await server.close();
    }
  },
);

test("a 404 is raised at once, never retried", { timeout: 10_000 }, async () => {
  const server = await startFakeServer((_req, res) =>
    sendJson(res, 404, { error: { code: "not_found", message: "request r1 not found" } }),
  );
  try {
    await assert.rejects(
      collect(requestStream(new Transport({ server: server.url }), "app", "r1", { reconnectDelayMs: 10 })),
      (e: unknown) => {
        assert.ok(e instanceof ClientError);
        assert.equal(e.status, 404);
        assert.equal(e.code, "not_found");
        return true;
      },
    );
    assert.equal(server.requests.length, 1);
  } finally {
    await server.close();
  }
});

test("gives up after maxReconnects consecutive failures", { timeout: 10_000 }, async () => {
  const server = await startFakeServer((_req, res) =>
    sendJson(res, 503, { error: { code: "unavailable", message: "restarting" } }),
  );
  try {
    await assert.rejects(
      collect(
        requestStream(new Transport({ server: server.url }), "app", "r1", { reconnectDelayMs: 1, maxReconnects: 2 }),
      ),
      /lost the progress stream.*restarting/,
    );
    assert.equal(server.requests.length, 3);
  } finally {
    await server.close();
  }
});

test("breaking out of the loop closes the connection", { timeout: 10_000 }, async () => {
  let closed = false;
  const server = await startFakeServer((req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(sseFrame(1, "progress", ev(1)));
    res.on("close", () => (closed = true));
  });
  try {
    for await (const item of requestStream(new Transport({ server: server.url }), "app", "r1")) {
      assert.equal(item.type, "event");
      break;
    }
    const deadline = Date.now() + 5000;
    while (!closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(closed);
  } finally {
    await server.close();
  }
});
