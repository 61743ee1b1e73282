/**
 * Deploy-time bundling: one ESM file per entry, with the SDK inside, and the manifest of what it
 * defines.
 *
 * Invariants:
 * - Function names survive bundling (`keepNames`), so the manifest's names are the handlers' names.
 * - `tributary` resolves to this package's own built SDK, so the bundle carries its copy of the SDK
 *   (errors and the registry are recognised across copies by `Symbol.for` brands).
 * - The manifest comes from importing the bundle in a separate process (extract-manifest.ts); a
 *   definition error fails the bundle with the user's message, so nothing is deployed.
 * - An application without an `input` (or `output`) schema gets one derived from its handler's
 *   TypeScript types (type-schema/derive.ts); what cannot be derived is a notice, never a failure.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, stop as stopEsbuild, type BuildFailure, type Message } from "esbuild";
import type { Manifest } from "../core/manifest.js";
import { collectBuildContext } from "./build-context.js";
import { MANIFEST_MARKER, type ExtractedManifest } from "./manifest-marker.js";
import { applyDerivedTypes } from "./type-schema/apply.js";
import type { DerivedTypes } from "./type-schema/derive.js";
import { deriveTypesInThread } from "./type-schema/worker.js";

/** dist/src/index.js of this package (this file is dist/src/client/bundle.js once built). */
export const SDK_ENTRY = fileURLToPath(new URL("../index.js", import.meta.url));
const TESTING_ENTRY = fileURLToPath(new URL("../testing/index.js", import.meta.url));
/** The SDK's declarations, for reading the types of user code that imports `tributary`. */
const SDK_TYPES = {
  tributary: SDK_ENTRY.replace(/\.js$/, ".d.ts"),
  "tributary/testing": TESTING_ENTRY.replace(/\.js$/, ".d.ts"),
};
const EXTRACTOR = fileURLToPath(new URL("./extract-manifest.js", import.meta.url));
/** CommonJS dependencies call `require`; an ESM bundle has none unless we make one. */
const REQUIRE_BANNER =
  'import { createRequire as __tributaryCreateRequire } from "node:module"; const require = __tributaryCreateRequire(import.meta.url);';
const EXTRACT_TIMEOUT_MS = 60_000;

/** An entry file that cannot be deployed: build errors, definition errors, no application. */
export class BundleError extends Error {
  override get name(): string {
    return "BundleError";
  }
}

export interface BundleResult {
  /** The ESM bundle (with an inline source map). */
  bundle: Uint8Array;
  manifest: Manifest;
  /** Things deploy should tell the user: applications whose input stays unchecked, and why. */
  notices: string[];
  /** The files `Image.copy` steps read (client/build-context.ts), or null when none copies anything. */
  context: Uint8Array | null;
}

/**
 * Bundles `entryPath` and extracts its manifest.
 *
 * @example
 * const { bundle, manifest } = await bundleEntry("src/app.ts");
 * manifest.applications.map((a) => a.name); // ["greet"]
 */
