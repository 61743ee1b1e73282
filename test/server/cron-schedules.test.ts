// The cron-schedules routes in-process (`app.request()`): create, list, delete, the 400s for bad
// expressions and bodies, 404 for an unknown application or schedule, and the key they need.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startCluster, sourceOf, type Cluster } from "../helpers/cluster.js";

let c: Cluster;
let keyed: Cluster;

async function call(
  cl: Cluster,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any }> {
  const res = await cl.server.app.request(path, {
    method,
    headers: { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

before(async () => {
  c = await startCluster({ executor: null });
  await c.deploy(sourceOf(import.meta.url, "./apps.ts"));
  keyed = await startCluster({ executor: null, server: { apiKeys: ["admin-key"] } });
});
after(async () => Promise.all([c?.stop(), keyed?.stop()]));

describe("cron-schedules routes", () => {
  test("create, list (Tensorlake's shape), delete, under both path forms", async () => {
    const before = Date.now();
    const made = await call(c, "POST", "/applications/api_echo/cron-schedules", {
      cron_expression: "  */5  * * * *",
      input: { n: 1 },
    });
    assert.equal(made.status, 200, JSON.stringify(made.json));
    assert.match(made.json.schedule_id, /^cron_[0-9a-f]{32}$/);
    const other = await call(c, "POST", "/v1/namespaces/default/applications/api_echo/cron-schedules", {
      cron_expression: "0 3 * * MON",
    });
    assert.equal(other.status, 200);

    const list = await call(c, "GET", "/v1/namespaces/default/applications/api_echo/cron-schedules");
    assert.equal(list.status, 200);
    assert.deepEqual(Object.keys(list.json), ["schedules"]);
    const [first, second] = list.json.schedules;
    assert.deepEqual(Object.keys(first).sort(), [
      "application_name",
      "cron_expression",
      "enabled",
      "id",
      "last_fired_at_ms",
      "next_fire_time_ms",
    ]);
    assert.equal(first.id, made.json.schedule_id);
    assert.equal(first.application_name, "api_echo");
    assert.equal(first.cron_expression, "*/5 * * * *", "stored normalised");
    assert.equal(first.enabled, true);
    assert.equal(first.last_fired_at_ms, null);
    assert.equal(first.next_fire_time_ms % (5 * 60_000), 0, "the next five-minute boundary");
    assert.ok(first.next_fire_time_ms > before && first.next_fire_time_ms <= Date.now() + 5 * 60_000);
    assert.equal(new Date(second.next_fire_time_ms).getUTCDay(), 1, "Monday");
    assert.equal(new Date(second.next_fire_time_ms).getUTCHours(), 3, "03:00 UTC");
    assert.deepEqual(
      (await call(c, "GET", "/applications/api_person/cron-schedules")).json,
      { schedules: [] },
      "per application",
    );

    const del = await call(c, "DELETE", `/applications/api_echo/cron-schedules/${made.json.schedule_id}`);
    assert.deepEqual(del, { status: 200, json: { deleted: made.json.schedule_id } });
    const again = await call(c, "DELETE", `/applications/api_echo/cron-schedules/${made.json.schedule_id}`);
    assert.equal(again.status, 404);
    assert.equal(again.json.error.code, "not_found");
    const left = await call(c, "GET", "/applications/api_echo/cron-schedules");
    assert.deepEqual(
      left.json.schedules.map((s: { id: string }) => s.id),
      [other.json.schedule_id],
    );
  });

  test("a bad expression is a 400 naming the field; nothing is stored", async () => {
    const cases: [string, RegExp, number | undefined][] = [
      ["61 * * * *", /field 1 \(minute\) "61".*0-59/, 1],
      ["* 24 * * *", /field 2 \(hour\) "24".*0-23/, 2],
      ["* * 0 * *", /field 3 \(day of month\) "0".*1-31/, 3],
      ["* * * 13 *", /field 4 \(month\) "13"/, 4],
      ["* * * * 9", /field 5 \(day of week\) "9"/, 5],
      ["0 * * * * *", /6 fields: seconds are not supported/, undefined],
      ["* * *", /3 fields; expected five fields/, undefined],
      ["@hourly", /1 field; expected five fields/, undefined],
      ["0 0 30 2 *", /never fires/, undefined],
    ];
    for (const [expr, message, field] of cases) {
      const r = await call(c, "POST", "/applications/api_echo/cron-schedules", { cron_expression: expr });
      assert.equal(r.status, 400, expr);
      assert.equal(r.json.error.code, "bad_request");
      assert.match(r.json.error.message, /^cron_expression /);
      assert.match(r.json.error.message, message, expr);
      assert.equal(r.json.error.details.path, "$.cron_expression");
      assert.equal(r.json.error.details.field, field, expr);
    }
    assert.deepEqual((await call(c, "GET", "/applications/api_person/cron-schedules")).json.schedules, []);
  });

  test("bad bodies and inputs are 400s; an unknown application or schedule is a 404", async () => {
    const post = (app: string, body: unknown) => call(c, "POST", `/applications/${app}/cron-schedules`, body);
    const missing = await post("api_echo", {});
    assert.equal(missing.status, 400);
    assert.equal(missing.json.error.details.path, "$.cron_expression");
    assert.equal((await post("api_echo", "{nope")).json.error.details.path, "$");
    assert.equal((await post("api_echo", { cron_expression: "* * * * *", extra: 1 })).status, 400);
    const both = await post("api_echo", { cron_expression: "* * * * *", input: 1, input_base64: "AQ==" });
    assert.equal(both.status, 400);
    assert.match(both.json.error.message, /not both/);
    const schema = await post("api_person", { cron_expression: "* * * * *", input: { name: "Ann", age: "old" } });
    assert.equal(schema.status, 400, "the input is checked against the application's schema");
    assert.equal(schema.json.error.details.path, "$.age");

    const unknown = await post("nope", { cron_expression: "* * * * *" });
    assert.equal(unknown.status, 404);
    assert.match(unknown.json.error.message, /nope/);
    assert.equal((await call(c, "DELETE", "/applications/api_echo/cron-schedules/cron_unknown")).status, 404);
    assert.equal((await call(c, "DELETE", "/applications/api_echo/cron-schedules/bad%20id")).status, 400);
    assert.deepEqual((await call(c, "GET", "/applications/api_person/cron-schedules")).json.schedules, []);
  });

  test("with keys set, the routes need one", async () => {
    assert.equal((await call(keyed, "GET", "/applications/api_echo/cron-schedules")).status, 401);
    assert.equal(
      (await call(keyed, "POST", "/applications/api_echo/cron-schedules", { cron_expression: "* * * * *" })).status,
      401,
    );
    assert.equal((await call(keyed, "DELETE", "/applications/api_echo/cron-schedules/x")).status, 401);
    const ok = await call(keyed, "GET", "/applications/api_echo/cron-schedules", undefined, {
      authorization: "Bearer admin-key",
    });
    assert.deepEqual(ok, { status: 200, json: { schedules: [] } });
  });
});
