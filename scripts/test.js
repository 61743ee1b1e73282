#!/usr/bin/env node
// Runs every compiled test file (unit tests beside the code, test/, e2e/) with node's test runner.
// Node 20 has no glob support in `node --test`, so the files are collected here.
// Usage: node scripts/test.js [filter-substring ...]
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawn } from "node:child_process";

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
const child = spawn(process.execPath, ["--test", "--test-reporter=spec", "--test-concurrency=2", ...selected], { stdio: "inherit" });
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
