import { test } from "node:test";
import assert from "node:assert/strict";
import type { RequestEvent } from "../../src/core/request.js";
import { ProgressView } from "../../src/cli/progress-view.js";

test("without a terminal, the view prints starts, failures and finishes but not each progress update", () => {
  let text = "";
  const out = { isTTY: false, write: (s: string) => ((text += s), true) } as unknown as NodeJS.WriteStream;
  const view = new ProgressView(out);
  const ev = (e: Partial<RequestEvent>): RequestEvent => ({ seq: 0, at: 0, kind: "progress", callId: "c1", functionName: "ocr", ...e });
  view.onEvent(ev({ kind: "attempt:started", attempt: 1 }));
  for (let i = 0; i < 100; i++) view.onEvent(ev({ kind: "progress", data: { current: i, total: 100, message: "page" } }));
  view.onEvent(ev({ kind: "attempt:failed", attempt: 1, data: { reason: "function_timeout", error: { message: "ocr timed out" } } }));
  view.onEvent(ev({ kind: "attempt:started", attempt: 2 }));
  view.onEvent(ev({ kind: "attempt:succeeded", attempt: 2 }));
  view.onEvent(ev({ kind: "call:finished", data: { status: "succeeded" } }));
  view.stop();
  assert.equal(
    text,
    "started ocr\nocr attempt 1 failed: function_timeout: ocr timed out\nstarted ocr (attempt 2)\nfinished ocr: succeeded\n",
  );
});
