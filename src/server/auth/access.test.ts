// Executor refusals name what the server expects (access.ts `mayServeAsExecutor`), on a server
// with an executor token and on one with admin keys only.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ApiError } from "../http-error.js";
import { mayServeAsExecutor } from "./access.js";

const fix = "start the executor with that value in --token or TRIBUTARY_EXECUTOR_TOKEN";

function refusal(f: () => unknown): { status: number; message: string } {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ApiError);
    return { status: e.status, message: e.message };
  }
  assert.fail("not refused");
}

test("without an executor token, executors present an admin key, and a refusal says so", () => {
  const admins = "one of the server's admin keys (its --api-key or TRIBUTARY_API_KEYS, as it has no --executor-token)";
  assert.deepEqual(mayServeAsExecutor({ kind: "admin" }, true, false), { kind: "admin" });
  assert.deepEqual(
    refusal(() => mayServeAsExecutor({ kind: "key", id: "key_1", namespaces: null }, true, false)),
    {
      status: 403,
      message: `this server rejected the executor token: it is an API key created through /v1/keys, not ${admins}; ${fix}`,
    },
  );
});

test("with an executor token, only it serves executors", () => {
  assert.deepEqual(mayServeAsExecutor({ kind: "executor" }, true, true), { kind: "executor" });
  assert.equal(refusal(() => mayServeAsExecutor({ kind: "admin" }, true, true)).status, 403);
});

test("a 401 does not reveal whether the server has an executor token", () => {
  for (const hasHeader of [false, true]) {
    const withToken = refusal(() => mayServeAsExecutor(null, hasHeader, true));
    const withoutToken = refusal(() => mayServeAsExecutor(null, hasHeader, false));
    assert.equal(withToken.status, 401);
    assert.deepEqual(withToken, withoutToken);
    assert.doesNotMatch(withToken.message, /admin|--executor-token|TRIBUTARY_/);
  }
  assert.equal(
    refusal(() => mayServeAsExecutor(null, false, true)).message,
    "missing 'Authorization: Bearer <executor token>'",
  );
  assert.equal(refusal(() => mayServeAsExecutor(null, true, true)).message, "the executor token is not valid");
});
