/**
 * A request's creation fused with its root call's first start (fusion.ts): each caller gets what it
 * would have got apart, and a start that must not be fused (another call, a limit, a fenced
 * request, a create that may insert nothing, a write of the request in between, a create already
 * sent) runs apart, after the create, as before. Fresh schemas, dropped at the end. Skipped with a
 * notice when no PostgreSQL answers within 2 s.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import postgres from "postgres";
import { ev, newAttempt, newRequest } from "../contract/fixtures.js";
import type { NewEvent, Store } from "../types.js";
import { createPostgresStore } from "./index.js";
import type { PostgresStoreOptions } from "./connect.js";
import { schemaFactory, TEST_POSTGRES_URL, unreachableReason } from "../../../test/helpers/postgres-database.js";

const skip = await unreachableReason();
if (skip !== null) console.log(`postgres tests skipped: ${skip}`);

const COUNTERS = { attemptsUsed: 1, infraRetries: 2 };

describe("postgres: a creation fused with its root's first start", { skip: skip ?? false }, () => {
  const schemas = schemaFactory();
  after(() => schemas.dropAll());

  /** A migrated store in a fresh schema, and an admin connection to it. */
  async function open(options: PostgresStoreOptions = {}) {
    const schema = schemas.next();
    const s = createPostgresStore(TEST_POSTGRES_URL, { schema, max: 2, ...options });
    await s.migrate();
    const admin = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {}, connection: { search_path: schema } });
    return {
      s,
      admin,
      schema,
      async close() {
        await Promise.all([s.close(), admin.end({ timeout: 5 })]);
      },
    };
  }

  const seqs = async (s: Store, requestId: string) =>
    (await s.listEvents(requestId, 0, 100)).map((e) => [e.seq, e.kind, e.callId ?? null]);
  const createEvents = (rootId: string): NewEvent[] => [
    ev("request:started"),
    ev("call:created", { callId: rootId, parentCallId: null, functionName: "app" }),
  ];
  const startEvents = (rootId: string): NewEvent[] => [
    ev("attempt:started", { callId: rootId, functionName: "app", attempt: 1, data: { executor_id: "exec-1" } }),
  ];

  test("one statement: each caller gets what it would apart; the request row is never updated", async () => {
    const db = await open();
    try {
      const { request, root } = newRequest();
      const attempt = newAttempt(root);
      const [created, started] = await Promise.all([
        db.s.createRequest(request, root, createEvents(root.id)),
        db.s.startAttempt(attempt, COUNTERS, startEvents(root.id)),
      ]);
      assert.equal(created.created, true);
      assert.equal(created.request.status, "pending", "the create answers the row it inserted, as apart");
      assert.deepEqual(
        created.events,
        createEvents(root.id).map((e, i) => ({ ...e, seq: i + 1 })),
      );
      assert.deepEqual(started, [{ ...startEvents(root.id)[0]!, seq: 3 }]);
      assert.deepEqual(await seqs(db.s, request.id), [
        [1, "request:started", null],
        [2, "call:created", root.id],
        [3, "attempt:started", root.id],
      ]);
      const call = await db.s.getCall(root.id);
      assert.deepEqual([call?.status, call?.attemptsUsed, call?.infraRetries], ["running", 1, 2]);
      assert.equal((await db.s.getRequest(request.id))?.status, "running");
      assert.equal((await db.s.getAttempt(attempt.id))?.status, "running");
      // In a fresh table the first row inserted is at (0,1); an UPDATE would have written a new
      // version of it elsewhere. The event counter is past every event.
      const [row] =
        await db.admin`SELECT ctid::text AS ctid, event_seq::int AS event_seq FROM requests WHERE id = ${request.id}`;
      assert.deepEqual({ ...row }, { ctid: "(0,1)", event_seq: 3 });
      // A later write numbers its events after them.
      assert.deepEqual(
        (await db.s.appendEvents(request.id, [ev("progress")])).map((e) => e.seq),
        [4],
      );
    } finally {
      await db.close();
    }
  });

  test("a second start of the root, a start of another call and a limited start run apart", async () => {
    const db = await open();
    try {
      const { request, root } = newRequest();
      const [, first, second] = await Promise.all([
        db.s.createRequest(request, root, createEvents(root.id)),
        db.s.startAttempt(newAttempt(root), COUNTERS, startEvents(root.id)),
        db.s.startAttempt(newAttempt(root), COUNTERS, startEvents(root.id)),
      ]);
      assert.deepEqual([first === null, second], [false, null], "the call is claimed once");

      const other = newRequest();
      const limit = { namespace: "default", application: "app", version: 1, functions: ["app"], max: 5 };
      const [, limited] = await Promise.all([
        db.s.createRequest(other.request, other.root, createEvents(other.root.id)),
        db.s.startAttempt(newAttempt(other.root), COUNTERS, startEvents(other.root.id), limit),
      ]);
      assert.ok(Array.isArray(limited));
      assert.deepEqual(
        limited.map((e) => e.seq),
        [3],
      );
    } finally {
      await db.close();
    }
  });

  test("a write of the request issued in between applies before the start", async () => {
    const db = await open();
    try {
      const { request, root } = newRequest();
      const [, between, started] = await Promise.all([
        db.s.createRequest(request, root, createEvents(root.id)),
        db.s.transitionCall(root.id, "pending", { status: "pending", pendingReason: "waiting" }, [
          ev("progress", { callId: root.id }),
        ]),
        db.s.startAttempt(newAttempt(root), COUNTERS, startEvents(root.id)),
      ]);
      // Fused with the create, the start would have claimed the call before the transition, whose
      // compare-and-set on `pending` would then have failed.
      assert.ok(between !== null, "the transition found the call pending");
      assert.ok(Array.isArray(started), "the start claimed it after");
      assert.equal((await db.s.getCall(root.id))?.pendingReason, null, "the start cleared the reason");
      assert.equal((await seqs(db.s, request.id)).length, 4);
    } finally {
      await db.close();
    }
  });

  test("fenced: a request another live server owns is not fused, and its start is refused", async () => {
    const db = await open({ serverId: "srv-a" });
    try {
      const now = Date.now();
      await db.s.renewServerLease("srv-a", now, now, now + 60_000, null);
      await db.s.renewServerLease("srv-b", now, now, now + 60_000, null);
      const { request, root } = newRequest();
      const [created, refused] = await Promise.allSettled([
        db.s.createRequest({ ...request, owner: "srv-b" }, root, createEvents(root.id)),
        db.s.startAttempt(newAttempt(root), COUNTERS, startEvents(root.id)),
      ]);
      assert.equal(created.status === "fulfilled" && created.value.created, true);
      assert.match(String(refused.status === "rejected" && refused.reason), /is owned by server "srv-b"/);
      assert.equal((await db.s.getCall(root.id))?.status, "pending", "the refused start changed nothing");

      // Its own request, and an unowned one, are fused (the fence cannot refuse them).
      for (const owner of ["srv-a", null]) {
        const own = newRequest();
        const [, started] = await Promise.all([
          db.s.createRequest({ ...own.request, owner }, own.root, createEvents(own.root.id)),
          db.s.startAttempt(newAttempt(own.root), COUNTERS, startEvents(own.root.id)),
        ]);
        assert.deepEqual(started === "full" ? started : started?.map((e) => e.seq), [3]);
        assert.equal((await db.s.getRequest(own.request.id))?.status, "running");
      }
    } finally {
      await db.close();
    }
  });

  test("a failing create fails alone; its start then runs apart, as it would have", async () => {
    const db = await open();
    try {
      // The same request twice: the second create clashes on its id and its start claims nothing
      // (the first start already did).
      const { request, root } = newRequest();
      await Promise.all([
        db.s.createRequest(request, root, createEvents(root.id)),
        db.s.startAttempt(newAttempt(root), COUNTERS, startEvents(root.id)),
      ]);
      const [again, start] = await Promise.allSettled([
        db.s.createRequest(request, root, createEvents(root.id)),
        db.s.startAttempt(newAttempt(root, 2), COUNTERS, startEvents(root.id)),
      ]);
      assert.match(String(again.status === "rejected" && again.reason), /duplicate key/);
      assert.deepEqual(start, { status: "fulfilled", value: null });
      assert.equal((await seqs(db.s, request.id)).length, 3, "nothing more was journaled");

      // The fused statement fails by its start's part (a taken attempt id): the create commits
      // alone and the start fails apart, after it.
      const other = newRequest();
      const [created, clash] = await Promise.allSettled([
        db.s.createRequest(other.request, other.root, createEvents(other.root.id)),
        db.s.startAttempt(
          { ...newAttempt(other.root), id: (await db.s.listAttempts(request.id))[0]!.id },
          COUNTERS,
          startEvents(other.root.id),
        ),
      ]);
      assert.equal(created.status === "fulfilled" && created.value.created, true);
      assert.match(String(clash.status === "rejected" && clash.reason), /duplicate key/);
      assert.equal((await db.s.getRequest(other.request.id))?.status, "pending");
      assert.equal((await db.s.getCall(other.root.id))?.status, "pending");
      assert.equal((await seqs(db.s, other.request.id)).length, 2);
    } finally {
      await db.close();
    }
  });

  test("a create with an idempotency key is not fused: when it inserts nothing, its start claims nothing", async () => {
    const db = await open();
    try {
      const first = newRequest({ idempotencyKey: "k1" });
      await db.s.createRequest(first.request, first.root, createEvents(first.root.id));
      const { request, root } = newRequest({ idempotencyKey: "k1" });
      const [created, started] = await Promise.all([
        db.s.createRequest(request, root, createEvents(root.id)),
        db.s.startAttempt(newAttempt(root), COUNTERS, startEvents(root.id)),
      ]);
      assert.deepEqual([created.created, created.request.id, started], [false, first.request.id, null]);

      // A new key: created, and started apart (seqs as ever).
      const fresh = newRequest({ idempotencyKey: "k2" });
      const [made, ok] = await Promise.all([
        db.s.createRequest(fresh.request, fresh.root, createEvents(fresh.root.id)),
        db.s.startAttempt(newAttempt(fresh.root), COUNTERS, startEvents(fresh.root.id)),
      ]);
      assert.equal(made.created, true);
      assert.deepEqual(ok === "full" ? ok : ok?.map((e) => e.seq), [3]);
    } finally {
      await db.close();
    }
  });

  test("a start issued once the create's statement is sent runs apart, after it", { timeout: 20_000 }, async () => {
    const db = await open();
    const blocker = postgres(TEST_POSTGRES_URL, {
      max: 1,
      onnotice: () => {},
      connection: { search_path: db.schema },
    });
    try {
      const { request, root } = newRequest();
      const waiting = () => waitFor(async () => (await db.admin`SELECT 1 FROM pg_locks WHERE NOT granted`).length > 0);
      let issued!: () => void;
      let insert!: () => void;
      const startIssued = new Promise<void>((resolve) => (issued = resolve));
      const inserted = new Promise<void>((resolve) => (insert = resolve));
      // Another transaction inserts the same request id first: the create's statement, sent, waits
      // on it until the start is issued, then that transaction rolls back.
      const holding = blocker.begin(async (tx) => {
        await tx`INSERT INTO requests (id, namespace, application, version, status, input_type, input_size,
          root_call_id, created_at) VALUES (${request.id}, 'default', 'x', 1, 'pending', '', 0, 'none', 0)`;
        insert();
        await startIssued;
        throw new Error("roll back");
      });
      await inserted;
      const created = db.s.createRequest(request, root, createEvents(root.id));
      await waiting();
      const started = db.s.startAttempt(newAttempt(root), COUNTERS, startEvents(root.id));
      issued();
      await assert.rejects(holding, /roll back/);
      assert.equal((await created).created, true);
      assert.deepEqual(
        ((await started) as { seq: number }[]).map((e) => e.seq),
        [3],
      );
      assert.deepEqual((await seqs(db.s, request.id)).at(-1), [3, "attempt:started", root.id]);
      assert.equal((await db.s.getRequest(request.id))?.status, "running");
    } finally {
      await blocker.end({ timeout: 5 });
      await db.close();
    }
  });
});

async function waitFor(check: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("waitFor: timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}
