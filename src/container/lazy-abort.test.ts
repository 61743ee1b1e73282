// The container's lazily built abort signal behaves as one AbortController made at the run's start.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LazyAbort } from "./lazy-abort.js";

test("a signal read before the abort is aborted by it, with its reason", () => {
  const a = new LazyAbort();
  const signal = a.signal;
  let events = 0;
  signal.addEventListener("abort", () => events++);
  assert.equal(signal.aborted, false);
  a.abort(new Error("timeout"));
  assert.equal(signal.aborted, true);
  assert.equal((signal.reason as Error).message, "timeout");
  assert.equal(events, 1);
  assert.equal(a.signal, signal, "the same signal every time");
});

test("a signal first read after the abort is already aborted; a second abort changes nothing", () => {
  const a = new LazyAbort();
  assert.equal(a.aborted, false);
  a.abort("cancelled");
  a.abort("again");
  assert.deepEqual([a.aborted, a.reason], [true, "cancelled"]);
  assert.deepEqual([a.signal.aborted, a.signal.reason], [true, "cancelled"]);
});
