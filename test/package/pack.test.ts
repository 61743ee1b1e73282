// What `npm pack` would publish (issue 10.5): the product and nothing that only serves its tests.
// Test files (`*.test.*`) and the store contract suites (`contract.*`, `contract/`) compile into
// dist/src beside the code they test; package.json's `files` leaves them out, and test helpers live
// under test/, which is not packed. This reads the real pack list, so a new test helper shipped by
// mistake fails here even under a name the patterns miss: no packed module may import node:test
// or node:assert.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..", "..");

interface PackEntry {
  path: string;
}

/** The file list of `npm pack --dry-run` (scripts skipped: `prepare` would rebuild dist mid-test). */
async function packedFiles(): Promise<string[]> {
  const { stdout } = await promisify(execFile)("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: root,
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [pack] = JSON.parse(stdout) as { files: PackEntry[] }[];
  assert.ok(pack, "npm pack printed one package");
  return pack.files.map((f) => f.path);
}

test(
  "npm pack ships the entry points and no test file, contract suite or test helper",
  { timeout: 90_000 },
  async () => {
    const files = await packedFiles();
    const listed = new Set(files);

    // Every entry point package.json names, and the dashboard's bundled script.
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      exports: Record<string, string | Record<string, string>>;
      bin: Record<string, string>;
    };
    const targets = [
      ...Object.values(pkg.exports).flatMap((e) => (typeof e === "string" ? [e] : Object.values(e))),
      ...Object.values(pkg.bin),
    ].map((p) => p.replace(/^\.\//, ""));
    for (const required of [
      "dist/src/index.js",
      "dist/src/testing/index.js",
      "bin/tributary.js",
      "dist/src/dashboard/app.js",
      ...targets,
    ]) {
      assert.ok(listed.has(required), `${required} is packed`);
    }
    // The CLI's code and the store adapters (with their migrations) are product, not test support.
    for (const required of [
      "dist/src/cli/main.js",
      "dist/src/store/sqlite/index.js",
      "dist/src/store/postgres/index.js",
      "dist/src/store/shared/rows.js",
    ]) {
      assert.ok(listed.has(required), `${required} is packed`);
    }

    const testOnly = files.filter(
      (f) =>
        /\.test\.(js|d\.ts|js\.map)$/.test(f) ||
        /(^|\/)contract(\/|\.)/.test(f) ||
        /(^|\/)(test|e2e|bench|examples)\//.test(f) ||
        /postgres-database|test-database|fixtures/.test(f) ||
        f.startsWith("src/"),
    );
    assert.deepEqual(testOnly, []);

    // The catch-all: a packed module that imports the test runner or assert is test support.
    const withTestImports = files
      .filter((f) => f.endsWith(".js"))
      .filter((f) =>
        /from\s*["']node:(test|assert)(\/strict)?["']|import\(["']node:(test|assert)/.test(
          readFileSync(join(root, f), "utf8"),
        ),
      );
    assert.deepEqual(withTestImports, []);
  },
);
