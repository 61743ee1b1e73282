/** Contract: requests (creation, idempotency, pagination, finishing, deletion). */
import assert from "node:assert/strict";
import type { ListRequestsQuery, RequestRow } from "../types.js";
import {
  ALL_BYTES,
  blob,
  ev,
  inline,
  newRequest,
  seedRequest,
  seedRunning,
  storeTest,
  type MakeStore,
} from "./fixtures.js";

export function requestContract(makeStore: MakeStore): void {
  storeTest(makeStore, "createRequest stores a pending request, its root call and its events", async (s) => {
    const { request, root } = newRequest({ input: inline(ALL_BYTES, "application/octet-stream") });
    const res = await s.createRequest(request, root, [
      ev("request:started"),
      ev("call:created", { callId: root.id, parentCallId: null }),
    ]);
    assert.equal(res.created, true);
    assert.deepEqual(
      res.events.map((e) => e.seq),
      [1, 2],
    );
    const expected: RequestRow = {
      ...request,
      status: "pending",
      failureReason: null,
      requestError: null,
      error: null,
      output: null,
      finishedAt: null,
    };
    assert.deepEqual(res.request, expected);
    assert.deepEqual(await s.getRequest(request.id), expected);
    const call = await s.getCall(root.id);
    assert.equal(call?.status, "pending");
    assert.equal(call?.attemptsUsed, 0);
    assert.equal(call?.result, null);
    assert.deepEqual(
      (await s.listEvents(request.id, 0, 100)).map((e) => e.kind),
      ["request:started", "call:created"],
    );
    assert.equal(await s.getRequest("nope"), null);
  });

  storeTest(makeStore, "a request without input and with a blob input round-trip", async (s) => {
    const a = await seedRequest(s, { input: null });
    assert.equal((await s.getRequest(a.request.id))?.input, null);
    const b = await seedRequest(s, { input: blob("default/app/r/input", 5_000_000_000) });
    assert.deepEqual((await s.getRequest(b.request.id))?.input, blob("default/app/r/input", 5_000_000_000));
  });

  storeTest(
    makeStore,
    "createRequest with a known idempotency key returns the same request and inserts nothing",
    async (s) => {
      const first = newRequest({ idempotencyKey: "key-1" });
      const r1 = await s.createRequest(first.request, first.root, [ev("request:started")]);
      const second = newRequest({ idempotencyKey: "key-1" });
      const r2 = await s.createRequest(second.request, second.root, [ev("request:started")]);
      assert.equal(r2.created, false);
      assert.deepEqual(r2.events, []);
      assert.deepEqual(r2.request, r1.request);
      assert.equal(await s.getRequest(second.request.id), null);
      assert.equal(await s.getCall(second.root.id), null);
      assert.equal((await s.listEvents(first.request.id, 0, 100)).length, 1);

      // The key is scoped to (namespace, application); a null key never deduplicates.
      const other = newRequest({ idempotencyKey: "key-1", application: "other" });
      assert.equal((await s.createRequest(other.request, other.root, [])).created, true);
      const n1 = newRequest();
      const n2 = newRequest();
      assert.equal((await s.createRequest(n1.request, n1.root, [])).created, true);
      assert.equal((await s.createRequest(n2.request, n2.root, [])).created, true);
    },
  );

  storeTest(
    makeStore,
    "the invoke's headers round-trip in order, with repeats and any bytes of a value; none stays none",
    async (s) => {
      const headers: [string, string][] = [
        ["x-tenant", "acme"],
        ["accept", "text/event-stream"],
        ["x-tenant", 'second ✓ "quoted"'],
        ["x-empty", ""],
      ];
      const { request, root } = newRequest();
      const created = await s.createRequest({ ...request, headers }, root, []);
      assert.deepEqual(created.request.headers, headers);
      assert.deepEqual((await s.getRequest(request.id))?.headers, headers);
      assert.deepEqual((await s.listUnfinishedRequests()).find((r) => r.id === request.id)?.headers, headers);
      const none = await seedRequest(s);
      assert.equal((await s.getRequest(none.request.id))?.headers, undefined);
    },
  );

  storeTest(
    makeStore,
    "the input hash is stored with the request, and a repeated key answers the first request's hash",
    async (s) => {
      const first = newRequest({ idempotencyKey: "key-h", inputHash: "sha256:aaa" });
      const r1 = await s.createRequest(first.request, first.root, []);
      assert.equal(r1.request.inputHash, "sha256:aaa");
      assert.equal((await s.getRequest(first.request.id))?.inputHash, "sha256:aaa");
      const second = newRequest({ idempotencyKey: "key-h", inputHash: "sha256:bbb" });
      const r2 = await s.createRequest(second.request, second.root, []);
      assert.equal(r2.created, false);
      assert.equal(r2.request.id, first.request.id);
      assert.equal(
        r2.request.inputHash,
        "sha256:aaa",
        "the stored hash, not the caller's, so the caller can tell a reuse",
      );
      assert.equal(await s.getRequest(second.request.id), null);
      const none = await seedRequest(s);
      assert.equal((await s.getRequest(none.request.id))?.inputHash, null);
    },
  );

  storeTest(makeStore, "concurrent creates with one idempotency key yield one request", async (s) => {
    const tries = Array.from({ length: 8 }, () => newRequest({ idempotencyKey: "same" }));
    const results = await Promise.all(tries.map((t) => s.createRequest(t.request, t.root, [])));
    assert.equal(results.filter((r) => r.created).length, 1);
    assert.equal(new Set(results.map((r) => r.request.id)).size, 1);
    assert.equal((await s.listRequests({ namespace: "default", application: "app", limit: 100 })).rows.length, 1);
  });

  storeTest(makeStore, "listRequests pages newest first with no duplicates or gaps, filtered by status", async (s) => {
    const made: RequestRow[] = [];
    // Several requests share a createdAt so the id tie-break is exercised.
    for (let i = 0; i < 23; i++) made.push((await seedRequest(s, { createdAt: 1_000 + Math.floor(i / 3) })).request);
    await seedRequest(s, { application: "elsewhere" });
    for (const r of made.filter((_, i) => i % 4 === 0)) {
      assert.ok(await s.finishRequest(r.id, { status: "succeeded", finishedAt: 5_000 }, []));
    }
    const expected = [...made].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));

    const pageAll = async (status?: "succeeded" | "pending") => {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 50; pages++) {
        const page: { rows: RequestRow[]; nextCursor: string | null } = await s.listRequests({
          namespace: "default",
          application: "app",
          status,
          cursor,
          limit: 5,
        });
        assert.ok(page.rows.length <= 5);
        seen.push(...page.rows.map((r) => r.id));
        if (page.nextCursor === null) return seen;
        assert.equal(page.rows.length, 5, "only the last page may be short");
        cursor = page.nextCursor;
      }
      assert.fail("pagination did not terminate");
    };
    assert.deepEqual(
      await pageAll(),
      expected.map((r) => r.id),
    );
    assert.deepEqual(
      await pageAll("succeeded"),
      expected.filter((r) => made.indexOf(r) % 4 === 0).map((r) => r.id),
    );
    assert.deepEqual(
      await pageAll("pending"),
      expected.filter((r) => made.indexOf(r) % 4 !== 0).map((r) => r.id),
    );

    const exact = await s.listRequests({ namespace: "default", application: "elsewhere", limit: 1 });
    assert.equal(exact.rows.length, 1);
    assert.equal(exact.nextCursor, null, "no cursor when the page is exactly the rest");
    await assert.rejects(
      s.listRequests({ namespace: "default", application: "app", cursor: "not-a-cursor", limit: 5 }),
      /cursor/,
    );
  });

  storeTest(makeStore, "listRequests filters by id prefix and creation time, and pages within them", async (s) => {
    const made: RequestRow[] = [];
    for (let i = 0; i < 10; i++) made.push((await seedRequest(s, { createdAt: 1_000 + i })).request);
    await seedRequest(s, { application: "elsewhere", createdAt: 1_004 });
    const list = async (q: Partial<ListRequestsQuery>): Promise<string[]> => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { rows: RequestRow[]; nextCursor: string | null } = await s.listRequests({
          namespace: "default",
          application: "app",
          limit: 2,
          ...q,
          cursor,
        });
        seen.push(...page.rows.map((r) => r.id));
        cursor = page.nextCursor;
      } while (cursor !== null && seen.length < 100);
      return seen;
    };
    const newestFirst = (rows: RequestRow[]) => rows.map((r) => r.id).reverse();
    // createdAfter is inclusive, createdBefore exclusive.
    assert.deepEqual(await list({ createdAfter: 1_003, createdBefore: 1_007 }), newestFirst(made.slice(3, 7)));
    assert.deepEqual(await list({ createdBefore: 1_002 }), newestFirst(made.slice(0, 2)));
    assert.deepEqual(await list({ createdAfter: 1_008 }), newestFirst(made.slice(8)));
    assert.deepEqual(await list({ createdAfter: 1_005, createdBefore: 1_005 }), []);

    const target = made[6]!;
    assert.deepEqual(await list({ idPrefix: target.id }), [target.id]);
    const stem = target.id.slice(0, -1);
    assert.deepEqual(await list({ idPrefix: stem }), newestFirst(made.filter((r) => r.id.startsWith(stem))));
    // Exact and case-sensitive: no LIKE wildcard or case folding leaks through.
    assert.deepEqual(await list({ idPrefix: target.id.toUpperCase() }), []);
    assert.deepEqual(await list({ idPrefix: "%" }), []);
    assert.deepEqual(await list({ idPrefix: "_" }), []);
    assert.deepEqual(await list({ idPrefix: target.id, createdBefore: target.createdAt }), []);
    await s.finishRequest(target.id, { status: "succeeded", finishedAt: 5_000 }, []);
    assert.deepEqual(await list({ idPrefix: stem, status: "succeeded", createdAfter: 1_000 }), [target.id]);
  });

  storeTest(makeStore, "finishRequest is a CAS on an unfinished request", async (s) => {
    const { request } = await seedRunning(s);
    const output = inline(ALL_BYTES, "application/octet-stream");
    const evs = await s.finishRequest(
      request.id,
      {
        status: "failed",
        failureReason: "request_error",
        requestError: { functionName: "app", message: "bad" },
        error: { name: "RequestError", message: "bad", retryable: false },
        output,
        finishedAt: 9_000,
      },
      [ev("request:finished", { data: { status: "failed" } })],
    );
    assert.deepEqual(
      evs?.map((e) => e.kind),
      ["request:finished"],
    );
    const row = await s.getRequest(request.id);
    assert.equal(row?.status, "failed");
    assert.equal(row?.failureReason, "request_error");
    assert.deepEqual(row?.requestError, { functionName: "app", message: "bad" });
    assert.deepEqual(row?.error, { name: "RequestError", message: "bad", retryable: false });
    assert.deepEqual(row?.output, output);
    assert.equal(row?.finishedAt, 9_000);

    assert.equal(await s.finishRequest(request.id, { status: "cancelled" }, [ev("request:finished")]), null);
    assert.equal((await s.getRequest(request.id))?.status, "failed");
    assert.equal((await s.listEvents(request.id, 0, 100)).length, 1, "a lost race appends nothing");
    assert.equal(await s.finishRequest("missing", { status: "cancelled" }, []), null);

    const pending = await seedRequest(s);
    assert.ok(
      await s.finishRequest(pending.request.id, { status: "cancelled", failureReason: "cancelled" }, []),
      "pending requests finish too",
    );
  });

  storeTest(makeStore, "listUnfinishedRequests returns pending and running requests only", async (s) => {
    const a = await seedRequest(s, { createdAt: 1 });
    const b = await seedRunning(s, { createdAt: 2 });
    const c = await seedRequest(s, { createdAt: 3 });
    await s.finishRequest(c.request.id, { status: "succeeded" }, []);
    assert.deepEqual(
      (await s.listUnfinishedRequests()).map((r) => r.id),
      [a.request.id, b.request.id],
    );
  });
}
