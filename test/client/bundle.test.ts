import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { pathToFileURL } from "node:url";
import { BundleError, bundleEntry } from "../../src/client/bundle.js";

/** A fresh directory with the given files; removed by the returned cleanup. */
async function project(files: Record<string, string>): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "tributary-bundle-test-"));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, ".."), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

const APP = `
import { application, fn, cls, Retries } from "tributary";
import { shout } from "cjs-dep";

export const string_length = fn({ cpu: 2, timeout: 30 }, async function string_length(s: string): Promise<number> {
  return s.length;
});

export const greet = application(
  { tags: { language: "typescript" }, retries: new Retries({ maxRetries: 3 }) },
  fn(async function greet(data: string): Promise<string> { return shout(data) + (await string_length(data)); }),
);

@cls()
class MyCompute {
  @fn({ memory: 2 })
  async run(data: string): Promise<number> { return data.length; }
}
export const compute = MyCompute;
`;

const CJS_DEP = `const util = require("node:util"); module.exports = { shout: (s) => util.format("%s!", s) };`;

test("bundles an entry, keeps names and extracts the manifest", { timeout: 60_000 }, async () => {
  const p = await project({
    "app.ts": APP,
    "node_modules/cjs-dep/package.json": JSON.stringify({ name: "cjs-dep", main: "index.js" }),
    "node_modules/cjs-dep/index.js": CJS_DEP,
  });
  try {
    const { bundle, manifest } = await bundleEntry(join(p.dir, "app.ts"));
    const text = new TextDecoder().decode(bundle);
    assert.match(text, /createRequire/);
    assert.match(text, /sourceMappingURL=data:application\/json;base64,/);
    assert.deepEqual(
      manifest.applications.map((a) => a.name),
      ["greet"],
    );
    assert.deepEqual(manifest.applications[0]!.spec.tags, { language: "typescript" });
    assert.deepEqual(manifest.functions.map((f) => f.name).sort(), ["MyCompute.run", "greet", "string_length"]);
    assert.equal(manifest.functions.find((f) => f.name === "string_length")!.cpu, 2);
    assert.deepEqual(
      manifest.classes.map((c) => c.name),
      ["MyCompute"],
    );
    // The bundle runs on its own (in a child, so this process's registry stays clean): the
    // CommonJS dependency finds require() and the SDK is inside.
    await writeFile(join(p.dir, "out.mjs"), bundle);
    const script = `const m = await import(${JSON.stringify(pathToFileURL(join(p.dir, "out.mjs")).href)}); console.log(await m.greet("hey")); process.exit(0);`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
      timeout: 20_000,
    });
    assert.equal(stdout.trim(), "hey!3");
  } finally {
    await p.cleanup();
  }
});

test("a definition-time SDKUsageError surfaces with its message and the user's file", { timeout: 60_000 }, async () => {
  const p = await project({
    "bad.ts": `import { application, fn } from "tributary";\nexport const f = application(fn({ cpu: 99 }, async function too_big() {}));\n`,
  });
  try {
    await assert.rejects(bundleEntry(join(p.dir, "bad.ts")), (e: unknown) => {
      assert.ok(e instanceof BundleError);
      assert.match(e.message, /SDKUsageError: .*cpu.*99/);
      // The frame points at the user's own file (absolute source-map paths), not at a temp copy.
      assert.ok(e.message.includes(`${join(p.dir, "bad.ts")}:2:`), e.message);
      return true;
    });
  } finally {
    await p.cleanup();
  }
});

test("an entry without an application is an error", { timeout: 60_000 }, async () => {
  const p = await project({
    "lib.ts": `import { fn } from "tributary";\nexport const helper = fn(async function helper() { return 1; });\n`,
  });
  try {
    await assert.rejects(bundleEntry(join(p.dir, "lib.ts")), /defines no application/);
  } finally {
    await p.cleanup();
  }
});

test("syntax errors and missing files name the place", { timeout: 60_000 }, async () => {
  const p = await project({ "broken.ts": `export const x = ;\n` });
  try {
    await assert.rejects(
      bundleEntry(join(p.dir, "broken.ts")),
      (e: unknown) => e instanceof BundleError && /broken\.ts:1:\d+/.test(e.message),
    );
    await assert.rejects(bundleEntry(join(p.dir, "missing.ts")), /entry file not found/);
  } finally {
    await p.cleanup();
  }
});

test("an error thrown by user code at import time fails extraction", { timeout: 60_000 }, async () => {
  const p = await project({
    "boom.ts": `import { application, fn } from "tributary";\nexport const a = application(fn(async function a() {}));\nthrow new Error("config missing: DATABASE_URL");\n`,
  });
  try {
    await assert.rejects(
      bundleEntry(join(p.dir, "boom.ts")),
      /failed at definition time:\nError: config missing: DATABASE_URL/,
    );
  } finally {
    await p.cleanup();
  }
});

test("user output on stdout and timers left running do not break extraction", { timeout: 60_000 }, async () => {
  const p = await project({
    "noisy.ts": `import { application, fn } from "tributary";
export const a = application(fn(async function noisy() {}));
console.log("user code printed this");
process.stdout.write("{not json, no newline");
setInterval(() => {}, 1000);
`,
  });
  try {
    const { manifest } = await bundleEntry(join(p.dir, "noisy.ts"));
    assert.deepEqual(
      manifest.applications.map((x) => x.name),
      ["noisy"],
    );
  } finally {
    await p.cleanup();
  }
});

test("tributary/testing resolves inside a bundle too", { timeout: 60_000 }, async () => {
  const p = await project({
    "app.ts": `import { application, fn } from "tributary";\nimport { createFakeClock } from "tributary/testing";\nexport const uses_testing = application(fn(async function uses_testing() { return typeof createFakeClock; }));\n`,
  });
  try {
    const r = await bundleEntry(join(p.dir, "app.ts"));
    assert.deepEqual(
      r.manifest.applications.map((a) => a.name),
      ["uses_testing"],
    );
    assert.match(new TextDecoder().decode(r.bundle), /createFakeClock/);
  } finally {
    await p.cleanup();
  }
});
