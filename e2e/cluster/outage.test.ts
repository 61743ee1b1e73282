// The database goes away (docs/operations.md, "When something goes away"): servers stay up, attempts
// keep running on their executors, which hold their results until a server acknowledges them; when
// the database is back, work continues. The servers reach PostgreSQL through a TCP proxy this test
// owns (test/helpers/tcp-proxy.ts), so the outage touches only this suite's processes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { lines, waitFor } from "../harness/processes.js";
import { databaseProxy } from "../../test/helpers/tcp-proxy.js";
import { clusterSuite, json, sleep } from "./nodes.js";

await clusterSuite("cluster: the database goes away", (nodes) => {
  test(
    "a result that arrives while the database is away is kept and used once it is back",
    { timeout: 90_000 },
    async (t) => {
      const db = await databaseProxy();
      t.after(() => db.close());
      const [a] = await nodes.cluster(1, {}, db.url);
      nodes.startExecutor([a!]);
      await nodes.executorOn(a!);
      const dir = nodes.workDir();
      // fault_parent runs fault_sibling, then fault_slow (20 steps of 100 ms, 2 s in all).
      const { request_id } = await a!.client.invoke("fault_parent", json({ dir, steps: 20 }));
      await waitFor("fault_slow to start", () => existsSync(join(dir, "slow-start")), 20_000, 10);
      await db.cut();
      // fault_slow finishes while the database is away: its result cannot be committed.
      await waitFor("fault_slow to finish", () => existsSync(join(dir, "slow-done")), 10_000, 20);
      await sleep(1_500);
      const during = await fetch(`${a!.url}/applications/fault_parent/requests/${request_id}`);
      assert.equal(during.status, 503, "the API answers 503 while the database is away");
      assert.equal(((await during.json()) as { error: { code: string } }).error.code, "store_unavailable");
      await db.restore();
      const status = await waitFor(
        "the request to finish once the database is back",
        async () => {
          const r = await a!.client.getRequest("fault_parent", request_id).catch(() => null);
          return r && r.status !== "running" && r.status !== "pending" ? r.status : false;
        },
        30_000,
        200,
      ).catch(async (e: Error) => {
        const rows = await nodes.db(
          (sql, schema) => sql`SELECT c.function_name, c.status, a.number, a.status AS attempt, a.executor_id
            FROM ${sql(schema)}.function_calls c LEFT JOIN ${sql(schema)}.attempts a ON a.call_id = c.id
            WHERE c.request_id = ${request_id}`,
        );
        throw new Error(`${e.message}\n${JSON.stringify(rows)}\nserver output:\n${a!.proc.output().slice(-3000)}`);
      });
      assert.equal(status, "succeeded");
      const out = await a!.client.getOutput("fault_parent", request_id);
      assert.equal(new TextDecoder().decode(out.bytes), "3");
      // Nothing that finished ran again.
      for (const f of ["parent-start", "sibling", "slow-start", "slow-done"])
        assert.equal(lines(join(dir, f)).length, 1, f);
    },
  );
});
