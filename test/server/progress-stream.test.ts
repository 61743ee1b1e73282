// The progress stream (DESIGN §4) through a real server and executor: the default event set, the
// lifecycle with ?events=all, RequestFinished with the output inlined up to 1 MiB, Last-Event-ID.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { INLINE_OUTPUT_MAX_BYTES, type RequestFinishedData } from "../../src/core/api.js";
import { runRemote } from "../../src/client/index.js";
import { startCluster, sourceOf, type Cluster } from "../helpers/cluster.js";

let c: Cluster;
const base = (): string => `${c.server.url}/v1/namespaces/default/applications`;

before(async () => {
  c = await startCluster();
  await c.deploy(sourceOf(import.meta.url, "./stream-apps.ts"));
});
after(async () => c?.stop());

interface Frame {
  id: string;
  event: string;
  data: any;
}

/** Reads a whole SSE response (the stream closes after RequestFinished). */
async function frames(res: Response): Promise<Frame[]> {
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
  const out: Frame[] = [];
  for (const block of (await res.text()).split("\n\n")) {
    const f: Frame = { id: "", event: "message", data: undefined };
    let any = false;
    for (const line of block.split("\n")) {
      const m = /^(id|event|data): ?(.*)$/.exec(line);
      if (!m) continue;
      any = true;
      if (m[1] === "data") f.data = JSON.parse(m[2]!);
      else f[m[1] as "id" | "event"] = m[2]!;
    }
    if (any) out.push(f);
  }
  return out;
}

const stream = async (app: string, id: string, query = "", headers: Record<string, string> = {}): Promise<Frame[]> =>
  frames(
    await fetch(`${base()}/${app}/requests/${id}/progress${query}`, {
      headers: { accept: "text/event-stream", ...headers },
      signal: AbortSignal.timeout(20_000),
    }),
  );

async function invokeDone(app: string, input: unknown): Promise<string> {
  const res = await fetch(`${base()}/${app}?wait=30`, {
    method: "POST",
    body: input === undefined ? null : JSON.stringify(input),
    headers: { "content-type": "application/json" },
  });
  await res.arrayBuffer();
  return res.headers.get("x-tributary-request-id")!;
}

