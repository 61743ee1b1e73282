import { test } from "node:test";
import assert from "node:assert/strict";
import { couldRun, needsKey, parseNeeds, summarize, viewsOf } from "./capabilities.js";
import type { ExecutorView, Requirements } from "./placement.js";

const need = (o: Partial<Requirements> = {}): Requirements => ({
  cpu: 1,
  memory: 1,
  disk: 2,
  gpu: null,
  region: null,
  baseImage: null,
  ...o,
});

const view = (id: string, o: Partial<ExecutorView> = {}): ExecutorView => ({
  id,
  region: "us-east-1",
  capacity: { cpu: 8, memory: 16, disk: 20, gpus: {} },
  images: [],
  used: { cpu: 7, memory: 0, disk: 0 },
  gpusInUse: new Set(),
  connected: true,
  ...o,
});

test("needs text is canonical and round-trips; foreign text parses to null", () => {
  const r = need({ region: "eu-west-1", gpu: ["H100:2"], baseImage: "ffmpeg" });
  assert.equal(needsKey(r), needsKey({ ...r }));
  assert.notEqual(needsKey(r), needsKey({ ...r, cpu: 2 }));
  assert.deepEqual(parseNeeds(needsKey(r)), r);
  assert.equal(parseNeeds("not json"), null);
  assert.equal(parseNeeds('{"cpu":1}'), null);
});

test("a summary lists each executor shape once, ignores what is in use, and answers placement like the executors", () => {
  const eu = view("b", { region: "eu-west-1", images: ["ffmpeg"] });
  const summary = summarize([view("a"), view("a2"), eu]);
  assert.ok(summary);
  const views = viewsOf(summary);
  assert.equal(views.length, 2, "two executors of one shape count once");
  assert.ok(couldRun(need({ cpu: 8 }), views), "capacity in use now does not matter: it frees");
  assert.ok(couldRun(need({ region: "eu-west-1", baseImage: "ffmpeg" }), views));
  assert.ok(!couldRun(need({ region: "eu-west-1", gpu: ["H100:1"] }), views));
  assert.ok(!couldRun(need({ cpu: 9 }), views));
  assert.equal(summarize([]), null);
  assert.deepEqual(viewsOf(null), []);
  assert.ok(!couldRun(need(), []), "no executor: nothing can run");
});
