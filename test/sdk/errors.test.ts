// Error classes across SDK copies: `instanceof` by brand for the SDK's classes, ordinary semantics
// for users' subclasses, explicit names, the plain-error factory, and failure classification.
// A second copy of the classes is loaded from the same file under another URL: a separate module
// instance, exactly what a user's bundle carrying its own SDK is to the container's host code.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as A from "../../src/core/errors.js";
import { attemptFailureReason, errorForCaller, failureReasonOf } from "../../src/core/failures.js";
import * as Sdk from "tributary";

type ErrorsModule = typeof A;
const B = (await import(new URL("../../src/core/errors.js?second-copy", import.meta.url).href)) as ErrorsModule;

const CLASSES = [
  "TributaryError",
  "SDKUsageError",
  "FunctionError",
  "TimeoutError",
  "RequestError",
  "SerializationError",
  "DeserializationError",
  "NonDeterminismError",
  "CancelledError",
  "InternalError",
] as const;

test("the second copy really is a different set of classes", () => {
  assert.notEqual(A.RequestError, B.RequestError);
  assert.equal(Object.getPrototypeOf(new B.RequestError("x")) === A.RequestError.prototype, false);
});

test("every public error class answers instanceof for instances of the other copy, and only for its own kind", () => {
  for (const name of CLASSES) {
    const fromB = new B[name]("m");
    assert.ok(fromB instanceof A[name], `B.${name} instanceof A.${name}`);
    assert.ok(new A[name]("m") instanceof B[name], `A.${name} instanceof B.${name}`);
    assert.ok(fromB instanceof A.TributaryError, `B.${name} instanceof A.TributaryError`);
    assert.ok(fromB instanceof Error);
    for (const other of CLASSES) {
      if (other === name || other === "TributaryError") continue;
      assert.equal(fromB instanceof A[other], false, `B.${name} must not be instanceof A.${other}`);
    }
  }
  const failed = new B.RequestFailedError("function_error", "request r failed");
  assert.ok(failed instanceof A.RequestFailedError);
  assert.equal(failed instanceof A.RequestError, false);
});

test("the classes exported from 'tributary' are branded the same way", () => {
  assert.ok(new B.FunctionError("x") instanceof Sdk.FunctionError);
  assert.ok(new B.TimeoutError("x") instanceof Sdk.TimeoutError);
  assert.ok(new Sdk.RequestFailedError("cancelled", "c") instanceof B.RequestFailedError);
});

test("non-errors and look-alikes are not instances", () => {
  for (const v of [null, undefined, 0, "RequestError", {}, { name: "RequestError", message: "m" }, new Error("m")]) {
    assert.equal(v instanceof A.RequestError, false);
    assert.equal(v instanceof A.TributaryError, false);
  }
});

test("a user's subclass keeps ordinary instanceof, and is still an instance of the SDK class across copies", () => {
  class MyError extends B.RequestError {}
  class Deeper extends MyError {}
  const mine = new MyError("mine");
  assert.ok(mine instanceof MyError);
  assert.ok(mine instanceof A.RequestError);
  assert.ok(mine instanceof B.RequestError);
  assert.ok(mine instanceof A.TributaryError);
  assert.equal(new A.RequestError("x") instanceof MyError, false);
  assert.equal(new B.RequestError("x") instanceof MyError, false);
  assert.equal(mine instanceof Deeper, false);
  assert.ok(new Deeper("d") instanceof MyError);
  assert.equal(mine.name, "MyError");
  assert.equal(mine.retryable, false);
  assert.equal(failureReasonOf(mine), "request_error");
  assert.equal(failureReasonOf(new Deeper("d")), "request_error");
});

test("a user's subclass may set its own name", () => {
  class Named extends A.FunctionError {
    constructor(message: string) {
      super(message);
      this.name = "Custom";
    }
  }
  const e = new Named("x");
  assert.equal(e.name, "Custom");
  assert.match(String(e.stack), /^Custom: x/);
  assert.equal(new A.FunctionError("y").name, "FunctionError");
});

test("names are explicit: renaming a constructor (as a minifier would) does not change the error's name", () => {
  class Renamed extends B.TimeoutError {}
  for (const name of CLASSES) Object.defineProperty(B[name], "name", { value: "x" });
  try {
    for (const name of CLASSES) assert.equal(new B[name]("m").name, name);
    assert.match(String(new B.TimeoutError("late").stack), /^TimeoutError: late/);
    // A user's subclass is named after its own constructor, as any JavaScript error class is.
    assert.equal(new Renamed("m").name, "Renamed");
  } finally {
    for (const name of CLASSES) Object.defineProperty(B[name], "name", { value: name });
  }
});

