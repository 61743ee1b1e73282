import { test } from "node:test";
import assert from "node:assert/strict";
import type { HintChannel, Store } from "../store/types.js";
import { ClusterHints } from "./cluster-hints.js";

/** A channel that records what is published and lets the test deliver notifications. */
function channel() {
  const published: Record<string, unknown>[] = [];
  let deliver: (payload: string) => void = () => {};
  const ch: HintChannel = {
    publish: async (p) => void published.push(JSON.parse(p) as Record<string, unknown>),
    listen: async (on) => {
      deliver = on;
      return async () => {};
    },
  };
  return { ch, published, deliver: (hint: object) => deliver(JSON.stringify(hint)) };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

async function started(): Promise<{ hints: ClusterHints; c: ReturnType<typeof channel>; work: string[] }> {
  const c = channel();
  const work: string[] = [];
  const hints = new ClusterHints(
    {} as Store,
    c.ch,
    "srv-me",
    () => work.push("w"),
    () => {},
    () => {},
  );
  await hints.start();
  return { hints, c, work };
}

test("a starting server announces itself once it listens", async () => {
  const { c } = await started();
  await turn();
  assert.deepEqual(c.published, [{ j: "srv-me" }]);
});

test("alone, hints that only wake others are not published; cancels and finishes always are", async () => {
  const { hints, c } = await started();
  c.published.length = 0;
  hints.setAlone(true);
  hints.work();
  hints.committed("req-1");
  await turn();
  assert.deepEqual(c.published, [], "nobody to wake: no NOTIFY");
  hints.cancel("req-2");
  await turn();
  assert.deepEqual(c.published, [{ e: [], c: ["req-2"] }]);
});

test("a joining server's announcement ends being alone at once; the server's own does not", async () => {
  const { hints, c, work } = await started();
  hints.setAlone(true);
  c.deliver({ j: "srv-me" });
  c.published.length = 0;
  hints.committed("req-1");
  await turn();
  assert.deepEqual(c.published, [], "its own announcement is not news");
  c.deliver({ j: "srv-new" });
  c.deliver({ s: ["req-1"] });
  hints.committed("req-1");
  hints.work();
  await turn();
  assert.deepEqual(c.published, [{ e: ["req-1"], w: 1 }]);
  c.deliver({ w: 1 });
  assert.deepEqual(work, ["w"], "hints from others still wake this server");
});

test("a hand-over request is published even when alone, and reaches other servers, not its sender", async () => {
  const c = channel();
  const asked: [string, string[]][] = [];
  const hints = new ClusterHints(
    {} as Store,
    c.ch,
    "srv-me",
    () => {},
    () => {},
    () => {},
    (to, ids) => asked.push([to, ids]),
  );
  await hints.start();
  await turn();
  c.published.length = 0;
  hints.setAlone(true);
  hints.askHandOver(["req-1", "req-2"]);
  hints.askHandOver(["req-1"]);
  await turn();
  assert.deepEqual(c.published, [{ e: [], h: ["srv-me", ["req-1", "req-2"]] }], "one hint, each id once");
  c.deliver({ h: ["srv-me", ["req-1"]] });
  assert.deepEqual(asked, [], "its own ask is not for it");
  c.deliver({ h: ["srv-other", ["req-3"]] });
  c.deliver({ h: "garbage" });
  assert.deepEqual(asked, [["srv-other", ["req-3"]]]);
});

test("events are hinted only for requests another server follows; a follow is announced, again on each poll", async () => {
  const c = channel();
  const runs = new Set(["req-here"]);
  const store = { listEvents: async () => [] } as unknown as Store;
  const hints = new ClusterHints(
    store,
    c.ch,
    "srv-me",
    () => {},
    () => {},
    () => {},
    () => {},
    (id) => runs.has(id),
  );
  await hints.start();
  await turn();
  c.published.length = 0;
  hints.committed("req-here");
  await turn();
  assert.deepEqual(c.published, [], "nobody follows it elsewhere: no NOTIFY");
  c.deliver({ s: ["req-here", "req-other"] });
  await turn();
  assert.deepEqual(c.published, [{ e: ["req-here"] }], "a new follower of what runs here is answered at once");
  c.published.length = 0;
  c.deliver({ s: ["req-here"] });
  hints.committed("req-here");
  hints.committed("req-unwatched");
  await turn();
  assert.deepEqual(
    c.published,
    [{ e: ["req-here"] }],
    "a known follower is not answered again; its requests are hinted",
  );
  c.published.length = 0;
  const stop = hints.follow("req-away", () => {});
  await turn();
  assert.deepEqual(c.published, [{ e: [], s: ["req-away"] }], "following is announced");
  c.published.length = 0;
  hints.poll();
  await turn();
  assert.deepEqual(c.published, [{ e: [], s: ["req-away"] }], "and again on the poll");
  stop();
});
