import { test } from "node:test";
import assert from "node:assert/strict";
import type { RequestEvent } from "../core/request.js";
import { EventBus, HOLD_MS, JOURNAL_MAX } from "./event-bus.js";

const ev = (seq: number, kind: RequestEvent["kind"] = "progress"): RequestEvent => ({ seq, kind, at: seq });
const seqs = (events: RequestEvent[]): number[] => events.map((e) => e.seq);

test("a request published from seq 1 replays its events from memory, then delivers live ones", () => {
  const bus = new EventBus();
  bus.publish("r", [ev(1, "request:started"), ev(2, "call:created")]);
  bus.publish("r", [ev(3)]);
  const got: RequestEvent[] = [];
  const off = bus.subscribeFrom("r", 0, (e) => got.push(e));
  assert.ok(off);
  assert.deepEqual(seqs(got), [1, 2, 3]);
  bus.publish("r", [ev(4)]);
  assert.deepEqual(seqs(got), [1, 2, 3, 4]);
  const resumed: RequestEvent[] = [];
  bus.subscribeFrom("r", 2, (e) => resumed.push(e));
  assert.deepEqual(seqs(resumed), [3, 4], "from a position: only what follows it");
  off!();
  bus.publish("r", [ev(5)]);
  assert.equal(got.length, 4, "unsubscribed");
});

test("no replay where memory does not hold every event after the position", () => {
  const bus = new EventBus();
  bus.publish("joined-late", [ev(7)]);
  assert.equal(
    bus.subscribeFrom("joined-late", 0, () => {}),
    null,
    "its first events were published elsewhere",
  );
  assert.equal(
    bus.subscribeFrom("unknown", 0, () => {}),
    null,
  );

  bus.publish("long", [ev(1, "request:started")]);
  // The journal keeps the last JOURNAL_MAX to twice that many events (trimmed in bulk).
  const last = 2 * JOURNAL_MAX + 10;
  for (let s = 2; s <= last; s++) bus.publish("long", [ev(s)]);
  assert.equal(
    bus.subscribeFrom("long", 0, () => {}),
    null,
    "past the cap, the oldest are gone",
  );
  const tail: RequestEvent[] = [];
  assert.ok(
    bus.subscribeFrom("long", last - JOURNAL_MAX, (e) => tail.push(e)),
    "a later position is still covered",
  );
  assert.equal(tail[0]!.seq, last - JOURNAL_MAX + 1);
  assert.equal(tail.length, JOURNAL_MAX);

  bus.publish("done", [ev(1, "request:started"), ev(2, "request:finished")]);
  assert.equal(
    bus.subscribeFrom("done", 0, () => {}),
    null,
    "a finished request's journal is dropped",
  );
});

test("events published out of seq order reach subscribers in order", () => {
  const bus = new EventBus();
  const got: RequestEvent[] = [];
  bus.publish("r", [ev(1, "request:started"), ev(2, "call:created")]);
  bus.subscribe("r", (e) => got.push(e));
  // A progress flush (seq 3) settles after a child's creation (seqs 4, 5) committed with it.
  bus.publish("r", [ev(4, "call:created"), ev(5, "attempt:started")]);
  assert.deepEqual(seqs(got), [], "held: seq 3 is missing");
  bus.publish("r", [ev(3)]);
  assert.deepEqual(seqs(got), [3, 4, 5]);
  bus.publish("r", [ev(5, "attempt:started")]);
  assert.deepEqual(seqs(got), [3, 4, 5], "a late duplicate is not delivered again");
  bus.publish("r", [ev(6, "request:finished")]);
  assert.deepEqual(seqs(got), [3, 4, 5, 6]);
});

test("an event past a gap nobody fills is delivered after a short hold", async () => {
  const bus = new EventBus();
  const got: RequestEvent[] = [];
  bus.subscribe("r", (e) => got.push(e));
  bus.publish("r", [ev(1, "request:started")]);
  bus.publish("r", [ev(3)]);
  bus.publish("r", [ev(5, "request:finished")]);
  assert.deepEqual(seqs(got), [1]);
  await new Promise((r) => setTimeout(r, HOLD_MS + 30));
  assert.deepEqual(seqs(got), [1, 3, 5], "in order, once the hold ran out");
  bus.publish("r", [ev(6)]);
  assert.deepEqual(seqs(got), [1, 3, 5, 6], "a request whose order was dropped delivers as published");
});

test("a request first seen past seq 1 is delivered as published", () => {
  const bus = new EventBus();
  const got: RequestEvent[] = [];
  bus.subscribe("r", (e) => got.push(e));
  bus.publish("r", [ev(9)]);
  bus.publish("r", [ev(8)]);
  assert.deepEqual(seqs(got), [9, 8]);
});
