import { test } from "node:test";
import assert from "node:assert/strict";
import type { HintChannel, Store } from "../store/types.js";
import { ClusterHints, packHints, REANNOUNCE_EVERY } from "./cluster-hints.js";

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

/** A started server whose store has no events to read, running the requests in `runs`; nothing published yet. */
async function followingServer(runs: Set<string>): Promise<{ hints: ClusterHints; c: ReturnType<typeof channel> }> {
  const c = channel();
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
  return { hints, c };
}

test("events are hinted only for requests another server follows; a follow is announced, again on each poll", async () => {
  const { hints, c } = await followingServer(new Set(["req-here"]));
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

test("an answered follow is announced again only every REANNOUNCE_EVERY-th poll; an unanswered one on each", async () => {
  const { hints, c } = await followingServer(new Set());
  const stopA = hints.follow("req-a", () => {});
  const stopB = hints.follow("req-b", () => {});
  await turn();
  c.published.length = 0;
  c.deliver({ e: ["req-a"] }); // req-a's runner watches it
  await turn();
  const announced: string[][] = [];
  for (let i = 0; i < 2 * REANNOUNCE_EVERY; i++) {
    c.published.length = 0;
    hints.poll();
    await turn();
    announced.push(c.published.flatMap((p) => (p.s as string[] | undefined) ?? []));
  }
  assert.equal(announced.filter((s) => s.includes("req-b")).length, 2 * REANNOUNCE_EVERY, "unanswered: every poll");
  assert.equal(announced.filter((s) => s.includes("req-a")).length, 2, "answered: every REANNOUNCE_EVERY-th poll");
  assert.ok(announced[REANNOUNCE_EVERY - 1]!.includes("req-a"), "the REANNOUNCE_EVERY-th poll names it");
  c.published.length = 0;
  c.deliver({ e: "*" });
  await turn();
  assert.deepEqual(c.published, [], "a '*' hint reads every follow but announces nothing");
  stopA();
  stopB();
});

test("a poll announces every follow, over as many notifications as the payload limit needs", async () => {
  const { hints, c } = await followingServer(new Set());
  const ids = Array.from({ length: 1000 }, (_, i) => `req-${String(i).padStart(4, "0")}-0123456789abcdef0123456789`);
  const stops = ids.map((id) => hints.follow(id, () => {}));
  await turn();
  c.published.length = 0;
  hints.cancel("req-cancelled");
  hints.poll();
  await turn();
  assert.ok(c.published.length > 1, "more than one payload");
  const announced = c.published.flatMap((p) => (p.s as string[] | undefined) ?? []);
  assert.deepEqual(announced, ids, "every follow, once, in order");
  assert.deepEqual(
    c.published.flatMap((p) => (p.c as string[] | undefined) ?? []),
    ["req-cancelled"],
  );
  assert.deepEqual(c.published[0]!.e, [], "the first payload carries the head");
  for (const p of c.published) assert.ok(JSON.stringify(p).length <= 7_000, "below NOTIFY's limit");
  stops.forEach((stop) => stop());
});

test("packHints splits every list, hand-overs keep their server, and a full head goes alone", () => {
  const many = (p: string): string[] => Array.from({ length: 400 }, (_, i) => `${p}-${i}-abcdefghijklmnopqrstuvwxyz`);
  const lists: ["f" | "c" | "h" | "s", string[]][] = [
    ["f", many("f")],
    ["c", many("c")],
    ["h", many("h")],
    ["s", many("s")],
  ];
  const big = Array.from({ length: 200 }, (_, i) => `e-${i}-abcdefghijklmnopqrstu`);
  const payloads = packHints({ e: big, w: 1 }, lists, "srv-me").map((p) => JSON.parse(p) as Record<string, unknown>);
  for (const p of payloads) assert.ok(JSON.stringify(p).length <= 7_000);
  assert.deepEqual(payloads[0]!.e, big);
  assert.equal(payloads[0]!.w, 1);
  assert.ok(
    payloads.slice(1).every((p) => p.e === undefined && p.w === undefined),
    "the head once",
  );
  for (const [key, ids] of lists) {
    const got = payloads.flatMap((p) => {
      const v = p[key];
      if (v === undefined) return [];
      if (key !== "h") return v as string[];
      const [server, hs] = v as [string, string[]];
      assert.equal(server, "srv-me");
      return hs;
    });
    assert.deepEqual(got, ids, key);
  }
  assert.deepEqual(packHints({ e: [] }, [["s", []]], "srv-me"), ['{"e":[]}']);
});
