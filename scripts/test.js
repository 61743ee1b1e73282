#!/usr/bin/env node
// Runs every compiled test file (unit tests beside the code, test/, e2e/) with node's test runner.
// Node 20 has no glob support in `node --test`, so the files are collected here.
// Usage: node scripts/test.js [filter-substring ...]
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { buildDashboard } from "./build-dashboard.js";

// The dashboard's script is type-checked by its own tsconfig and bundled by esbuild, not by the root
// tsc: do both here so a `tsc`-only build tests the current browser code, and a core change that
// pulls Node code into the API types the browser reads fails now rather than in `npm run build`.
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
if (spawnSync(process.execPath, [tsc, "-p", "src/dashboard/browser"], { stdio: "inherit" }).status !== 0) {
  console.error("the dashboard's browser code does not type-check (tsc -p src/dashboard/browser)");
  process.exit(1);
}
await buildDashboard();

const roots = ["dist/src", "dist/test", "dist/e2e"];
const filters = process.argv.slice(2);
const files = [];
function walk(dir) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p);
    else if (n.endsWith(".test.js")) files.push(p);
  }
}
roots.forEach(walk);
const selected = filters.length ? files.filter((f) => filters.some((s) => f.includes(s))) : files;
if (selected.length === 0) {
  console.error("no test files found (did the build run?)");
  process.exit(1);
}
// --test-force-exit: a file whose tests are done but leaves a handle open must not stall the run.
// --test-timeout: no single test may hang the suite. The whole run is bounded too (CI has a limit).
const limitMin = Number(process.env.TEST_TIMEOUT_MIN ?? 25);
// Every process of this run inherits a marker, so that what a test file left behind (its cleanup
// never runs when the runner stops it at its time limit, and the servers and executors it started
// lead process groups of their own) is found and stopped when the run ends. Such a file has already
// failed, so this stops processes without hiding anything.
const RUN_ID = `${process.pid}-${Date.now()}`;
const RUN_MARKER = `TRIBUTARY_TEST_RUN=${RUN_ID}`;
const child = spawn(
  process.execPath,
  ["--test", "--test-reporter=spec", "--test-concurrency=2", "--test-force-exit", "--test-timeout=180000", ...selected],
  { stdio: "inherit", detached: true, env: { ...process.env, TRIBUTARY_TEST_RUN: RUN_ID } },
);
/** SIGKILLs every process still carrying this run's marker (Linux: read from /proc/<pid>/environ). */
function stopLeftovers() {
  let pids;
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return; // no procfs: nothing to look at
  }
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(RUN_MARKER))
        process.kill(Number(pid), "SIGKILL");
    } catch {
      /* gone, or not ours to read */
    }
  }
}
const watchdog = setTimeout(() => {
  console.error(`\ntest run exceeded ${limitMin} minutes: stopping it`);
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {}
  stopLeftovers();
  console.log("0 passed, 1 failed");
  process.exit(1);
}, limitMin * 60_000);
watchdog.unref();
const stop = (sig) => {
  try {
    process.kill(-child.pid, sig);
  } catch {}
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
child.on("exit", (code, signal) => {
  stopLeftovers();
  process.exit(code ?? (signal ? 1 : 0));
});
