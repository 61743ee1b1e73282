// What an attempt's meter makes of its readings, and the procfs readers it is fed by.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AttemptMeter, type ProbeSample } from "./attempt-meter.js";
import { openProcessCpu, processTree, readProcessCpuSeconds, sampleProcessTree } from "./usage.js";

/** A meter over scripted readings and a manual clock. */
function scripted(readings: (ProbeSample | null)[]) {
  let now = 10_000;
  let i = 0;
  const meter = new AttemptMeter({ probe: () => readings[Math.min(i++, readings.length - 1)]!, now: () => now });
  return { meter, advance: (ms: number) => (now += ms) };
}

test("CPU is the delta over the attempt, peak memory the highest sample, GB-seconds memory × wall", () => {
  // A warm container: 40 s of CPU before this attempt; it ends at 41.25 s, peaking at 300 MB.
  const { meter, advance } = scripted([
    { cpuSeconds: 40, rssBytes: 100e6 },
    { cpuSeconds: 41.25, rssBytes: 80e6 },
  ]);
  advance(1500);
  assert.deepEqual(meter.end({ memoryGb: 2, containerStarted: false, ownRss: 300e6 }), {
    wallSeconds: 1.5,
    cpuSeconds: 1.25,
    peakMemoryBytes: 300e6,
    memoryGbSeconds: 3,
    containerStarted: false,
  });
});

test("a container gone at the end keeps its last readings; the container's own CPU is a floor", () => {
  const { meter } = scripted([{ cpuSeconds: 5, rssBytes: 50e6 }, null]);
  const u = meter.end({ memoryGb: 1, containerStarted: true, ownCpuMicros: 20_000 });
  // Nothing was readable after the start: the tree's delta is 0, the container said 20 ms.
  assert.equal(u.cpuSeconds, 0.02);
  assert.equal(u.peakMemoryBytes, 50e6);
  assert.equal(u.containerStarted, true);
});

test("nothing readable: CPU from the container's own report, else unknown (null), never 0", () => {
  const own = scripted([null]).meter.end({ memoryGb: 1, containerStarted: false, ownCpuMicros: 700_000, ownRss: 9 });
  assert.deepEqual([own.cpuSeconds, own.peakMemoryBytes], [0.7, 9]);
  const none = scripted([null]).meter.end({ memoryGb: 1, containerStarted: false });
  assert.deepEqual([none.cpuSeconds, none.peakMemoryBytes], [null, null]);
});

test("/proc/<pid>/stat parsing survives a command name with spaces and parentheses", () => {
  const root = mkdtempSync(join(tmpdir(), "tributary-proc-"));
  try {
    mkdirSync(join(root, "42"));
    // utime 150, stime 50, cutime 30, cstime 20 ticks = 2.5 s.
    const rest = "S 1 42 42 0 -1 4194304 100 0 0 0 150 50 30 20 20 0 1 0 100 1000 25";
    writeFileSync(join(root, "42", "stat"), `42 (a) (b c) ${rest}\n`);
    assert.equal(readProcessCpuSeconds(42, root), 2.5);
    assert.equal(readProcessCpuSeconds(43, root), null);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("a process tree's CPU includes a child's once it has been waited for", () => {
  const before = sampleProcessTree(process.pid);
  assert.ok(before && before.rssBytes > 0);
  const spin = "const s=process.cpuUsage();for(;;){const d=process.cpuUsage(s);if(d.user+d.system>3e5)break}";
  spawnSync(process.execPath, ["-e", spin], { stdio: "ignore" });
  const after = sampleProcessTree(process.pid)!;
  // The child's 0.3 s (in this process's cutime now) on top of whatever this process used itself.
  assert.ok(after.cpuSeconds - before.cpuSeconds >= 0.28, `${before.cpuSeconds} → ${after.cpuSeconds}`);
  assert.deepEqual(processTree(process.pid)[0], process.pid);
  assert.equal(sampleProcessTree(2 ** 22 + 1), null, "a pid that does not exist");
});

test("the start and end of an attempt read CPU only (light probes); only periodic samples walk the tree", async () => {
  const asked: boolean[] = [];
  const meter = new AttemptMeter({
    probe: (full) => (asked.push(full), { cpuSeconds: asked.length, rssBytes: full ? 1e6 : null }),
    now: () => 0,
    intervalMs: 5,
  });
  await new Promise((r) => setTimeout(r, 30));
  const u = meter.end({ memoryGb: 1, containerStarted: false });
  assert.equal(asked[0], false, "start: light");
  assert.equal(asked.at(-1), false, "end: light");
  assert.ok(asked.slice(1, -1).length > 0 && asked.slice(1, -1).every((f) => f), "samples in between: full");
  assert.equal(u.peakMemoryBytes, 1e6);
});

test("the container's own CPU stands in for the end reading; a cgroup is still read at the end", () => {
  const readings: ProbeSample[] = [
    { cpuSeconds: 10, rssBytes: null },
    { cpuSeconds: 12, rssBytes: null },
  ];
  let reads = 0;
  const probe = () => readings[Math.min(reads++, 1)]!;
  const own = new AttemptMeter({ probe, now: () => 0 }).end({
    memoryGb: 1,
    containerStarted: false,
    ownCpuMicros: 5000,
  });
  assert.equal(reads, 1, "only the start was read");
  assert.equal(own.cpuSeconds, 0.005);
  reads = 0;
  const cg = new AttemptMeter({ probe, now: () => 0, alwaysReadAtEnd: true });
  const u = cg.end({ memoryGb: 1, containerStarted: false, ownCpuMicros: 5000 });
  assert.equal(reads, 2);
  assert.equal(u.cpuSeconds, 2);
});

test("an open stat reader reads the same figure as a fresh read of the file", () => {
  const r = openProcessCpu(process.pid)!;
  try {
    const kept = r.read()!;
    const fresh = readProcessCpuSeconds(process.pid)!;
    assert.ok(kept > 0 && Math.abs(fresh - kept) < 0.5, `kept ${kept}, fresh ${fresh}`);
  } finally {
    r.close();
  }
});