describe("the progress stream", () => {
  test("a trivial request's default stream is exactly its progress updates, then RequestFinished with the output", async () => {
    const id = await invokeDone("stream_small", 2);
    const f = await stream("stream_small", id);
    assert.deepEqual(
      f.map((x) => x.event),
      ["progress", "progress", "RequestFinished"],
    );
    for (const [i, p] of f.slice(0, 2).entries()) {
      assert.equal(p.data.kind, "progress");
      assert.equal(p.data.functionName, "stream_small");
      assert.match(p.data.callId, /\S/);
      assert.deepEqual(p.data.data, { current: i + 1, total: 2, message: `item ${i + 1}` });
      assert.equal(p.data.fraction, (i + 1) / 2);
      assert.equal(Number(p.id), p.data.seq);
    }
    const fin = f[2]!.data as RequestFinishedData;
    assert.deepEqual(
      { ...fin, at: 0 },
      {
        request_id: id,
        status: "succeeded",
        outcome: "success",
        failure_reason: null,
        output: { content_type: "application/json", body: { done: 2 } },
        at: 0,
      },
    );
  });

  test("?events=all adds the lifecycle events with the same ids", async () => {
    const id = await invokeDone("stream_small", 1);
    const all = await stream("stream_small", id, "?events=all");
    assert.deepEqual(
      all.map((x) => x.event),
      [
        "request:started",
        "call:created",
        "attempt:started",
        "progress",
        "attempt:succeeded",
        "call:finished",
        "RequestFinished",
      ],
    );
    assert.deepEqual(
      all.map((x) => Number(x.id)),
      [1, 2, 3, 4, 5, 6, 7],
    );
    const def = await stream("stream_small", id, "?events=default");
    assert.deepEqual(
      def.map((x) => x.id),
      ["4", "7"],
    );
    assert.deepEqual(all.at(-1)!.data, def.at(-1)!.data);
    const bad = await fetch(`${base()}/stream_small/requests/${id}/progress?events=lifecycle`);
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as any).error.details.path, "events");
  });

  test("Last-Event-ID resumes the filtered stream after the id given", async () => {
    const id = await invokeDone("stream_small", 3);
    const full = await stream("stream_small", id);
    assert.equal(full.length, 4);
    const resumed = await stream("stream_small", id, "", { "last-event-id": full[1]!.id });
    assert.deepEqual(
      resumed.map((x) => x.id),
      [full[2]!.id, full[3]!.id],
    );
    assert.deepEqual(
      resumed.map((x) => x.data),
      [full[2]!.data, full[3]!.data],
    );
  });

  test("an output over 1 MiB is not inlined; runRemote reads it from …/output", async () => {
    const size = INLINE_OUTPUT_MAX_BYTES; // plus the two quotes of the JSON string: just over.
    const id = await invokeDone("stream_big", size);
    const fin = (await stream("stream_big", id)).at(-1)!;
    assert.equal(fin.event, "RequestFinished");
    assert.equal(fin.data.status, "succeeded");
    assert.equal("output" in fin.data, false);
    const req = await runRemote<string>("stream_big", size, { server: c.server.url });
    assert.equal((await req.output()).length, size);
    // Just under the limit it is inlined.
    const small = await invokeDone("stream_big", size - 2);
    assert.equal(((await stream("stream_big", small)).at(-1)!.data.output.body as string).length, size - 2);
  });

  test("a binary output is inlined as base64; a RequestError carries its message", async () => {
    const id = await invokeDone("stream_file", undefined);
    assert.deepEqual((await stream("stream_file", id)).at(-1)!.data.output, {
      content_type: "application/octet-stream",
      body: Buffer.from([0, 1, 2, 255]).toString("base64"),
    });
    const rid = await invokeDone("stream_rejects", undefined);
    const fin = (await stream("stream_rejects", rid)).at(-1)!.data as RequestFinishedData;
    assert.equal(fin.failure_reason, "request_error");
    assert.deepEqual(fin.outcome, { failure: "request_error" });
    assert.deepEqual(fin.request_error, { function_name: "stream_rejects", message: "input rejected" });
    assert.equal("output" in fin, false);
  });

  test("POST with Accept: text/event-stream streams the same default set, or all with ?events=all", async () => {
    const post = (q: string): Promise<Response> =>
      fetch(`${base()}/stream_small${q}`, {
        method: "POST",
        body: "1",
        headers: { "content-type": "application/json", accept: "text/event-stream" },
        signal: AbortSignal.timeout(20_000),
      });
    const def = await frames(await post(""));
    assert.deepEqual(
      def.map((x) => x.event),
      ["RequestCreated", "progress", "RequestFinished"],
    );
    assert.deepEqual(def.at(-1)!.data.output, { content_type: "application/json", body: { done: 1 } });
    const all = await frames(await post("?events=all"));
    assert.ok(all.some((x) => x.event === "attempt:started"));
    assert.equal(all.at(-1)!.event, "RequestFinished");
    const bad = await post("?events=nope");
    assert.equal(bad.status, 400);
  });

  test("runRemote: progress() yields the default set; output() comes from RequestFinished", async () => {
    const req = await runRemote<{ done: number }>("stream_small", 2, { server: c.server.url });
    const kinds: string[] = [];
    for await (const ev of req.progress()) kinds.push(ev.kind);
    assert.deepEqual(kinds, ["progress", "progress", "request:finished"]);
    const all: string[] = [];
    for await (const ev of req.progress({ events: "all" })) all.push(ev.kind);
    assert.ok(all.includes("call:created") && all.includes("attempt:started"));
    assert.deepEqual(await req.output(), { done: 2 });
  });
});