test("plainError: one factory, retryable follows from the name unless given", () => {
  assert.deepEqual(A.plainError("CancelledError", "c"), { name: "CancelledError", message: "c", retryable: false });
  assert.deepEqual(A.plainError("InternalError", "i", { functionName: "f" }), {
    name: "InternalError",
    message: "i",
    retryable: true,
    functionName: "f",
  });
  assert.deepEqual(A.plainError("ConstraintUnsatisfiableError", "no gpu"), {
    name: "ConstraintUnsatisfiableError",
    message: "no gpu",
    retryable: false,
  });
  assert.equal(A.plainError("TimeoutError", "t", { retryable: false }).retryable, false);
});

test("toPlainError and fromPlainError round-trip the SDK's classes of either copy", () => {
  const p = A.toPlainError(
    new B.FunctionError("child broke", "child", "Error: child broke\n    at child (/home/me/app.ts:3:9)"),
  );
  assert.equal(p.name, "FunctionError");
  assert.equal(p.functionName, "child");
  assert.equal(p.stack, "Error: child broke\n    at child (/home/me/app.ts:3:9)");
  const back = B.fromPlainError(p);
  assert.ok(back instanceof A.FunctionError);
  assert.equal((back as A.FunctionError).functionName, "child");
  assert.deepEqual(A.toPlainError("thrown string"), { name: "Error", message: "thrown string", retryable: true });
  const unknownName = A.fromPlainError({ name: "TypeError", message: "t", retryable: true });
  assert.equal(unknownName.name, "TypeError");
});

test("failure classification: reasons, aborts, and what a caller sees", () => {
  assert.equal(failureReasonOf(new B.TimeoutError("t")), "function_timeout");
  assert.equal(failureReasonOf(new B.CancelledError("c")), "cancelled");
  assert.equal(failureReasonOf(new TypeError("t")), "function_error");
  assert.equal(failureReasonOf({ name: "RequestError", message: "look-alike" }), "function_error");

  const timedOut = new AbortController();
  timedOut.abort(new B.TimeoutError("the call ran past its timeout"));
  assert.equal(attemptFailureReason(new Error("aborted"), timedOut.signal), "function_timeout");
  const cancelled = new AbortController();
  cancelled.abort(new B.CancelledError("the request was cancelled"));
  assert.equal(attemptFailureReason(new Error("aborted"), cancelled.signal), "cancelled");
  assert.equal(attemptFailureReason(new A.RequestError("r"), new AbortController().signal), "request_error");

  const fe = errorForCaller(
    { name: "TypeError", message: "x is undefined", stack: "TypeError: x", retryable: true },
    "function_error",
    "child",
  );
  assert.ok(fe instanceof B.FunctionError);
  assert.equal((fe as A.FunctionError).functionName, "child");
  assert.equal((fe as A.FunctionError).childStack, "TypeError: x");
  assert.ok(
    errorForCaller({ name: "MyError", message: "bad", retryable: false }, "request_error", "child") instanceof
      B.RequestError,
  );
  const te = errorForCaller(
    { name: "TimeoutError", message: "late", retryable: true, functionName: "slow" },
    "function_timeout",
    "x",
  );
  assert.ok(te instanceof B.TimeoutError);
  assert.equal((te as A.TimeoutError).functionName, "slow");
  assert.ok(
    errorForCaller({ name: "NonDeterminismError", message: "n", retryable: false }, undefined, "c") instanceof
      B.NonDeterminismError,
  );
  assert.ok(
    errorForCaller({ name: "CancelledError", message: "c", retryable: false }, "cancelled", "c") instanceof
      B.CancelledError,
  );
  const oom = errorForCaller(A.plainError("OutOfMemoryError", "child: out of memory"), "out_of_memory", "child");
  assert.ok(oom instanceof B.FunctionError);
});

test("RequestFailedError carries the failure reason, the request id and the causing error", () => {
  const e = new A.RequestFailedError("function_error", "request r1 failed (function_error): boom", {
    requestId: "r1",
    error: { name: "Error", message: "boom", retryable: true },
  });
  assert.equal(e.failureReason, "function_error");
  assert.equal(e.reason, "function_error");
  assert.equal(e.requestId, "r1");
  assert.equal(e.error?.message, "boom");
  assert.equal(e.name, "RequestFailedError");
  assert.equal(e.retryable, false);
});
