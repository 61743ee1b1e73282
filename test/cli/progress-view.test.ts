import { test } from "node:test";
import assert from "node:assert/strict";
import type { RequestEvent } from "../../src/core/request.js";
import { ProgressView } from "../../src/cli/progress-view.js";

/** A progress event of call c1 (ocr), with the given fields. */
const ev = (e: Partial<RequestEvent>): RequestEvent => ({
  seq: 0,
  at: 0,
  kind: "progress",
  callId: "c1",
  functionName: "ocr",
  ...e,
});

test("without a terminal, the view prints starts, failures and finishes but not each progress update", () => {
  let text = "";
  const out = { isTTY: false, write: (s: string) => ((text += s), true) } as unknown as NodeJS.WriteStream;
  const view = new ProgressView(out);
  view.onEvent(ev({ kind: "attempt:started", attempt: 1 }));
  for (let i = 0; i < 100; i++)
    view.onEvent(ev({ kind: "progress", data: { current: i, total: 100, message: "page" } }));
  view.onEvent(
    ev({
      kind: "attempt:failed",
      attempt: 1,
      data: { reason: "function_timeout", error: { message: "ocr timed out" } },
    }),
  );
  view.onEvent(ev({ kind: "attempt:started", attempt: 2 }));
  view.onEvent(ev({ kind: "attempt:succeeded", attempt: 2 }));
  view.onEvent(ev({ kind: "call:finished", data: { status: "succeeded" } }));
  view.stop();
  assert.equal(
    text,
    "started ocr\nocr attempt 1 failed: function_timeout: ocr timed out\nstarted ocr (attempt 2)\nfinished ocr: succeeded\n",
  );
});

test("on a terminal, an overall bar follows the request's aggregated fraction in percent", () => {
  let text = "";
  const out = {
    isTTY: true,
    columns: 120,
    write: (s: string) => ((text += s), true),
    cursorTo: () => true,
    moveCursor: () => true,
    clearLine: () => true,
    clearScreenDown: () => true,
    on: () => out,
    removeListener: () => out,
  } as unknown as NodeJS.WriteStream;
  const view = new ProgressView(out);
  view.onEvent(ev({ kind: "attempt:started", attempt: 1 }));
  view.onEvent(ev({ kind: "progress", data: { current: 1, total: 4 }, fraction: 0.25 }));
  view.onEvent(ev({ kind: "progress", data: { current: 3, total: 4 }, fraction: 0.75 }));
  (view as unknown as { multi: { update(): void } }).multi.update();
  view.stop();
  assert.match(text, /request \|[^|]*\| 75\/100 %/);
  assert.match(text, /ocr \|[^|]*\| 3\/4/);
});
