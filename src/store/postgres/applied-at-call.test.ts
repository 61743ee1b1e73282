/**
 * `Store.appliedAtCall` on PostgreSQL: a call's creation and its first attempt's start, issued
 * together, share one transaction, the start claims the call it has not yet seen committed, and
 * the events are numbered in issue order (the store contract has the finish that announces
 * nothing it did not change). One fresh schema, dropped at the end. Skipped with a notice when no
 * PostgreSQL answers within 2 s.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ev, newAttempt, newCall, newRequest } from "../contract/fixtures.js";
import type { Store } from "../types.js";
import { createPostgresStore } from "./index.js";
import { schemaFactory, TEST_POSTGRES_URL, unreachableReason } from "../../../test/helpers/postgres-database.js";

const skip = await unreachableReason();
if (skip !== null) console.log(`postgres tests skipped: ${skip}`);

describe("postgres writes apply in issue order", { skip: skip ?? false }, () => {
  const schemas = schemaFactory();
  let s: Store;
  before(async () => {
    s = createPostgresStore(TEST_POSTGRES_URL, { schema: schemas.next(), max: 2 });
    await s.migrate();
  });
  after(async () => {
    await s?.close();
    await schemas.dropAll();
  });

  const seqs = async (requestId: string) =>
    (await s.listEvents(requestId, 0, 100)).map((e) => [e.seq, e.kind, e.callId ?? null]);

  test("a request's creation and its root's start, issued together, both commit in order", async () => {
    assert.equal(s.appliedAtCall, true);
    const { request, root } = newRequest();
    const [created, started] = await Promise.all([
      s.createRequest(request, root, [ev("request:started"), ev("call:created", { callId: root.id })]),
      s.startAttempt(newAttempt(root), { attemptsUsed: 1, infraRetries: 0 }, [
        ev("attempt:started", { callId: root.id }),
      ]),
    ]);
    assert.equal(created.created, true);
    assert.deepEqual(started === "full" ? started : started?.map((e) => e.seq), [3]);
    assert.deepEqual(await seqs(request.id), [
      [1, "request:started", null],
      [2, "call:created", root.id],
      [3, "attempt:started", root.id],
    ]);
    assert.deepEqual(
      [(await s.getCall(root.id))?.status, (await s.getRequest(request.id))?.status],
      ["running", "running"],
    );
  });

  test("a child's creation and its start, issued together, and a limited start after them", async () => {
    const { request, root } = newRequest();
    await s.createRequest(request, root, [ev("request:started")]);
    await s.startAttempt(newAttempt(root), { attemptsUsed: 1, infraRetries: 0 }, [ev("attempt:started")]);
    const a = newCall(request.id, root.id, 0, 0, "child");
    const b = newCall(request.id, root.id, 1, 0, "child");
    const limit = {
      namespace: request.namespace,
      application: request.application,
      version: 1,
      functions: ["child"],
      max: 5,
    };
    const [ca, sa, cb, sb] = await Promise.all([
      s.createCall(a, [ev("call:created", { callId: a.id })]),
      s.startAttempt(newAttempt(a), { attemptsUsed: 1, infraRetries: 0 }, [ev("attempt:started", { callId: a.id })]),
      s.createCall(b, [ev("call:created", { callId: b.id })]),
      // Runs alone (its count must not interleave), still after the creation issued before it.
      s.startAttempt(
        newAttempt(b),
        { attemptsUsed: 1, infraRetries: 0 },
        [ev("attempt:started", { callId: b.id })],
        limit,
      ),
    ]);
    assert.ok(ca && sa && cb && sb && sb !== "full" && sa !== "full");
    assert.deepEqual((await seqs(request.id)).slice(2), [
      [3, "call:created", a.id],
      [4, "attempt:started", a.id],
      [5, "call:created", b.id],
      [6, "attempt:started", b.id],
    ]);
  });
});
