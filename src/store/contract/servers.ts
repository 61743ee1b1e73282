/** Contract: scale-out leases (server rows, request owners, claims and releases). */
import assert from "node:assert/strict";
import type { ContainerLimit } from "../types.js";
import { newAttempt, newRequest, seedRequest, storeTest, type MakeStore } from "./fixtures.js";

const LIMIT: ContainerLimit = { namespace: "default", application: "app", version: 1, functions: ["app"], max: 1 };

export function serverContract(makeStore: MakeStore): void {
  storeTest(makeStore, "claimRequests takes unowned unfinished requests, oldest first, once", async (s) => {
    const a = await seedRequest(s, { createdAt: 1_000 });
    const b = await seedRequest(s, { createdAt: 2_000 });
    const done = await seedRequest(s, { createdAt: 500 });
    assert.ok(await s.finishRequest(done.request.id, { status: "cancelled", finishedAt: 3_000 }, []));
    await s.renewServerLease("srv-1", 0, 0, 10_000, null);
    await s.renewServerLease("srv-2", 0, 0, 10_000, null);
    const first = await s.claimRequests("srv-1", 5_000, 1);
    assert.deepEqual(
      first.map((r) => r.id),
      [a.request.id],
    );
    assert.equal(first[0]!.status, "pending");
    assert.deepEqual(
      (await s.claimRequests("srv-2", 5_000, 10)).map((r) => r.id),
      [b.request.id],
      "the other server gets what is left; finished requests are never claimed",
    );
    assert.deepEqual(await s.claimRequests("srv-1", 5_000, 10), [], "nothing is claimable while leases hold");
  });

  storeTest(makeStore, "an owner set at creation holds the request until its lease runs out", async (s) => {
    const { request, root } = newRequest();
    await s.createRequest({ ...request, owner: "srv-a" }, root, []);
    await s.renewServerLease("srv-a", 0, 0, 10_000, null);
    await s.renewServerLease("srv-b", 0, 0, 1e12, null);
    assert.deepEqual(await s.claimRequests("srv-b", 10_000, 10), [], "the lease reaches now");
    assert.deepEqual(await s.claimRequests("srv-a", 20_000, 10), [], "a server never claims its own requests");
    assert.deepEqual(
      (await s.claimRequests("srv-b", 10_001, 10)).map((r) => r.id),
      [request.id],
      "expired: a survivor takes it over",
    );
    await s.renewServerLease("srv-a", 0, 0, 50_000, null);
    assert.deepEqual(await s.claimRequests("srv-a", 20_000, 10), [], "now owned by srv-b");
    assert.equal(await s.liveOwner(request.id, 20_000), "srv-b");
    assert.equal(await s.liveOwner(request.id, 1e12 + 1), null, "its lease ran out");
    assert.equal(await s.liveOwner("nope", 0), null);
  });

  storeTest(makeStore, "an owner with no server row is gone: its requests are claimable at once", async (s) => {
    const { request, root } = newRequest();
    await s.createRequest({ ...request, owner: "srv-never-registered" }, root, []);
    assert.deepEqual(
      (await s.claimRequests("srv-b", 0, 10)).map((r) => r.id),
      [request.id],
    );
  });

  storeTest(makeStore, "claimRequests with ids only looks at those", async (s) => {
    const a = await seedRequest(s);
    const b = await seedRequest(s);
    assert.deepEqual(
      (await s.claimRequests("srv-1", 0, 10, [b.request.id, "nope"])).map((r) => r.id),
      [b.request.id],
    );
    assert.deepEqual(
      (await s.claimRequests("srv-1", 0, 10)).map((r) => r.id),
      [a.request.id],
    );
  });

  storeTest(
    makeStore,
    "transferRequests hands a held request to another server, which then loads it by id",
    async (s) => {
      const a = await seedRequest(s);
      const done = await seedRequest(s);
      await s.renewServerLease("srv-1", 0, 0, 1e12, null);
      await s.renewServerLease("srv-2", 0, 0, 1e12, null);
      assert.equal((await s.claimRequests("srv-1", 0, 10)).length, 2);
      assert.ok(await s.finishRequest(done.request.id, { status: "cancelled", finishedAt: 1 }, []));
      assert.deepEqual(await s.transferRequests("srv-2", "srv-3", [a.request.id]), [], "only the owner hands over");
      assert.deepEqual(
        await s.transferRequests("srv-1", "srv-2", [a.request.id, done.request.id, "nope"]),
        [a.request.id],
        "finished requests stay where they are",
      );
      assert.equal(await s.liveOwner(a.request.id, 0), "srv-2");
      assert.deepEqual(await s.claimRequests("srv-2", 0, 10), [], "not claimable without its id: srv-2 owns it");
      assert.deepEqual(
        (await s.claimRequests("srv-2", 0, 10, [a.request.id])).map((r) => r.id),
        [a.request.id],
        "by id, its owner takes it",
      );
      assert.deepEqual(await s.claimRequests("srv-1", 0, 10, [a.request.id]), [], "the old owner cannot");
      assert.deepEqual(await s.transferRequests("srv-1", "srv-2", []), []);
    },
  );

  storeTest(makeStore, "removeServer and releaseRequests make requests claimable again", async (s) => {
    const a = await seedRequest(s);
    const b = await seedRequest(s);
    await s.renewServerLease("srv-1", 0, 0, 1e12, null);
    await s.renewServerLease("srv-2", 0, 0, 1e12, null);
    assert.equal((await s.claimRequests("srv-1", 0, 10)).length, 2);
    await s.releaseRequests("srv-2", [a.request.id]);
    assert.deepEqual(await s.claimRequests("srv-2", 0, 10), [], "only the owner can release");
    await s.releaseRequests("srv-1", [a.request.id]);
    assert.deepEqual(
      (await s.claimRequests("srv-2", 0, 10)).map((r) => r.id),
      [a.request.id],
    );
    await s.removeServer("srv-1");
    assert.deepEqual(
      (await s.claimRequests("srv-2", 0, 10)).map((r) => r.id),
      [b.request.id],
      "a server that stopped cleanly gave its requests back",
    );
  });

  storeTest(
    makeStore,
    "removeDeadServers deletes long-expired rows that own nothing unfinished, once the owned work is taken over",
    async (s) => {
      await s.renewServerLease("srv-live", 0, 0, 1e12, null);
      await s.renewServerLease("srv-recent", 0, 0, 9_000, null);
      await s.renewServerLease("srv-idle", 0, 0, 1_000, null);
      await s.renewServerLease("srv-busy", 0, 0, 1_000, null);
      await s.renewServerLease("srv-done", 0, 0, 1_000, null);
      const busy = newRequest();
      await s.createRequest({ ...busy.request, owner: "srv-busy" }, busy.root, []);
      const done = newRequest();
      await s.createRequest({ ...done.request, owner: "srv-done" }, done.root, []);
      assert.ok(await s.finishRequest(done.request.id, { status: "cancelled", finishedAt: 2_000 }, []));

      assert.deepEqual(
        await s.removeDeadServers(5_000),
        ["srv-done", "srv-idle"],
        "a finished request does not keep its owner's row; an unfinished one does",
      );
      assert.deepEqual(await s.removeDeadServers(5_000), [], "each row goes once");
      assert.equal(await s.liveOwner(busy.request.id, 5_000), null, "srv-busy's lease ran out");
      assert.deepEqual(
        (await s.claimRequests("srv-live", 5_000, 10)).map((r) => r.id),
        [busy.request.id],
        "a survivor takes its request over",
      );
      assert.deepEqual(await s.removeDeadServers(5_000), ["srv-busy"], "then its row goes too");
      assert.deepEqual(await s.removeDeadServers(1e12), ["srv-recent"], "a row goes only once its lease ran out");
      assert.deepEqual(
        await s.renewServerLease("srv-idle", 0, 6_000, 20_000, null),
        { peers: [{ id: "srv-live", capabilities: null }], lapsed: true },
        "a pruned server that comes back is told its lease lapsed",
      );
    },
  );

  storeTest(makeStore, "concurrent removeDeadServers calls delete each row once between them", async (s) => {
    const dead = Array.from({ length: 12 }, (_, i) => `srv-dead-${String(i).padStart(2, "0")}`);
    for (const id of dead) await s.renewServerLease(id, 0, 0, 1_000, null);
    await s.renewServerLease("srv-live", 0, 0, 1e12, null);
    const got = await Promise.all(Array.from({ length: 4 }, () => s.removeDeadServers(2_000)));
    assert.deepEqual(got.flat().sort(), dead, "every dead row deleted, none twice");
    assert.deepEqual(await s.removeDeadServers(1e12), [], "the live server's row stays");
  });

  storeTest(
    makeStore,
    "a renewal answers the live peers with their capabilities, and whether the lease lapsed",
    async (s) => {
      assert.deepEqual(await s.renewServerLease("srv-a", 0, 1_000, 5_000, "caps-a"), { peers: [], lapsed: true });
      assert.deepEqual(await s.renewServerLease("srv-b", 0, 1_000, 9_000, null), {
        peers: [{ id: "srv-a", capabilities: "caps-a" }],
        lapsed: true,
      });
      assert.deepEqual(await s.renewServerLease("srv-a", 0, 4_000, 8_000, "caps-a2"), {
        peers: [{ id: "srv-b", capabilities: null }],
        lapsed: false,
      });
      const late = await s.renewServerLease("srv-a", 0, 8_500, 12_000, "caps-a2");
      assert.deepEqual(late, { peers: [{ id: "srv-b", capabilities: null }], lapsed: true }, "8,000 < 8,500");
      assert.deepEqual((await s.renewServerLease("srv-b", 0, 12_001, 20_000, null)).peers, [], "srv-a's ran out");
    },
  );

  storeTest(makeStore, "needs: only a claimer that names them takes such a request; a claim clears them", async (s) => {
    for (const srv of ["srv-1", "srv-2", "srv-3"]) await s.renewServerLease(srv, 0, 0, 1e12, null);
    const plain = await seedRequest(s, { createdAt: 1 });
    const { request, root } = newRequest({ createdAt: 2 });
    await s.createRequest({ ...request, needs: "gpu" }, root, []);
    assert.deepEqual(await s.claimableNeeds("srv-1", 0), ["gpu"]);
    assert.deepEqual(
      (await s.claimRequests("srv-1", 0, 10)).map((r) => r.id),
      [plain.request.id],
      "without the needs named, only requests without needs",
    );
    assert.deepEqual(
      (await s.claimRequests("srv-2", 0, 10, undefined, ["cpu", "gpu"])).map((r) => r.id),
      [request.id],
    );
    assert.deepEqual(await s.claimableNeeds("srv-3", 0), [], "claimed (and cleared)");
    await s.releaseRequests("srv-2", [request.id], "region");
    assert.deepEqual(await s.claimableNeeds("srv-3", 0), ["region"], "released with new needs");
    assert.deepEqual(await s.claimRequests("srv-3", 0, 10, undefined, ["gpu"]), []);
    assert.equal((await s.claimRequests("srv-3", 0, 10, [request.id])).length, 1, "named by id: taken anyway");
    assert.deepEqual(await s.notOwned("srv-3", [request.id, plain.request.id, "nope"]), [plain.request.id]);
  });

  storeTest(makeStore, "concurrent claimers never get the same request", async (s) => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add((await seedRequest(s, { createdAt: i })).request.id);
    const got = await Promise.all(
      ["x", "y", "z", "x2"].map((srv) =>
        s.renewServerLease(srv, 0, 0, 1e12, null).then(() => s.claimRequests(srv, 0, 20)),
      ),
    );
    const all = got.flat().map((r) => r.id);
    assert.equal(new Set(all).size, all.length, "no request claimed twice");
    assert.deepEqual(new Set(all), ids);
  });

  storeTest(makeStore, "startAttempt with a limit refuses past max running attempts, even concurrently", async (s) => {
    const seeded = await Promise.all(Array.from({ length: 5 }, () => seedRequest(s)));
    const results = await Promise.all(
      seeded.map(({ root }) => s.startAttempt(newAttempt(root), { attemptsUsed: 1, infraRetries: 0 }, [], LIMIT)),
    );
    assert.equal(results.filter((r) => Array.isArray(r)).length, 1, "exactly one started");
    assert.equal(results.filter((r) => r === "full").length, 4);
    const startedAt = results.findIndex((r) => Array.isArray(r));
    const waiting = seeded[(startedAt + 1) % seeded.length]!;
    assert.equal((await s.getCall(waiting.root.id))?.status, "pending", "a refused start changes nothing");
    const [running] = (await s.listRunningAttempts()).filter((a) => a.callId === seeded[startedAt]!.root.id);
    await s.finishAttempt(running!.id, { status: "succeeded", finishedAt: 3_000 }, { status: "succeeded" }, null, []);
    const next = seeded[(startedAt + 2) % seeded.length]!;
    assert.ok(
      Array.isArray(await s.startAttempt(newAttempt(next.root), { attemptsUsed: 1, infraRetries: 0 }, [], LIMIT)),
      "a finished attempt frees its slot",
    );
    assert.ok(
      Array.isArray(
        await s.startAttempt(newAttempt(waiting.root), { attemptsUsed: 1, infraRetries: 0 }, [], {
          ...LIMIT,
          functions: ["other"],
        }),
      ),
      "other functions are not counted",
    );
  });
}
