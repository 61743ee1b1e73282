import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { storeUnreachable } from "../store/unreachable.js";
import { toApiError } from "./http-error.js";

const withCode = (message: string, code: string, syscall?: string): Error =>
  Object.assign(new Error(message), { code, ...(syscall ? { syscall } : {}) });

describe("toApiError", () => {
  it("answers 503 store_unavailable when the database cannot be reached", () => {
    for (const e of [
      withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED", "connect"),
      withCode("read ECONNRESET", "ECONNRESET", "read"),
      withCode("write CONNECTION_CLOSED 127.0.0.1:5432", "CONNECTION_CLOSED"),
      withCode("terminating connection due to administrator command", "57P01"),
      new Error("no PostgreSQL connection within 40 s"),
    ]) {
      assert.ok(storeUnreachable(e), e.message);
      const api = toApiError(e);
      assert.deepEqual([api.status, api.code], [503, "store_unavailable"], e.message);
      assert.ok(!api.message.includes("127.0.0.1"), "the client learns nothing of the database's address");
    }
  });

  it("answers 503 store_unavailable when the database cannot take the write for now", () => {
    for (const e of [
      withCode("sorry, too many clients already", "53300"),
      withCode("deadlock detected", "40P01"),
      withCode("database or disk is full", "SQLITE_FULL"),
    ]) {
      const api = toApiError(e);
      assert.deepEqual([api.status, api.code], [503, "store_unavailable"], e.message);
      assert.ok(!api.message.includes(e.message), "the database's own words stay in the server's log");
    }
    assert.equal(toApiError(withCode("duplicate key value", "23505")).status, 500);
  });

  it("does not take the client's own connection reset (Node's 'aborted') for the database", () => {
    const aborted = withCode("aborted", "ECONNRESET"); // what a request stream errors with
    assert.equal(storeUnreachable(aborted), false);
    assert.equal(toApiError(aborted).status, 500);
  });

  it("keeps any other unexpected error a 500 that says nothing of its cause", () => {
    const api = toApiError(withCode("SQLITE_CORRUPT: database disk image is malformed", "SQLITE_CORRUPT"));
    assert.deepEqual([api.status, api.code, api.message], [500, "internal", "internal error"]);
  });
});
