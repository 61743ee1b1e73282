/**
 * `node extract-manifest.js <bundle.mjs>`: imports a user bundle in a fresh process and prints the
 * manifest of what it defined. Run by `bundleEntry`, never imported.
 *
 * Why a separate process: user code runs at definition time (top-level statements, decorators) and
 * registers into a process-wide registry; importing it into the deploying process would pollute that
 * registry, keep its timers alive and let a crash take the CLI down.
 *
 * Output contract: the last stdout line, prefixed by {@link MANIFEST_MARKER} (user code may print
 * too), is the JSON {@link ExtractedManifest}: the manifest, and the name each application is
 * exported under (deploy reads the handler's types through that export). A definition error goes
 * to stderr as `Name: message` plus the user's frame, with exit code 1.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { buildManifest, type Manifest } from "../core/manifest.js";
import { cleanStack } from "../core/stack.js";
import { MANIFEST_MARKER, type ExtractedManifest } from "./manifest-marker.js";

/** Application name → export name, preferring an export named like the application. */
function exportNamesOf(mod: Record<string, unknown>, apps: Manifest["applications"]): Record<string, string> {
  const names = new Set(apps.map((a) => a.name));
  const out: Record<string, string> = {};
  for (const [exportName, value] of Object.entries(mod)) {
    const fnName = typeof value === "function" ? (value as { functionName?: unknown }).functionName : undefined;
    if (typeof fnName !== "string" || !names.has(fnName)) continue;
    if (out[fnName] === undefined || exportName === fnName) out[fnName] = exportName;
  }
  return out;
}

/** `Name: message` and the first frame of the user's own code (not Tributary's, Node's or a library's). */
function describe(e: unknown): string {
  if (!(e instanceof Error)) return `Error: ${String(e)}`;
  const head = `${e.name}: ${e.message}`;
  const frames = cleanStack(e.stack ?? "")
    .split("\n")
    .filter((l) => /^\s+at /.test(l));
  const user = frames.find((l) => !l.includes("(node:") && !l.includes("node_modules"));
  return user ? `${head}\n${user}` : head;
}

async function main(): Promise<number> {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("usage: extract-manifest <bundle.mjs>\n");
    return 2;
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
  } catch (e) {
    process.stderr.write(describe(e) + "\n");
    return 1;
  }
  const manifest = buildManifest();
  const extracted: ExtractedManifest = { manifest, exportNames: exportNamesOf(mod, manifest.applications) };
  // Leading newline: user output without a trailing newline must not glue onto our line.
  await new Promise<void>((done) =>
    process.stdout.write(`\n${MANIFEST_MARKER}${JSON.stringify(extracted)}\n`, () => done()),
  );
  return 0;
}

// Exits explicitly: user code may leave timers or sockets open that would keep the process alive.
main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(describe(e) + "\n");
    process.exit(1);
  },
);
