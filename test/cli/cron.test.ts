// End to end, one real minute: `tributary cron create` on a real server with an executor makes a
// "* * * * *" schedule whose next minute boundary creates exactly one request (with the schedule's
// input), which `cron list` then shows as fired; `cron rm` deletes it; a bad expression exits 1
// with the server's reason.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startCluster, sourceOf, type Cluster } from "../helpers/cluster.js";
import { runCli } from "./run-cli.js";

let c: Cluster;
before(async () => {
  c = await startCluster();
  await c.deploy(sourceOf(import.meta.url, "../server/apps.ts"));
});
after(async () => c?.stop());

const env = (): Record<string, string> => ({ TRIBUTARY_SERVER: c.server.url });

test("a bad expression exits 1 naming the field", { timeout: 30_000 }, async () => {
  const r = await runCli(["cron", "create", "api_echo", "* 25 * * *"], { env: env() });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cron_expression field 2 \(hour\) "25" is not valid/);
  const seconds = await runCli(["cron", "create", "api_echo", "*/10 * * * * *"], { env: env() });
  assert.equal(seconds.code, 1);
  assert.match(seconds.stderr, /seconds are not supported/);
});

test('"* * * * *" creates exactly one request at the next minute boundary', { timeout: 100_000 }, async () => {
  const made = await runCli(["cron", "create", "api_echo", "* * * * *", '{"from":"cron"}'], { env: env() });
  assert.equal(made.code, 0, made.stderr);
  const id = made.stdout.trim();
  assert.match(id, /^cron_[0-9a-f]{32}$/);
  const [schedule] = await c.client.listCronSchedules("api_echo");
  const boundary = schedule!.next_fire_time_ms;
  assert.equal(boundary % 60_000, 0);
  assert.ok(boundary > Date.now() - 1_000 && boundary <= Date.now() + 60_000);

  const deadline = Date.now() + 75_000;
  let rows = (await c.client.listRequests("api_echo")).requests;
  while (rows.length === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    rows = (await c.client.listRequests("api_echo")).requests;
  }
  assert.equal(rows.length, 1, "one request at the boundary");
  const request = rows[0]!;
  assert.ok(request.created_at >= boundary, `created at ${request.created_at}, not before the tick ${boundary}`);
  assert.ok(request.created_at < boundary + 10_000, "promptly after the tick");
  let output: unknown;
  for (let i = 0; i < 200 && output === undefined; i++) {
    const r = await c.client.getRequest("api_echo", request.id);
    if (r.status === "succeeded")
      output = JSON.parse(new TextDecoder().decode((await c.client.getOutput("api_echo", request.id)).bytes));
    else await new Promise((res) => setTimeout(res, 50));
  }
  assert.deepEqual(output, { from: "cron" }, "the schedule's input reached the function");
  assert.equal((await c.client.listRequests("api_echo")).requests.length, 1, "still exactly one");

  const list = await runCli(["cron", "list", "api_echo", "--json"], { env: env() });
  assert.equal(list.code, 0, list.stderr);
  const [listed] = JSON.parse(list.stdout) as { id: string; last_fired_at_ms: number; next_fire_time_ms: number }[];
  assert.equal(listed?.id, id);
  assert.equal(listed?.last_fired_at_ms, boundary);
  assert.equal(listed?.next_fire_time_ms, boundary + 60_000);
  const table = await runCli(["cron", "list", "api_echo"], { env: env() });
  assert.match(table.stdout, new RegExp(`${id}\\s+\\* \\* \\* \\* \\*`));

  const rm = await runCli(["cron", "rm", "api_echo", id], { env: env() });
  assert.equal(rm.code, 0, rm.stderr);
  assert.match(rm.stdout, /deleted cron schedule/);
  assert.deepEqual(await c.client.listCronSchedules("api_echo"), []);
  const again = await runCli(["cron", "rm", "api_echo", id], { env: env() });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /not found/);
});
