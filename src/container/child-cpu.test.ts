// The container's own CPU figure covers child processes it waited for, and reads nothing until one starts.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as cp from "node:child_process";
import { childCpuMark, childCpuSince, trackChildProcesses } from "./child-cpu.js";

const SPIN = "const s=process.cpuUsage();for(;;){const d=process.cpuUsage(s);if(d.user+d.system>=3e5)break}";

test("no child started: the children's CPU is 0 without a read; then spawnSync, execFileSync and spawn count", async () => {
  trackChildProcesses();
  assert.equal(childCpuMark(), null, "nothing to read before a child starts");
  assert.equal(childCpuSince(null), 0);
  // A named import of the module (as a bundle has) goes through the wrapper too.
  const mark = childCpuMark();
  cp.spawnSync(process.execPath, ["-e", SPIN], { stdio: "ignore" });
  const sync = childCpuSince(mark);
  assert.ok(sync >= 250_000, `spawnSync child: ${sync} µs, expected ~300 ms`);
  const m2 = childCpuMark();
  assert.notEqual(m2, null);
  cp.execFileSync(process.execPath, ["-e", SPIN], { stdio: "ignore" });
  assert.ok(childCpuSince(m2) >= 250_000, "execFileSync child");
  const m3 = childCpuMark();
  await new Promise((resolve) => cp.spawn(process.execPath, ["-e", SPIN], { stdio: "ignore" }).on("exit", resolve));
  assert.ok(childCpuSince(m3) >= 250_000, "spawn child, awaited");
});
