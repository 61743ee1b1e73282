// The events limit through a real server and executor (the server's maxEventsPerRequest, the CLI's
// --max-events-per-request): a refused child call reaches the function as a catchable
// SDKUsageError, and a function flooding progress fails with an error naming the limit, its request
// finished rather than hanging.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { runRemote } from "../../src/client/index.js";
import { startCluster, sourceOf, type Cluster } from "../../test/helpers/cluster.js";

const LIMIT = 120;
let cluster: Cluster;

describe("events per request, through a real executor", { timeout: 120_000 }, () => {
  before(async () => {
    cluster = await startCluster({ server: { maxEventsPerRequest: LIMIT } });
    await cluster.deploy(sourceOf(import.meta.url, "./apps.ts"));
  });
  after(async () => {
    await cluster?.stop();
  });

  it("a child call past the limit raises SDKUsageError in the caller, which can catch it", async () => {
    const req = await runRemote("ev_fanout", undefined, { server: cluster.server.url });
    const out = (await req.output()) as { ran: number; refusal: string; isUsageError: boolean };
    assert.equal(out.isUsageError, true);
    assert.match(out.refusal, new RegExp(`limit of ${LIMIT} events \\(the server's --max-events-per-request\\)`));
    assert.ok(out.ran > 10, `only ${out.ran} calls ran`);
    let events = 0;
    for await (const _ of req.progress({ events: "all" })) events++;
    assert.ok(events <= LIMIT + 8, `${events} events`);
  });

  it("a function flooding progress fails with the limit named; its request finishes", async () => {
    const req = await runRemote("ev_chatty", undefined, { server: cluster.server.url });
    const outcome = await req.finished();
    assert.equal(outcome.status, "failed");
    assert.equal(outcome.failureReason, "function_error");
    assert.match(outcome.error?.message ?? "", /--max-events-per-request\): progress update refused/);
    const d = await cluster.client.getRequest("ev_chatty", req.id);
    assert.deepEqual(
      d.function_calls.map((c) => [c.status, c.attempts.length]),
      [["failed", 1]],
      "not retried",
    );
  });
});
