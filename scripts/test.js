#!/usr/bin/env node
// Runs every compiled test file (unit tests beside the code, test/, e2e/) with node's test runner.
// Node 20 has no glob support in `node --test`, so the files are collected here.
// Usage: node scripts/test.js [filter-substring ...]
import { readdirSync, statSync } from "node:fs";
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
const child = spawn(
  process.execPath,
  ["--test", "--test-reporter=spec", "--test-concurrency=2", "--test-force-exit", "--test-timeout=180000", ...selected],
  { stdio: "inherit", detached: true },
);
const watchdog = setTimeout(() => {
  console.error(`\ntest run exceeded ${limitMin} minutes: stopping it`);
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {}
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
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
