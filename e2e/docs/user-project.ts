/**
 * A user's directory outside the checkout, where `npx tributary` is the CLI as a user would have
 * it after `npm install tributary`: `node_modules/tributary` links to the checkout (built), and
 * `node_modules/.bin/tributary` links to its bin, which is exactly what npm creates for an installed
 * package's `bin`. Nothing is downloaded: links instead of `npm install` keep the test fast and
 * offline, and npx finds the local bin as it would after an install.
 *
 * The directory also holds a copy of `examples/` (the docs' commands name `examples/…`, as in a
 * checkout) and links to the packages those examples import (zod), so esbuild resolves them from
 * the project as it would in a user's project.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The checkout this test was built from (dist/e2e/docs → the root). */
export const CHECKOUT = fileURLToPath(new URL("../../../", import.meta.url));

/** The bare package names the examples import, other than tributary and Node's own modules. */
function exampleDependencies(examples: string): string[] {
  const names = new Set<string>();
  for (const f of readdirSync(examples)) {
    if (!f.endsWith(".ts")) continue;
    for (const m of readFileSync(join(examples, f), "utf8").matchAll(/from\s+"([^".][^"]*)"/g)) {
      const spec = m[1]!;
      if (spec.startsWith("node:") || spec === "tributary" || spec.startsWith("tributary/")) continue;
      names.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
    }
  }
  return [...names];
}

/**
 * Creates a fresh user project and returns its directory (the caller removes it).
 *
 * @example
 * const dir = createUserProject(); // then: spawn("sh", ["-c", "npx tributary --version"], { cwd: dir })
 */
export function createUserProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "tributary-docs-"));
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "docs-user", private: true, type: "module" }, null, 2),
  );
  const modules = join(dir, "node_modules");
  mkdirSync(join(modules, ".bin"), { recursive: true });
  symlinkSync(CHECKOUT.replace(/\/$/, ""), join(modules, "tributary"), "dir");
  symlinkSync(join("..", "tributary", "bin", "tributary.js"), join(modules, ".bin", "tributary"));
  cpSync(join(CHECKOUT, "examples"), join(dir, "examples"), { recursive: true });
  for (const dep of exampleDependencies(join(dir, "examples"))) {
    const src = join(CHECKOUT, "node_modules", dep);
    if (!existsSync(src)) throw new Error(`the examples import ${dep}, which the checkout has not installed`);
    mkdirSync(join(modules, dep, ".."), { recursive: true });
    symlinkSync(src, join(modules, dep), "dir");
  }
  return dir;
}
