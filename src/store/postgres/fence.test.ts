/**
 * The owner fence (connect.ts `serverId`): a server's writes that journal events for a request
 * another live server owns are refused, whole; unowned requests, its own, and those of a server
 * whose lease ran out take them. One fresh schema, dropped at the end. Skipped with a notice when
 * no PostgreSQL answers within 2 s.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { ev, newAttempt, newRequest } from "../contract/fixtures.js";
import { createPostgresStore } from "./index.js";
import { schemaFactory, TEST_POSTGRES_URL, unreachableReason } from "../../../test/helpers/postgres-database.js";

const skip = await unreachableReason();
if (skip !== null) console.log(`postgres tests skipped: ${skip}`);

describe("postgres owner fence", { skip: skip ?? false }, () => {
  const schemas = schemaFactory();
  after(() => schemas.dropAll());

  test(
    "writes of a server that lost a request are refused; the owner's and unowned ones pass",
    { timeout: 20_000 },
    async () => {
      const schema = schemas.next();
      const a = createPostgresStore(TEST_POSTGRES_URL, { schema, serverId: "srv-a", max: 2 });
      const b = createPostgresStore(TEST_POSTGRES_URL, { schema, serverId: "srv-b", max: 2 });
      const plain = createPostgresStore(TEST_POSTGRES_URL, { schema, max: 1 });
      try {
        await a.migrate();
        const now = Date.now();
        await a.renewServerLease("srv-a", now, now, now + 60_000, null);
        await b.renewServerLease("srv-b", now, now, now + 60_000, null);
        const { request, root } = newRequest();
        await a.createRequest({ ...request, owner: "srv-a" }, root, [ev("request:started")]);
        assert.equal((await a.appendEvents(request.id, [ev("progress")])).length, 1, "the owner writes");
        await assert.rejects(b.appendEvents(request.id, [ev("progress")]), /is owned by server "srv-a"/);
        await assert.rejects(
          b.startAttempt(newAttempt(root), { attemptsUsed: 1, infraRetries: 0 }, [ev("attempt:started")]),
          /is owned by server "srv-a"/,
        );
        assert.equal((await b.getCall(root.id))?.status, "pending", "the refused start changed nothing");
        assert.equal((await plain.appendEvents(request.id, [ev("progress")])).length, 1, "no server id: no fence");

        // srv-b takes it over (srv-a's lease ran out): now srv-a is refused, srv-b writes.
        await a.renewServerLease("srv-a", now, now, now - 1, null);
        assert.equal((await b.appendEvents(request.id, [ev("progress")])).length, 1, "a dead owner does not hold it");
        assert.equal((await b.claimRequests("srv-b", Date.now(), 10)).length, 1);
        await a.renewServerLease("srv-a", now, Date.now(), Date.now() + 60_000, null);
        await assert.rejects(
          a.finishRequest(request.id, { status: "cancelled", finishedAt: 2 }, [ev("request:finished")]),
          /is owned by server "srv-b"/,
        );
        assert.equal((await b.getRequest(request.id))?.status, "pending", "the refused finish changed nothing");
        await b.releaseRequests("srv-b", [request.id]);
        assert.equal((await a.appendEvents(request.id, [ev("progress")])).length, 1, "unowned: anyone writes");
      } finally {
        await Promise.all([a.close(), b.close(), plain.close()]);
      }
    },
  );
});
