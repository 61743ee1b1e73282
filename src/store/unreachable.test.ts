import { test } from "node:test";
import assert from "node:assert/strict";
import { isLost } from "./postgres/transaction.js";
import { connectionLost, storeBusy, storeTransient, storeUnreachable } from "./unreachable.js";

const withCode = (message: string, code: string, extra: Record<string, string> = {}): Error =>
  Object.assign(new Error(message), { code, ...extra });

test("a dropped or refused connection is the database away, and a connection the transactions no longer use", () => {
  for (const e of [
    withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED", { syscall: "connect" }),
    withCode("read ECONNRESET", "ECONNRESET", { syscall: "read" }),
    withCode("write EPIPE", "EPIPE", { syscall: "write" }),
    withCode("read ETIMEDOUT", "ETIMEDOUT", { syscall: "read" }),
    withCode("connect EHOSTUNREACH 10.0.0.9:5432", "EHOSTUNREACH", { syscall: "connect" }),
    withCode("connect ENETUNREACH 10.0.0.9:5432", "ENETUNREACH", { syscall: "connect" }),
    withCode("write CONNECTION_CLOSED 127.0.0.1:5432", "CONNECTION_CLOSED"),
    withCode("write CONNECTION_DESTROYED 127.0.0.1:5432", "CONNECTION_DESTROYED"),
    withCode("write CONNECT_TIMEOUT 127.0.0.1:5432", "CONNECT_TIMEOUT"),
  ]) {
    assert.ok(connectionLost(e), e.message);
    assert.ok(storeUnreachable(e), e.message);
    assert.ok(isLost(e), e.message);
  }
});

test("the client's own reset (Node's 'aborted', no syscall) is neither", () => {
  const aborted = withCode("aborted", "ECONNRESET");
  assert.equal(storeUnreachable(aborted), false);
  assert.equal(isLost(aborted), false);
});

test("PostgreSQL's FATAL closes the connection; only shutting down or starting is the database away", () => {
  const shutdown = withCode("terminating connection due to administrator command", "57P01", { severity: "FATAL" });
  assert.ok(isLost(shutdown) && storeUnreachable(shutdown));
  const auth = withCode('password authentication failed for user "app"', "28P01", { severity: "FATAL" });
  assert.ok(isLost(auth), "the connection is closed");
  assert.equal(storeUnreachable(auth), false, "a wrong password does not pass by waiting");
});

test("a write's own error is neither", () => {
  for (const e of [
    withCode('duplicate key value violates unique constraint "calls_pkey"', "23505", { severity: "ERROR" }),
    withCode("could not serialize access due to concurrent update", "40001", { severity: "ERROR" }),
    withCode("CHECK constraint failed: broken", "SQLITE_CONSTRAINT_CHECK"),
  ]) {
    assert.equal(isLost(e), false, e.message);
    assert.equal(storeUnreachable(e), false, e.message);
  }
});

test("a reachable database that cannot take the write for now is busy: retried, never the write's own fault", () => {
  for (const e of [
    withCode("sorry, too many clients already", "53300", { severity: "FATAL" }),
    withCode("could not extend file: No space left on device", "53100", { severity: "ERROR" }),
    withCode("out of memory", "53200", { severity: "ERROR" }),
    withCode("could not serialize access due to concurrent update", "40001", { severity: "ERROR" }),
    withCode("deadlock detected", "40P01", { severity: "ERROR" }),
    withCode("connection failure", "08006", { severity: "FATAL" }),
    withCode("could not obtain lock on row", "55P03", { severity: "ERROR" }),
    withCode("could not read block: I/O error", "58030", { severity: "ERROR" }),
    withCode("database is locked", "SQLITE_BUSY"),
    withCode("database or disk is full", "SQLITE_FULL"),
    withCode("disk I/O error", "SQLITE_IOERR_WRITE"),
  ]) {
    assert.ok(storeBusy(e), e.message);
    assert.ok(storeTransient(e), e.message);
  }
  const dns = withCode("getaddrinfo EAI_AGAIN db.internal", "EAI_AGAIN", { syscall: "getaddrinfo" });
  assert.ok(storeUnreachable(dns) && storeTransient(dns), "a name that did not resolve: the database away");
});

test("a write's own error, or a statement that timed out, is not transient", () => {
  for (const e of [
    withCode('duplicate key value violates unique constraint "calls_pkey"', "23505", { severity: "ERROR" }),
    withCode("invalid input syntax for type json", "22P02", { severity: "ERROR" }),
    withCode("canceling statement due to statement timeout", "57014", { severity: "ERROR" }),
    withCode("CHECK constraint failed: broken", "SQLITE_CONSTRAINT_CHECK"),
    new TypeError("Cannot read properties of undefined (reading 'id')"),
  ]) {
    assert.equal(storeTransient(e), false, e.message);
  }
});
