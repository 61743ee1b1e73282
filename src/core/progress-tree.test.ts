// The call-tree progress aggregate: own fractions win, parents without their own take their
// children's mean, finished children count 1, and the request's figure never goes backwards.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProgressTree } from "./progress-tree.js";

test("a parent that only fans out to 4 children advances with them and reaches 1", () => {
  const t = new ProgressTree();
  t.add("root", null);
  for (const c of ["a", "b", "c", "d"]) t.add(c, "root");
  const seen: number[] = [];
  for (let step = 1; step <= 10; step++) for (const c of ["a", "b", "c", "d"]) seen.push(t.report(c, step, 10));
  assert.equal(seen[0], 0.025);
  assert.equal(seen.at(-1), 1);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! >= seen[i - 1]!, "never decreases");
  assert.ok(new Set(seen).size >= 4);
  t.finish("root", true);
  assert.equal(t.fraction(), 1);
});

test("a call's own figure is exact: 1/3 stays 1/3", () => {
  const t = new ProgressTree();
  t.add("root", null);
  assert.deepEqual(
    [1, 2, 3].map((i) => t.report("root", i, 3)),
    [1 / 3, 2 / 3, 1],
  );
});

test("a call's own current/total wins over its children; finished children count 1", () => {
  const t = new ProgressTree();
  t.add("root", null);
  t.add("x", "root");
  t.add("y", "root");
  t.finish("x", true);
  assert.equal(t.fraction(), 0.5);
  t.add("y1", "y");
  t.add("y2", "y");
  assert.equal(t.report("y1", 1, 2), 0.625, "y1 = 0.5, so y = 0.25 and the root (1 + 0.25) / 2");
  t.report("root", 1, 10);
  assert.equal(t.fraction(), 0.625, "the root's own 0.1 would go backwards: the request keeps 0.625");
  t.report("root", 9, 10);
  assert.equal(t.fraction(), 0.9);
});

test("a failed child keeps what it reached; an unknown call changes nothing; deep trees carry up", () => {
  const t = new ProgressTree();
  t.add("root", null);
  let parent = "root";
  for (let d = 0; d < 50; d++) {
    t.add(`n${d}`, parent);
    parent = `n${d}`;
  }
  t.report("n49", 1, 4);
  assert.equal(t.fraction(), 0.25);
  t.finish("n49", false);
  assert.equal(t.fraction(), 0.25);
  t.report("ghost", 1, 1);
  assert.equal(t.fraction(), 0.25);
  t.report("n49", 1, 0);
  assert.equal(t.fraction(), 0.25, "a zero total is ignored");
});

test("10,000 children cost one step per update", () => {
  const t = new ProgressTree();
  t.add("root", null);
  for (let i = 0; i < 10_000; i++) t.add(`c${i}`, "root");
  const started = process.hrtime.bigint();
  for (let i = 0; i < 10_000; i++) t.finish(`c${i}`, true);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(Math.abs(t.fraction() - 1) < 1e-9);
  assert.ok(ms < 2_000, `10,000 finishes took ${ms} ms`);
});
