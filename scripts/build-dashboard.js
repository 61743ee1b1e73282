#!/usr/bin/env node
// Bundles the dashboard's browser modules (src/dashboard/browser, type-checked by their own
// tsconfig) into dist/src/dashboard/app.js, the one script the server serves at /ui/app.js.
// Run by `npm run build` (and so by `prepare` on `npm ci`) and before tests by scripts/test.js, so
// a build with plain `tsc` still serves a current dashboard. Takes well under a second.
import { build } from "esbuild";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Writes dist/src/dashboard/app.js; rejects (with esbuild's messages) when the bundle fails. */
export async function buildDashboard() {
  await build({
    absWorkingDir: root,
    entryPoints: ["src/dashboard/browser/main.ts"],
    outfile: "dist/src/dashboard/app.js",
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    // No minification: the served script stays readable in the browser's devtools.
    minify: false,
    legalComments: "none",
    banner: {
      js: "// Tributary dashboard, bundled from src/dashboard/browser (served by the server; no external code).",
    },
    logLevel: "warning",
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await buildDashboard();