export async function bundleEntry(entryPath: string): Promise<BundleResult> {
  const entry = resolve(entryPath);
  const st = await stat(entry).catch(() => undefined);
  if (!st?.isFile()) throw new BundleError(`entry file not found: ${entryPath}`);
  // Started first: the types are read on another thread while esbuild bundles and the child extracts.
  const typing = readTypes(entry);
  const bundle = await esbuildBundle(entry);
  const dir = await mkdtemp(join(tmpdir(), "tributary-bundle-"));
  try {
    const file = join(dir, "bundle.mjs");
    await writeFile(file, bundle);
    const { manifest, exportNames } = await extractManifest(file, entryPath);
    if (manifest.applications.length === 0) {
      throw new BundleError(`${entryPath} defines no application; wrap a function with application(...) and export it`);
    }
    let context: Uint8Array | null;
    try {
      context = collectBuildContext(manifest, dirname(entry));
    } catch (e) {
      throw new BundleError(`${entryPath}: ${(e as Error).message}`);
    }
    const { types, notice } = await typing;
    const notices = applyDerivedTypes(manifest, exportNames, types);
    return { bundle, manifest, notices: notice !== undefined ? [notice, ...notices] : notices, context };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * esbuild's service process (about 55 MB) outlives a build; a long-running `tributary dev` deploys
 * once and then idles, so the service is stopped once no build has run for a while, and restarted
 * by the next build (a redeploy pays a few milliseconds for it).
 */
const SERVICE_IDLE_MS = 5_000;
let building = 0;
let idleStop: NodeJS.Timeout | null = null;

async function esbuildBundle(entry: string): Promise<Uint8Array> {
  building++;
  if (idleStop) clearTimeout(idleStop);
  try {
    return await esbuildBuild(entry);
  } finally {
    if (--building === 0) {
      idleStop = setTimeout(() => {
        idleStop = null;
        if (building === 0) void stopEsbuild();
      }, SERVICE_IDLE_MS);
      idleStop.unref();
    }
  }
}

async function esbuildBuild(entry: string): Promise<Uint8Array> {
  const outfile = join(dirname(entry), "__tributary_bundle__.mjs");
  try {
    const result = await build({
      entryPoints: [entry],
      absWorkingDir: dirname(entry),
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      keepNames: true,
      // "external" + inlineSourceMap below = an inline map whose sources are absolute paths.
      sourcemap: "external",
      alias: { tributary: SDK_ENTRY, "tributary/testing": TESTING_ENTRY },
      banner: { js: REQUIRE_BANNER },
      write: false,
      outfile,
      logLevel: "silent",
    });
    const js = result.outputFiles.find((f) => f.path.endsWith(".mjs"));
    const map = result.outputFiles.find((f) => f.path.endsWith(".map"));
    if (!js || !map) throw new BundleError(`esbuild produced no output for ${entry}`);
    return inlineSourceMap(js.text, map.text, dirname(outfile));
  } catch (e) {
    const errors = (e as BuildFailure).errors;
    if (Array.isArray(errors) && errors.length > 0)
      throw new BundleError(`cannot bundle ${entry}:\n${errors.map(formatMessage).join("\n")}`);
    throw e;
  }
}

/**
 * Appends the source map inline with every source made absolute. esbuild writes sources relative
 * to the output file, but the bundle runs from elsewhere (a temp dir, the executor's bundle store),
 * where relative paths would point stack traces at files that do not exist.
 */
function inlineSourceMap(js: string, mapText: string, outDir: string): Uint8Array {
  const map = JSON.parse(mapText) as { sources?: string[]; sourceRoot?: string };
  map.sources = (map.sources ?? []).map((src) => resolve(outDir, map.sourceRoot ?? "", src));
  delete map.sourceRoot;
  const encoded = Buffer.from(JSON.stringify(map)).toString("base64");
  return new TextEncoder().encode(`${js}\n//# sourceMappingURL=data:application/json;base64,${encoded}\n`);
}

function formatMessage(m: Message): string {
  const loc = m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ` : "";
  return `  ${loc}${m.text}`;
}

/**
 * The types of the entry's exported handlers (type-schema/derive.ts, on its own thread). Reading
 * them never fails a deploy: an error is a notice, and inputs without a schema then stay unchecked.
 */
async function readTypes(entry: string): Promise<{ types: Map<string, DerivedTypes>; notice?: string }> {
  try {
    return { types: await deriveTypesInThread(entry, SDK_TYPES) };
  } catch (e) {
    return {
      types: new Map(),
      notice: `the types of ${entry} could not be read (${e instanceof Error ? e.message : String(e)}), so inputs without a schema are not checked`,
    };
  }
}

/** Runs extract-manifest.js on the bundle file (see its header for the output contract). */
function extractManifest(bundleFile: string, entryPath: string): Promise<ExtractedManifest> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ["--enable-source-maps", EXTRACTOR, bundleFile], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), EXTRACT_TIMEOUT_MS);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        const why = signal
          ? `was killed (${signal}) after ${EXTRACT_TIMEOUT_MS / 1000} s`
          : `failed at definition time`;
        reject(new BundleError(`${entryPath} ${why}:\n${stderr.trim() || "(no error output)"}`));
        return;
      }
      const line = stdout
        .split("\n")
        .reverse()
        .find((l) => l.startsWith(MANIFEST_MARKER));
      if (!line) {
        reject(new BundleError(`${entryPath}: no manifest was produced`));
        return;
      }
      resolvePromise(JSON.parse(line.slice(MANIFEST_MARKER.length)) as ExtractedManifest);
    });
  });
}
