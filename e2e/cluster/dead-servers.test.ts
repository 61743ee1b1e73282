// Dead servers' rows (DESIGN.md §3 "Leases"): a server that crashed leaves its row in `servers`;
// live servers delete it once its lease ran out over an hour ago and it owns nothing unfinished
// (its requests are taken over first). Several servers starting at once all prune; each row goes
// once. Skipped, with a notice, when PostgreSQL is not reachable.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { lines } from "../harness/processes.js";
import { clusterSuite, json, outcome, type Node } from "./nodes.js";

const HOUR = 3_600_000;

await clusterSuite("cluster: dead servers' rows", (nodes) => {
  const serverIds = (): Promise<string[]> =>
    nodes.db(async (sql, schema) =>
      (await sql<{ id: string }[]>`SELECT id FROM ${sql(schema)}.servers ORDER BY id`).map((r) => r.id),
    );

  test(
    "live servers delete long-dead servers' rows, a dead owner's only after its request was taken over",
    { timeout: 90_000 },
    async () => {
      const [a] = (await nodes.cluster(1)) as [Node];
      // No executor anywhere: the request stays pending; it is then made a dead server's.
      const dir = nodes.workDir();
      const { request_id } = await a.client.invoke("fault_once", json({ dir }));
      const now = Date.now();
      await nodes.db(async (sql, schema) => {
        const t = sql(schema);
        await sql`INSERT INTO ${t}.servers (id, started_at, lease_until) VALUES
          ('dead-idle', ${now - 3 * HOUR}, ${now - 2 * HOUR}),
          ('dead-owner', ${now - 3 * HOUR}, ${now - 2 * HOUR}),
          ('dead-recently', ${now - HOUR}, ${now - 60_000})`;
        await sql`UPDATE ${t}.requests SET owner = 'dead-owner', needs = NULL WHERE id = ${request_id}`;
      });

      // Two servers start at once; each prunes at its first renewal, before it serves.
      const [b, c] = await Promise.all([nodes.startServer(), nodes.startServer()]);
      let ids = await serverIds();
      assert.ok(!ids.includes("dead-idle"), `the idle dead server's row is gone: ${ids.join(", ")}`);
      assert.ok(ids.includes("dead-owner"), "kept: it owns an unfinished request");
      assert.ok(ids.includes("dead-recently"), "kept: its lease ran out less than an hour ago");
      const said = [a, b!, c!].filter((n) => /removed the rows of 1 server\(s\).*: dead-idle\n/.test(n.proc.output()));
      assert.equal(said.length, 1, "one server deleted it, and said so");

      // An executor connects: its server takes the dead owner's request over and runs it.
      nodes.startExecutor([b!]);
      assert.deepEqual(await outcome(b!, "fault_once", request_id), { status: "succeeded", output: "done" });
      assert.equal(lines(join(dir, "once")).length, 1);
      const d = await nodes.startServer();
      ids = await serverIds();
      assert.ok(!ids.includes("dead-owner"), `its row goes once nothing unfinished is its: ${ids.join(", ")}`);
      assert.ok(ids.includes("dead-recently"));
      // d at its first renewal, or another server at its once-a-minute round.
      const outputs = [a, b!, c!, d].map((n) => n.proc.output()).join("");
      assert.match(outputs, /removed the rows of 1 server\(s\).*: dead-owner\n/);
      assert.equal(ids.length, 5, "the four live servers and dead-recently");
    },
  );
});
