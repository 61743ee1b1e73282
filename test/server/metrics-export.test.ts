// GET /metrics exports the users' counters and timers (DESIGN §2 Metrics): counters as `_total`,
// timers as summaries, labelled by namespace, application and function, summed over requests.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startCluster, sourceOf, type Cluster } from "../helpers/cluster.js";
import { labelValue, metricName } from "../../src/server/prometheus-format.js";
import { userFamilies } from "../../src/server/prometheus.js";

let c: Cluster;

before(async () => {
  c = await startCluster();
  await c.deploy(sourceOf(import.meta.url, "./metrics-apps.ts"));
});
after(async () => c?.stop());

async function scrape(): Promise<string> {
  const res = await fetch(`${c.server.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of the sample line `name{labels}`, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Every non-comment line is `name{labels} value` with a valid name: the exposition parses. */
function assertWellFormed(text: string): void {
  const families = new Set<string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const type = /^# TYPE (\S+) (counter|gauge|summary)$/.exec(line);
    if (type) {
      assert.ok(!families.has(type[1]!), `family ${type[1]} declared twice`);
      families.add(type[1]!);
      continue;
    }
    if (line.startsWith("# HELP ")) continue;
    assert.match(
      line,
      /^[a-zA-Z_][a-zA-Z0-9_]*(\{([a-z_]+="([^"\\\n]|\\[\\"n])*",?)*\})? [-+0-9.eE]+(Inf)?$/,
      `bad sample line: ${line}`,
    );
  }
}

const app = (fnName: string): string => `{namespace="default",application="metrics_app",function="${fnName}"}`;

describe("Prometheus export of user metrics", () => {
  test("counters and timers of two requests, per function, through a real server", async () => {
    for (const n of [4, 5]) {
      const req = await c.client.invoke("metrics_app", {
        bytes: new TextEncoder().encode(JSON.stringify(n)),
        contentType: "application/json",
      });
      const { request_id } = req;
      for (let i = 0; i < 400; i++) {
        const d = await c.client.getRequest("metrics_app", request_id);
        if (d.status === "succeeded") break;
        assert.notEqual(d.status, "failed");
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    const text = await scrape();
    assertWellFormed(text);
    assert.match(text, /^# TYPE items_processed_total counter$/m);
    assert.match(text, /^# TYPE processing_time summary$/m);
    // Root: 1 + 2 per request; child: n per request.
    assert.equal(sample(text, `items_processed_total${app("metrics_app")}`), 6);
    assert.equal(sample(text, `items_processed_total${app("metrics_child")}`), 9);
    assert.equal(sample(text, `processing_time_sum${app("metrics_app")}`), 0.5);
    assert.equal(sample(text, `processing_time_count${app("metrics_app")}`), 2);
    assert.equal(sample(text, `processing_time_sum${app("metrics_child")}`), 1);
    assert.equal(sample(text, `processing_time_count${app("metrics_child")}`), 2);
    // A forbidden name is sanitised; a user name never takes an engine family.
    assert.equal(sample(text, `weird_name__x___total${app("metrics_app")}`), 14);
    assert.equal(sample(text, `user_tributary_live_requests_total${app("metrics_app")}`), 2);
    assert.match(text, /^tributary_live_requests \d+$/m);
  });
});

describe("exposition format", () => {
  test("metric names are sanitised", () => {
    assert.equal(metricName("items processed/s"), "items_processed_s");
    assert.equal(metricName("2xx"), "_2xx");
    assert.equal(metricName("a:b"), "a_b");
    assert.equal(metricName("é"), "_");
    assert.equal(metricName("tributary_x"), "user_tributary_x");
  });

  test("label values are escaped", () => {
    assert.equal(labelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  });

  test("colliding names merge into one series; a timer never takes a counter's family", () => {
    const base = { namespace: "ns", application: "app", functionName: 'f"1' };
    const fams = userFamilies([
      { ...base, kind: "counter", name: "a.b", sum: 2, count: 1 },
      { ...base, kind: "counter", name: "a-b", sum: 3, count: 1 },
      { ...base, kind: "counter", name: "a_b_total", sum: 4, count: 1 },
      { ...base, kind: "timer", name: "a_b_total", sum: 1.5, count: 3 },
    ]);
    assert.deepEqual(
      fams.map((f) => [f.name, f.type, f.samples]),
      [
        ["a_b_total", "counter", ['a_b_total{namespace="ns",application="app",function="f\\"1"} 9']],
        [
          "a_b_total_timer",
          "summary",
          [
            'a_b_total_timer_sum{namespace="ns",application="app",function="f\\"1"} 1.5',
            'a_b_total_timer_count{namespace="ns",application="app",function="f\\"1"} 3',
          ],
        ],
      ],
    );
  });
});
