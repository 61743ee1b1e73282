/**
 * The SDK entry (`tributary`) reaches run-remote but never the deploy tooling: esbuild, bundle.ts,
 * deploy.ts and the CLI must stay out of user bundles.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ENTRY = fileURLToPath(new URL("../../src/index.js", import.meta.url));

/** Every module reachable from `file` through static and dynamic imports (bare specifiers kept as is). */
function reachable(file: string): Set<string> {
  const seen = new Set<string>();
  const visit = (f: string): void => {
    if (seen.has(f)) return;
    seen.add(f);
    if (!f.startsWith("/")) return;
    const text = readFileSync(f, "utf8");
    for (const m of text.matchAll(/(?:from\s*|import\s*\(\s*|import\s+)["']([^"']+)["']/g)) {
      const spec = m[1]!;
      visit(spec.startsWith(".") ? resolve(dirname(f), spec) : spec);
    }
  };
  visit(file);
  return seen;
}

test("the SDK entry imports run-remote but no bundling, deploy or CLI code", () => {
  const mods = [...reachable(ENTRY)];
  assert.ok(mods.some((m) => m.endsWith("/client/run-remote.js")), "run-remote is reachable");
  const forbidden = mods.filter((m) => m === "esbuild" || m === "commander" || m === "cli-progress" || /\/client\/(bundle|deploy|extract-manifest)\.js$/.test(m) || m.includes("/cli/"));
  assert.deepEqual(forbidden, []);
});
