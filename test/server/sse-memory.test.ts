// The SSE invoke's fast path (issue 15): a request that started in this server replays its events
// from memory and takes its outcome from memory, with no store read; where memory cannot cover the
// position, the stream reads the store exactly as before.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { RequestEvent } from "../../src/core/request.js";
import type { Engine, FinalOutcome } from "../../src/engine/index.js";
import { eventStream } from "../../src/server/sse.js";
import type { Store } from "../../src/store/types.js";

const ev = (seq: number, kind: RequestEvent["kind"], data?: Record<string, unknown>): RequestEvent => ({
  seq,
  kind,
  at: 1000 + seq,
  data,
});
const HISTORY = [
  ev(1, "request:started"),
  ev(2, "call:created"),
  ev(3, "progress", { current: 1, total: 1 }),
  ev(4, "request:finished"),
];
const FINAL: FinalOutcome = {
  status: "succeeded",
  output: { contentType: "application/json", size: 4, inline: new TextEncoder().encode('"ok"'), blobKey: null },
  finishedAt: 2000,
};

/** An engine whose memory holds the first three events; the fourth is published live. */
function fakeEngine(memory: boolean): { engine: Engine; publish(ev: RequestEvent): void } {
  const listeners = new Set<(ev: RequestEvent) => void>();
  let finished = false;
  const engine = {
    subscribe: (_id: string, l: (ev: RequestEvent) => void) => (listeners.add(l), () => listeners.delete(l)),
    subscribeFrom: (_id: string, after: number, l: (ev: RequestEvent) => void) => {
      if (!memory) return null;
      for (const e of HISTORY.slice(0, 3)) if (e.seq > after) l(e);
      listeners.add(l);
      return () => listeners.delete(l);
    },
    finalOutcome: () => (memory && finished ? FINAL : null),
    readPayload: async (p: { inline: Uint8Array | null }) => p.inline!,
  } as unknown as Engine;
  return {
    engine,
    publish(e) {
      finished = e.kind === "request:finished";
      for (const l of listeners) l(e);
    },
  };
}

function spyStore(): { store: Store; reads: string[] } {
  const reads: string[] = [];
  const store = {
    listEvents: async (_id: string, after: number) => (
      reads.push("listEvents"),
      HISTORY.filter((e) => e.seq > after && e.seq < 4)
    ),
    getRequest: async (id: string) => (
      reads.push("getRequest"),
      { id, failureReason: null, requestError: null, error: null, ...FINAL }
    ),
  } as unknown as Store;
  return { store, reads };
}

async function run(memory: boolean): Promise<{ text: string; reads: string[] }> {
  const { engine, publish } = fakeEngine(memory);
  const { store, reads } = spyStore();
  const res = eventStream({ engine, store }, "req_1", {
    afterSeq: 0,
    events: "all",
    prelude: "event: RequestCreated\n\n",
  });
  const text = res.text();
  await new Promise((r) => setTimeout(r, 20));
  publish(HISTORY[3]!);
  return { text: await text, reads };
}

test("from memory: the same frames as from the store, and no store read at all", async () => {
  const fast = await run(true);
  const slow = await run(false);
  assert.deepEqual(fast.reads, []);
  assert.deepEqual(slow.reads, ["listEvents", "getRequest"]);
  assert.equal(fast.text, slow.text);
  assert.ok(fast.text.startsWith("event: RequestCreated\n\n"), "the prelude comes first");
  assert.match(
    fast.text,
    /id: 4\nevent: RequestFinished\ndata: \{"request_id":"req_1","status":"succeeded".*"output":\{"content_type":"application\/json","body":"ok"\}/,
  );
});
