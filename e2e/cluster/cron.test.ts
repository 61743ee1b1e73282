// Cron with two real servers on one PostgreSQL (DESIGN.md §2 Schedules): both tickers race for
// every tick, and each tick makes exactly one request, which runs once. Schedules have minute
// granularity, so this suite waits through two real minute boundaries (one to two minutes).
// Skipped, with a notice, when PostgreSQL is not reachable.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { lines, waitFor } from "../harness/processes.js";
import { clusterSuite, sleep } from "./nodes.js";

// Two ticks: the test runner bounds a file at 180 s, and the first tick may be a minute away.
const TICKS = 2;
const MINUTE = 60_000;

await clusterSuite("cluster cron: one tick is one request", (nodes) => {
  test(
    `two servers, ${TICKS} ticks of "* * * * *": exactly ${TICKS} requests, each run once`,
    { timeout: 175_000 },
    async () => {
      const [a, b] = await nodes.twoWithExecutors();
      const dir = nodes.workDir();
      const id = await a.client.createCronSchedule("cluster_tick", "* * * * *", { dir });
      const [schedule] = await b.client.listCronSchedules("cluster_tick");
      const first = schedule!.next_fire_time_ms;
      assert.equal(first % MINUTE, 0);
      const ticks = Array.from({ length: TICKS }, (_, i) => first + i * MINUTE);
      // Past the last tick (with room for both tickers' passes), before the next one: stop there.
      await sleep(ticks.at(-1)! + 5_000 - Date.now());
      await a.client.deleteCronSchedule("cluster_tick", id);
      const rows = await nodes.db(
        (sql, schema) => sql<{ id: string; idempotency_key: string }[]>`
        SELECT id, idempotency_key FROM ${sql(schema)}.requests WHERE application = 'cluster_tick' ORDER BY created_at`,
      );
      assert.deepEqual(
        rows.map((r) => r.idempotency_key),
        ticks.map((t) => `cron:${id}:${t}`),
        "one request per tick, none missed, none doubled",
      );
      await waitFor("every tick's request to finish", async () => {
        for (const r of rows)
          if ((await a.client.getRequest("cluster_tick", r.id)).status !== "succeeded") return false;
        return true;
      });
      assert.equal(lines(join(dir, "ticks.txt")).length, TICKS, "each request ran once");
    },
  );
});
