// Stack cleaning (src/core/stack.ts): the user's frames stay; Tributary's own frames (this checkout's
// src/ and dist/src/, any node_modules/tributary/), Node's internals, the runtime's trailing plumbing
// and registered host paths go.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { cleanStack, hideHostPath } from "../../src/core/stack.js";
import { toPlainError } from "../../src/core/errors.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url)).replace(/\/$/, "");

test("Tributary's frames, Node's internals and trailing plumbing are dropped; the user's frames stay", () => {
  const stack = [
    "TypeError: cannot read 'x'",
    "  of undefined (a second message line)",
    "    at parse (/home/me/app/src/parse.ts:3:9)",
    `    at invokeEntry (${ROOT}/src/core/registry.ts:77:22)`,
    "    at readIt (node:fs:453:20)",
    "    at async handler (file:///home/me/app/src/app.ts:12:5)",
    `    at run (file://${ROOT}/dist/src/container/main.js:74:5)`,
    "    at call (/home/me/app/node_modules/tributary/dist/src/sdk/function.js:10:1)",
    "    at AsyncLocalStorage.run (node:async_hooks:346:14)",
    "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
    "    at process.emit (node:events:524:28)",
  ].join("\n");
  assert.equal(
    cleanStack(stack),
    [
      "TypeError: cannot read 'x'",
      "  of undefined (a second message line)",
      "    at parse (/home/me/app/src/parse.ts:3:9)",
      "    at readIt (node:fs:453:20)",
      "    at async handler (file:///home/me/app/src/app.ts:12:5)",
    ].join("\n"),
  );
});

test("the user's own test and example files inside the checkout are not Tributary's", () => {
  const stack = `Error: boom\n    at t (${ROOT}/dist/test/behaviour/apps.js:5:9)\n    at e (${ROOT}/examples/all.ts:1:1)`;
  assert.equal(cleanStack(stack), stack);
});

test("a stack with only Tributary's frames keeps its header", () => {
  assert.equal(
    cleanStack(`InternalError: lost\n    at x (${ROOT}/src/engine/engine.ts:1:1)\n    at y (node:events:1:1)`),
    "InternalError: lost",
  );
});

test("registered host paths are rewritten, in frames and in the header", () => {
  hideHostPath("/var/lib/tributary/executor/bundles/ab12/", "bundle");
  const stack =
    "Error: in /var/lib/tributary/executor/bundles/ab12/app.mjs\n    at f (file:///var/lib/tributary/executor/bundles/ab12/app.mjs:1:2)\n    at g (/var/lib/tributary/executor/bundles/ab12/app.mjs:3:4)";
  assert.equal(
    cleanStack(stack),
    "Error: in bundle/app.mjs\n    at f (bundle/app.mjs:1:2)\n    at g (bundle/app.mjs:3:4)",
  );
});

test("toPlainError is where stacks are cleaned", () => {
  const err = new Error("boom");
  err.stack = `Error: boom\n    at mine (/home/me/app.ts:1:1)\n    at theirs (${ROOT}/src/local/attempt.ts:9:9)`;
  assert.equal(toPlainError(err).stack, "Error: boom\n    at mine (/home/me/app.ts:1:1)");
});
