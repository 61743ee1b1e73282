// Unit tests of the bind policy: which hosts are loopback, and what a server says or refuses.
import { test } from "node:test";
import assert from "node:assert/strict";
import { InsecureBindError, authNotice, isLoopback } from "./bind-policy.js";

test("loopback hosts: localhost, 127.0.0.0/8, ::1 in its spellings; nothing else", () => {
  for (const h of [
    "localhost",
    "LOCALHOST",
    "127.0.0.1",
    "127.1.2.3",
    "::1",
    "[::1]",
    "0:0:0:0:0:0:0:1",
    "::ffff:127.0.0.1",
  ])
    assert.equal(isLoopback(h), true, h);
  for (const h of [
    "0.0.0.0",
    "::",
    "[::]",
    "10.0.0.1",
    "192.168.1.2",
    "example.com",
    "localhost.example.com",
    "128.0.0.1",
    "::2",
    "",
  ])
    assert.equal(isLoopback(h), false, h);
});

test("authNotice: keys → required; loopback → serves everyone here; elsewhere → refused unless insecure", () => {
  assert.match(authNotice("0.0.0.0", true, false), /API keys required/);
  assert.match(authNotice("127.0.0.1", false, false), /serving everyone who can reach 127\.0\.0\.1 \(loopback only\)/);
  assert.throws(
    () => authNotice("0.0.0.0", false, false),
    (e: unknown) => e instanceof InsecureBindError && /--api-key/.test(e.message) && /--insecure/.test(e.message),
  );
  assert.match(authNotice("0.0.0.0", false, true), /^WARNING: --insecure/);
});
